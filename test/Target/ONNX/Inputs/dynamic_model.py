"""A transformer-like block whose batch and sequence dimensions are left
open (dim_param "batch" and "seq"), for the dynamic-shape tests.

  dynamic_model.py DIR   writes DIR/model.onnx and inputs DIR/x_B_S.npy for
                         (B, S) in (1, 1), (1, 7), (2, 300), (1, 0)

  x [batch, seq, 16] -> MatMul+Add -> SiLU -> MatMul+Add -> + x ->
  LayerNormalization -> h; scores = Softmax(h @ Transpose(h) / 4) [batch,
  seq, seq]; y = scores @ h -> Gemm-free projection -> y [batch, seq, 8];
  also mask = Where(scores > 0.1, scores, 0) summed with Relu(h) via
  broadcast of a [16] vector.
"""
import os
import sys

import numpy as np


def make(directory):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(23)

    def init(name, shape, scale):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [init("w1", (16, 32), 0.3), init("b1", (32,), 0.1),
             init("w2", (32, 16), 0.3), init("b2", (16,), 0.1),
             init("gamma", (16,), 1.0), init("beta", (16,), 0.1),
             init("wo", (16, 8), 0.3), init("shift", (16,), 0.5),
             numpy_helper.from_array(np.array(0.25, np.float32), "quarter"),
             numpy_helper.from_array(np.array(0.1, np.float32), "cut"),
             numpy_helper.from_array(np.array(0.0, np.float32), "zero")]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["m1"], name="fc1"),
        helper.make_node("Add", ["m1", "b1"], ["a1"], name="bias1"),
        helper.make_node("Sigmoid", ["a1"], ["sg"], name="sigmoid"),
        helper.make_node("Mul", ["a1", "sg"], ["g"], name="silu"),
        helper.make_node("MatMul", ["g", "w2"], ["m2"], name="fc2"),
        helper.make_node("Add", ["m2", "b2"], ["a2"], name="bias2"),
        helper.make_node("Add", ["a2", "x"], ["res"], name="residual"),
        helper.make_node("LayerNormalization", ["res", "gamma", "beta"], ["h"],
                         name="norm", axis=-1),
        helper.make_node("Transpose", ["h"], ["ht"], name="keys",
                         perm=[0, 2, 1]),
        helper.make_node("MatMul", ["h", "ht"], ["s"], name="qk"),
        helper.make_node("Mul", ["s", "quarter"], ["ss"], name="scale"),
        helper.make_node("Softmax", ["ss"], ["p"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["p", "h"], ["ctx"], name="pv"),
        helper.make_node("MatMul", ["ctx", "wo"], ["y"], name="proj"),
        helper.make_node("Greater", ["p", "cut"], ["big"], name="big"),
        helper.make_node("Where", ["big", "p", "zero"], ["kept"], name="kept"),
        helper.make_node("Relu", ["h"], ["hr"], name="relu"),
        helper.make_node("Add", ["hr", "shift"], ["z"], name="shifted"),
    ]
    graph = helper.make_graph(
        nodes, "dynamic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", "seq", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["batch", "seq", 8]),
         helper.make_tensor_value_info("kept", TensorProto.FLOAT,
                                       ["batch", "seq", "seq"]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT,
                                       ["batch", "seq", 16])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(directory, "model.onnx"))
    for b, s in [(1, 1), (1, 7), (2, 300), (1, 0)]:
        np.save(os.path.join(directory, "x_%d_%d.npy" % (b, s)),
                rng.standard_normal((b, s, 16)).astype(np.float32))


if __name__ == "__main__":
    make(sys.argv[1])
