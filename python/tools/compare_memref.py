#!/usr/bin/env python3
"""Compares the numbers printMemref printed (stdin) with expected numbers.

Reads the data of the first printed memref from stdin and the expected
values, one per line, from the file given; fails with the first mismatch
beyond --atol + --rtol * |expected|.
"""

import argparse
import re
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("expected")
    parser.add_argument("--rtol", type=float, default=1e-6)
    parser.add_argument("--atol", type=float, default=1e-6)
    args = parser.parse_args()

    text = sys.stdin.read()
    marker = text.find("data =")
    if marker < 0:
        sys.exit("error: no printed memref in the input")
    number = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)"
    actual = [float(v) for v in re.findall(number, text[marker + 6:])]
    with open(args.expected) as f:
        expected = [float(line) for line in f if line.strip()]
    if len(actual) != len(expected):
        sys.exit(f"error: {len(actual)} numbers printed, {len(expected)} expected")
    for i, (a, e) in enumerate(zip(actual, expected)):
        if not abs(a - e) <= args.atol + args.rtol * abs(e):
            sys.exit(f"error: element {i}: got {a}, expected {e}")
    print(f"{len(actual)} numbers match")


if __name__ == "__main__":
    main()
