"""Models with ONNX Runtime's contributed ops (domain com.microsoft) for
contrib-ops.test: the normalizations and activations of transformer
exports, and a MatMulNBits layer with 4-bit codes and packed zero points.

  contrib_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

MS = "com.microsoft"


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(9)
    f = h.make_tensor_value_info
    arr = lambda name, shape, scale=1.0: numpy_helper.from_array(
        (rng.standard_normal(shape) * scale).astype(np.float32), name)
    hidden = 16
    nodes = [
        h.make_node("SkipLayerNormalization", ["x", "skip", "g", "be", "bi"],
                    ["ln", "", "", "sum"], domain=MS, epsilon=1e-5,
                    name="skip_ln"),
        h.make_node("SkipSimplifiedLayerNormalization", ["ln", "skip", "g"],
                    ["rms", "", "", "sum2"], domain=MS, epsilon=1e-6,
                    name="skip_rms"),
        h.make_node("SimplifiedLayerNormalization", ["sum2", "g"], ["rms2"],
                    axis=-1, epsilon=1e-6, name="rms_default_domain"),
        h.make_node("FastGelu", ["rms2", "bi"], ["fg"], domain=MS,
                    name="fast_gelu"),
        h.make_node("BiasGelu", ["fg", "bi"], ["bg"], domain=MS,
                    name="bias_gelu"),
        h.make_node("QuickGelu", ["bg"], ["y"], domain=MS, alpha=1.5,
                    name="quick_gelu"),
    ]
    graph = h.make_graph(
        nodes, "contrib", [f("x", T.FLOAT, ["batch", 5, hidden])],
        [f("y", T.FLOAT, None), f("sum", T.FLOAT, None)],
        [arr("skip", (5, hidden)), arr("g", (hidden,)), arr("be", (hidden,)),
         arr("bi", (hidden,), 0.1)])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17),
                                               h.make_opsetid(MS, 1)])
    onnx.save(model, os.path.join(d, "norms.onnx"))
    np.save(os.path.join(d, "x.npy"),
            rng.standard_normal((2, 5, hidden)).astype(np.float32))

    # MatMulNBits, 4 bits, K = 40 (blocks of 16: the last one padded),
    # N = 6, packed zero points, a bias.
    k, n, bits, block = 40, 6, 4, 16
    blocks = (k + block - 1) // block
    q = rng.integers(0, 16, (n, blocks * block)).astype(np.uint8)
    q[:, k:] = 0
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(n, blocks, block // 2)
    zeros = rng.integers(0, 16, (n, blocks)).astype(np.uint8)
    zrow = (blocks * bits + 7) // 8
    zpacked = np.zeros((n, zrow), np.uint8)
    for b in range(blocks):
        zpacked[:, b // 2] |= zeros[:, b] << (4 * (b % 2))
    scales = (rng.random((n, blocks)) * 0.1 + 0.01).astype(np.float32)
    inits = [numpy_helper.from_array(packed, "codes"),
             numpy_helper.from_array(scales.reshape(-1), "scales"),
             numpy_helper.from_array(zpacked.reshape(-1), "zeros"),
             arr("bias", (n,), 0.1)]
    node = h.make_node("MatMulNBits", ["a", "codes", "scales", "zeros", "",
                                       "bias"], ["y"], domain=MS, K=k, N=n,
                       bits=bits, block_size=block, name="nbits")
    graph = h.make_graph([node], "nbits", [f("a", T.FLOAT, ["batch", k])],
                         [f("y", T.FLOAT, ["batch", n])], inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17),
                                               h.make_opsetid(MS, 1)])
    onnx.save(model, os.path.join(d, "nbits4.onnx"))
    np.save(os.path.join(d, "a.npy"),
            rng.standard_normal((3, k)).astype(np.float32))


if __name__ == "__main__":
    main()
