#!/usr/bin/env python3
"""Writes node tests in ONNX's backend-test layout (model.onnx and
test_data_set_0/) for ops that the installed ONNX test data predates:
Gelu (opset 20), both approximations, with numpy's expected outputs."""

import math
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def write(folder, node, opset, inputs, outputs):
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape)
         for n, v in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape)
         for n, v in outputs.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for kind, values in (("input", inputs), ("output", outputs)):
        for i, (name, v) in enumerate(values.items()):
            with open(os.path.join(folder, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(v, name).SerializeToString())


def main():
    out = sys.argv[1]
    x = np.linspace(-4, 4, 24, dtype=np.float32).reshape(2, 3, 4)
    erf = np.vectorize(math.erf)
    exact = (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(np.float32)
    write(os.path.join(out, "gelu"), helper.make_node("Gelu", ["x"], ["y"]),
          20, {"x": x}, {"y": exact})
    approx = (0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                     (x + 0.044715 * x ** 3)))).astype(np.float32)
    write(os.path.join(out, "gelu_tanh"),
          helper.make_node("Gelu", ["x"], ["y"], approximate="tanh"),
          20, {"x": x}, {"y": approx})


if __name__ == "__main__":
    main()
