#!/usr/bin/env python3
"""Recognizes rendered lines of Jane Austen with PP-OCRv4 in tern and in
ONNX Runtime, and checks that both read the same text.

Lines of Pride and Prejudice (janeaustenr's data, read without R) are cut
into chunks that fit the input width, rendered with a Debian console font,
preprocessed as PP-OCR does, and recognized as one batch by tern-run and by
ONNX Runtime. Fails if the class scores differ beyond --atol or the greedy
CTC texts differ; prints each text and its character error rate against
the ground truth.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tern import ocr  # noqa: E402
from tern.rdata import LazyLoadDB  # noqa: E402

AUSTEN = "/usr/lib/R/site-library/janeaustenr/data/Rdata"
FONT = "/usr/share/consolefonts/Lat15-Terminus20x10.psf.gz"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", required=True, help="the ppocr folder")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--ort", required=True, help="run-ort.mjs")
    parser.add_argument("--out", required=True)
    parser.add_argument("--lines", type=int, default=8)
    parser.add_argument("--skip", type=int, default=20)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--atol", type=float, default=1e-3)
    args = parser.parse_args()

    font = ocr.PSFFont(FONT)
    # Characters fit when the scaled glyph cells fit the width.
    limit = int(args.width / (font.width * 48 / font.height))
    texts = ocr.text_lines(LazyLoadDB(AUSTEN)["prideprejudice"], limit,
                           args.lines, args.skip)
    batch = np.concatenate([ocr.recognizer_input(font.render(t), 48, args.width)
                            for t in texts])
    os.makedirs(args.out, exist_ok=True)
    x = os.path.join(args.out, "x.npy")
    np.save(x, batch)
    model = os.path.join(args.models, "ch_PP-OCRv4_rec_infer.onnx")
    shape = f"x={len(texts)}x3x48x{args.width}"
    subprocess.run([os.path.join(args.bin, "tern-run"), model, "--input-shape",
                    shape, "--input", "x=" + x, "--output-dir",
                    os.path.join(args.out, "tern")], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["node", args.ort, model, os.path.join(args.out, "ort"),
                    "x=" + x], check=True, stdout=subprocess.DEVNULL)
    name = os.listdir(os.path.join(args.out, "ort"))[0]
    tern = np.load(os.path.join(args.out, "tern", name))
    ort = np.load(os.path.join(args.out, "ort", name))
    diff = float(np.abs(tern - ort).max())
    charset = ocr.load_charset(os.path.join(args.models, "ppocr_keys_v1.txt"))
    same, errors = True, []
    for i, truth in enumerate(texts):
        a = ocr.ctc_greedy_decode(tern[i], charset)
        b = ocr.ctc_greedy_decode(ort[i], charset)
        errors.append(ocr.cer(a, truth))
        same &= a == b
        print(f"{'same' if a == b else 'DIFF'} cer {errors[-1]:.3f} | {truth!r} | "
              f"tern {a!r}" + ("" if a == b else f" | ort {b!r}"))
    print(f"{len(texts)} lines, max abs score difference {diff:.3g}, "
          f"mean CER {np.mean(errors):.3f}, texts "
          f"{'identical' if same else 'DIFFERENT'}")
    if not same or diff > args.atol:
        sys.exit(1)


if __name__ == "__main__":
    main()
