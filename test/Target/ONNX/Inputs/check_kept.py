"""Checks the kept layers of an exported model against the original's float
weights: int8 codes as symmetric per-channel int8 computes them, f16 values
as float16 rounds them; lists the original float weights left and the ops.

  check_kept.py ORIGINAL.onnx EXPORTED.onnx   (export-kept.test)
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

original = {t.name: numpy_helper.to_array(t)
            for t in onnx.load(sys.argv[1]).graph.initializer}
exported = onnx.load(sys.argv[2])
tensors = {t.name: numpy_helper.to_array(t)
           for t in exported.graph.initializer}
# Kept weights are named LAYER.int8 / LAYER.f16; the float weights they
# replace are the layer's node input 1 in the original model.
nodes = {n.name: n for n in onnx.load(sys.argv[1]).graph.node
         if n.op_type in ("Conv", "MatMul", "Gemm")}
for name in sorted(tensors):
    layer, _, kind = name.rpartition(".")
    if kind not in ("int8", "f16"):
        continue
    stored = tensors[name]
    node = nodes[layer]
    w = original[node.input[1]]
    if kind == "f16":
        same = np.array_equal(stored, w.astype(np.float16))
    else:
        # Output channels lead Conv weights and Gemm's with transB; MatMul
        # weights are K x N.
        transB = any(a.name == "transB" and a.i for a in node.attribute)
        leading = node.op_type == "Conv" or transB
        rows = w.reshape(w.shape[0], -1) if leading else w.T
        scale = (np.abs(rows).max(axis=1) / np.float32(127)).astype(
            np.float16).astype(np.float32)
        codes = np.rint(rows / scale[:, None]).clip(-127, 127).astype(np.int8)
        codes = codes.reshape(w.shape) if leading else codes.T
        same = np.array_equal(stored, codes)
    print(name, stored.dtype, tuple(stored.shape),
          "exact" if same else "DIFFERENT")
print("float weights left:", sorted(n for n in ("w0", "w1", "w2")
                                    if n in tensors))
print("ops:", sorted({n.op_type for n in exported.graph.node}))
