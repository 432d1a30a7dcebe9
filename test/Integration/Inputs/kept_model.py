"""A two-layer ONNX model with odd sizes and a dynamic batch, for the kept
layers' integration test (kept-layers-vs-numpy.test), and what int8 and f16
storage of its weights compute, independently of tern.

  kept_model.py DIR   writes DIR/model.onnx (x [batch, 2100] -> MatMul 2100 x
                      77 -> Relu -> MatMul 77 x 1030 -> y), DIR/x1.npy and
                      DIR/x5.npy (batch 1 and 5), and the expected outputs
                      DIR/int8-x1.npy, DIR/int8-x5.npy, DIR/f16-x1.npy,
                      DIR/f16-x5.npy, and DIR/int8-q1.npy, DIR/int8-q5.npy:
                      the int8 weights' products with each layer's
                      activations quantized to int8 per row, as the int8
                      dot-product kernels compute them
"""
import os
import sys

import numpy as np


def int8_weights(w):
    """Symmetric int8 per output channel (w is K x N): the scale max |w| /
    127 rounded to f16, each code w / scale rounded to nearest, ties to
    even."""
    scale = (np.abs(w).max(axis=0) / np.float32(127)).astype(
        np.float16).astype(np.float32)
    codes = np.clip(np.rint(w / scale), -127, 127)
    return (codes * scale).astype(np.float32)


def int8_codes(w):
    """The int8 codes (K x N) and per-channel scales of int8_weights."""
    scale = (np.abs(w).max(axis=0) / np.float32(127)).astype(
        np.float16).astype(np.float32)
    return np.clip(np.rint(w / scale), -127, 127).astype(np.int64), scale


def int8_activation_products(x, w):
    """x (M x K, f32) times the int8 weights of w with x quantized per row
    as the kernels do, in f32: s = max |x| / 127, q = roundeven(x * (127 /
    max |x|)); then the exact integer sums times the channel's scale, times
    s."""
    codes, scale = int8_codes(w)
    top = np.abs(x).max(axis=1).astype(np.float32)
    s = (top / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inverse = np.where(top > 0, np.float32(127) / top,
                           np.float32(0)).astype(np.float32)
    q = np.rint((x * inverse[:, None]).astype(np.float32)).astype(np.int64)
    sums = (q @ codes).astype(np.float32)
    return ((sums * scale[None, :]).astype(np.float32) *
            s[:, None]).astype(np.float32)


def main(directory):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(5)
    w1 = (rng.standard_normal((2100, 77)) * 0.04).astype(np.float32)
    w2 = (rng.standard_normal((77, 1030)) * 0.2).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="first"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("MatMul", ["r", "w2"], ["y"], name="second")],
        "kept",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", 2100])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["batch", 1030])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    os.makedirs(directory, exist_ok=True)
    onnx.save(model, os.path.join(directory, "model.onnx"))
    for batch in (1, 5):
        x = rng.standard_normal((batch, 2100)).astype(np.float32)
        np.save(os.path.join(directory, "x%d.npy" % batch), x)
        for name, stored in (("int8", int8_weights),
                             ("f16", lambda w: w.astype(np.float16)
                              .astype(np.float32))):
            h = np.maximum(x.astype(np.float64) @ stored(w1), 0)
            y = (h @ stored(w2)).astype(np.float32)
            np.save(os.path.join(directory, "%s-x%d.npy" % (name, batch)), y)
        h = np.maximum(int8_activation_products(x, w1), 0)
        np.save(os.path.join(directory, "int8-q%d.npy" % batch),
                int8_activation_products(h, w2))


if __name__ == "__main__":
    main(sys.argv[1])
