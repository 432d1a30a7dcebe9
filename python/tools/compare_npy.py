#!/usr/bin/env python3
"""Compares .npy files: each ACTUAL with its EXPECTED, same shape and dtype,
values within --atol + --rtol * |expected| (exact for integers and bools).
With --atol-of-row-max F, atol is F times the largest |expected| of each
row (the last axis): logits agree "within F of the largest logit". Prints the largest difference; exits non-zero on the first mismatch."""

import argparse
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pairs", nargs="+", help="ACTUAL.npy EXPECTED.npy ...")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--atol-of-row-max", type=float, metavar="F")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        sys.exit("expected pairs of files")
    for actual_path, expected_path in zip(args.pairs[::2], args.pairs[1::2]):
        actual, expected = np.load(actual_path), np.load(expected_path)
        if actual.shape != expected.shape or actual.dtype != expected.dtype:
            sys.exit(f"{actual_path}: {actual.dtype}{list(actual.shape)}, expected "
                     f"{expected.dtype}{list(expected.shape)}")
        if np.issubdtype(expected.dtype, np.floating):
            diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
            magnitude = np.abs(expected.astype(np.float64))
            atol = args.atol
            if args.atol_of_row_max is not None and expected.size:
                atol = args.atol_of_row_max * magnitude.max(axis=-1,
                                                            keepdims=True)
            bound = atol + args.rtol * magnitude
            worst = float(diff.max()) if diff.size else 0.0
            if not np.all(diff <= bound):
                what = (f"{args.atol_of_row_max} of the largest |value| of "
                        f"its row" if args.atol_of_row_max is not None
                        else f"atol {args.atol}")
                sys.exit(f"{actual_path}: max abs difference {worst:.3g} exceeds "
                         f"{what} + rtol {args.rtol}")
        else:
            worst = int((actual != expected).sum())
            if worst:
                sys.exit(f"{actual_path}: {worst} elements differ")
        print(f"{actual_path}: matches (max abs difference {worst:.3g})")


if __name__ == "__main__":
    main()
