"""Inputs for silero-vad.test: audio frames (a tone in noise, and noise
alone) at 16 and 8 kHz, batches of 1 and 2, the LSTM states at zero.

  silero_inputs.py DIR
"""
import os
import sys

import numpy as np


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(5)
    npy = lambda name, a: np.save(os.path.join(d, name + ".npy"), a)

    def frame(samples, rate, tone=True):
        t = np.arange(samples) / rate
        x = 0.05 * rng.standard_normal(samples)
        if tone:
            x += 0.5 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)
        return x.astype(np.float32)

    npy("a16k", frame(512, 16000)[None])
    npy("next16k", frame(512, 16000)[None])
    npy("a8k", frame(256, 8000)[None])
    npy("b16k", np.stack([frame(512, 16000), frame(512, 16000, tone=False)]))
    npy("sr16k", np.array(16000, np.int64))
    npy("sr8k", np.array(8000, np.int64))
    npy("state1", np.zeros((2, 1, 128), np.float32))
    npy("state2", np.zeros((2, 2, 128), np.float32))
    npy("h1", np.zeros((2, 1, 64), np.float32))
    npy("h2", np.zeros((2, 2, 64), np.float32))


if __name__ == "__main__":
    main()
