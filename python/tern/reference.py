"""Reference semantics of the tern ops in numpy (see TernOps.td)."""

import numpy as np

from .packing import code_values


def group_map(k, group_size):
    """The group of each of the k columns (group_size 0: one group)."""
    size = k if group_size == 0 else group_size
    return np.arange(k) // size


def dequantize(codes, scales, shifts, group_size):
    """W[n, k] = sum_p scales[p, n, g(k)] * T[p, n, k] + shifts[n, g(k)]."""
    codes = np.asarray(codes)
    if codes.ndim == 2:
        codes = codes[None]
        scales = np.asarray(scales)[None]
    groups = group_map(codes.shape[-1], group_size)
    t = code_values(codes).astype(np.float64)
    w = (np.asarray(scales, np.float64)[:, :, groups] * t).sum(axis=0)
    if shifts is not None:
        w = w + np.asarray(shifts, np.float64)[:, groups]
    return w


def matmul(x, codes, scales, shifts, bias, group_size):
    """y = x W^T + bias with W from `dequantize`."""
    y = np.asarray(x, np.float64) @ dequantize(codes, scales, shifts,
                                                group_size).T
    if bias is not None:
        y = y + np.asarray(bias, np.float64)
    return y
