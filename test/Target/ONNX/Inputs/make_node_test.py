#!/usr/bin/env python3
"""Writes node tests in ONNX's backend-test layout (model.onnx and
test_data_set_0/) for ops that the installed ONNX test data predates or
has only at opsets tern does not read, with numpy's expected outputs: Gelu
(opset 20), both approximations; Mish (opset 18); Elu, Selu and Softplus,
whose ONNX tests are opset 6 and 1 models, at opset 17."""

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

    # Activations, computed in float64 from the f32 inputs.
    wide = np.linspace(-30, 30, 24, dtype=np.float32).reshape(2, 3, 4)
    xd = wide.astype(np.float64)
    softplus = np.logaddexp(0, xd)
    cases = {
        "elu": ("Elu", {"alpha": 0.5}, 17,
                np.where(xd < 0, 0.5 * np.expm1(xd), xd)),
        "selu": ("Selu", {"alpha": 2.0, "gamma": 3.0}, 17,
                 3.0 * np.where(xd < 0, 2.0 * np.expm1(xd), xd)),
        "selu_default": ("Selu", {}, 17,
                         1.0507009873554805 * np.where(
                             xd < 0, 1.6732632423543772 * np.expm1(xd), xd)),
        "softplus": ("Softplus", {}, 17, softplus),
        "mish": ("Mish", {}, 18, xd * np.tanh(softplus)),
    }
    for name, (op, attrs, opset, expected) in cases.items():
        write(os.path.join(out, name),
              helper.make_node(op, ["x"], ["y"], **attrs), opset,
              {"x": wide}, {"y": expected.astype(np.float32)})


if __name__ == "__main__":
    main()
