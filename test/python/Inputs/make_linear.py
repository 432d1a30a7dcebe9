"""A small ONNX model y = x @ W + b (x [batch, 96], y [batch, 40], node
names fc/MatMul and fc/Add) for the tests of python/tern. As a script:
writes the model to argv[1] and an input x [3, 96] to argv[2]."""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K, N = 96, 40


def linear_model(path, seed=7):
    """Writes the model to `path`; returns (W, b)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((K, N)).astype(np.float32)
    b = rng.standard_normal(N).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"], name="fc/MatMul"),
         helper.make_node("Add", ["h", "b"], ["y"], name="fc/Add")],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", N])],
        initializer=[numpy_helper.from_array(w, "W"),
                     numpy_helper.from_array(b, "b")])
    onnx.save(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 14)]), path)
    return w, b


if __name__ == "__main__":
    linear_model(sys.argv[1])
    np.save(sys.argv[2], np.random.default_rng(8).standard_normal(
        (3, K)).astype(np.float32))
