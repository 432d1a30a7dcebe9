"""Writes DIR/slice.onnx (x [batch, seq, 16] -> tail = x[:, seq-3:],
evens = x[:, ::2]) and inputs DIR/x_S.npy for batch 2."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
ints = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
nodes = [
    helper.make_node("Shape", ["x"], ["shape"]),
    helper.make_node("Gather", ["shape", "one"], ["seq"], axis=0),
    helper.make_node("Sub", ["seq", "three"], ["start"]),
    helper.make_node("Slice", ["x", "start", "end", "axis1"], ["tail"],
                     name="tail"),
    helper.make_node("Slice", ["x", "zero", "end", "axis1", "two"],
                     ["evens"], name="evens"),
]
graph = helper.make_graph(
    nodes, "slice",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                   ["batch", "seq", 16])],
    [helper.make_tensor_value_info(n, TensorProto.FLOAT,
                                   ["batch", None, 16])
     for n in ("tail", "evens")],
    [ints("one", [1]), ints("three", [3]), ints("end", [2 ** 63 - 1]),
     ints("axis1", [1]), ints("zero", [0]), ints("two", [2])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "slice.onnx"))
rng = np.random.default_rng(0)
for s in (1, 2, 3, 7, 0):
    np.save(os.path.join(out, "x_%d.npy" % s),
            rng.standard_normal((2, s, 16)).astype(np.float32))
