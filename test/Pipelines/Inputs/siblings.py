"""Writes DIR/model.onnx, two MatMuls reading the same activation (as q
and k, or gate and up, do in transformers): x [4, 16] -> h = Relu(x),
q = h Wq, k = h Wk, y = q + k; and DIR/calib/NN.npy, calibration inputs."""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

directory = sys.argv[1]
rng = np.random.default_rng(5)
weights = [numpy_helper.from_array(
    rng.standard_normal((16, 8)).astype(np.float32), name)
    for name in ("wq", "wk")]
graph = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["h"], name="relu"),
     helper.make_node("MatMul", ["h", "wq"], ["q"], name="q/MatMul"),
     helper.make_node("MatMul", ["h", "wk"], ["k"], name="k/MatMul"),
     helper.make_node("Add", ["q", "k"], ["y"], name="add")],
    "siblings",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 16])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])],
    initializer=weights)
os.makedirs(os.path.join(directory, "calib"), exist_ok=True)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]),
          os.path.join(directory, "model.onnx"))
for i in range(3):
    np.save(os.path.join(directory, "calib", f"{i:02d}.npy"),
            rng.standard_normal((4, 16)).astype(np.float32))
