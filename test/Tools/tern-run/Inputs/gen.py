#!/usr/bin/env python3
"""Inputs and numpy's expected outputs for tern-run's tests, plus broken
.npy files."""

import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 4)).astype(np.float32)
b = rng.standard_normal((2, 3)).astype(np.float32)
w = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "b.npy"), b)
np.save(os.path.join(out, "expected_y.npy"), np.maximum(x @ w + b, 0))
np.save(os.path.join(out, "expected_n.npy"), np.array(2, dtype=np.int64) * np.array([2, 3], dtype=np.int64))
np.save(os.path.join(out, "x_f64.npy"), x.astype(np.float64))
np.save(os.path.join(out, "x_short.npy"), x[:, :3])
with open(os.path.join(out, "corrupt.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00garbage")
