"""Inputs and checks for ternarize-block-target.mlir (two residual blocks).

  block-target.py make DIR
      four input sets of x (16 x 8)
  block-target.py compare DIR TERN_RUN FLOAT MODEL...
      runs the models on the sets of DIR and prints the relative error of
      each one's output y against the float model's
"""
import os
import subprocess
import sys
import tempfile

import numpy as np


def outputs(directory, tern_run, model):
    with tempfile.TemporaryDirectory() as out:
        for name in sorted(os.listdir(directory)):
            subprocess.run([tern_run, model, "--output-dir", out,
                            "--input=x=%s/%s" % (directory, name)],
                           check=True, stdout=subprocess.DEVNULL)
            yield np.load(os.path.join(out, "y.npy")).astype(np.float64)


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "make":
        rng = np.random.default_rng(5)
        os.makedirs(directory, exist_ok=True)
        for i in range(4):
            np.save(os.path.join(directory, "set%d.npy" % i),
                    rng.normal(0.2, 1, (16, 8)).astype(np.float32))
        return
    tern_run, float_model = sys.argv[3:5]
    y = np.concatenate(list(outputs(directory, tern_run, float_model)))
    errors = []
    for model in sys.argv[5:]:
        got = np.concatenate(list(outputs(directory, tern_run, model)))
        errors.append(np.linalg.norm(got - y) / np.linalg.norm(y))
        print("%s error %.4f" % (os.path.basename(model), errors[-1]))
    print("each closer to float than the one before:",
          all(b < a for a, b in zip(errors, errors[1:])))


main()
