"""A small ONNX model computed in float16 (or bfloat16) with every kind of
layer tern quantizes, for export-half.test.

  half_model.py DIR [bf16]   writes DIR/model.onnx (1x1 Conv with bias ->
                             Relu -> Transpose -> MatMul -> Relu -> Reshape
                             -> Gemm(transB, C) -> y), DIR/calib/NN.npy and
                             DIR/x.npy (float16; bf16 models get no inputs:
                             numpy has no bfloat16)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    directory = sys.argv[1]
    bf16 = len(sys.argv) > 2 and sys.argv[2] == "bf16"
    elem = TensorProto.BFLOAT16 if bf16 else TensorProto.FLOAT16
    rng = np.random.default_rng(5)

    def init(name, shape, scale):
        values = (rng.standard_normal(shape) * scale).astype(np.float32)
        if not bf16:
            return numpy_helper.from_array(values.astype(np.float16), name)
        if name != "w1":
            # onnx's own helper: bit patterns in int32_data.
            return helper.make_tensor(name, elem, shape,
                                      [float(v) for v in values.flatten()])
        # Raw little-endian bfloat16, rounded to nearest even.
        bits = values.view(np.uint32)
        bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        tensor = onnx.TensorProto()
        tensor.name, tensor.data_type = name, elem
        tensor.dims.extend(shape)
        tensor.raw_data = bits.tobytes()
        return tensor

    inits = [init("w0", (16, 8, 1, 1), 0.4), init("b0", (16,), 0.1),
             init("w1", (16, 24), 0.3), init("w2", (12, 24), 0.25),
             init("c2", (12,), 0.1),
             numpy_helper.from_array(np.array([20, 24], np.int64), "shape")]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c"], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu0"),
        helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 3, 1],
                         name="nhwc"),
        helper.make_node("MatMul", ["t", "w1"], ["m"], name="mm"),
        helper.make_node("Relu", ["m"], ["mr"], name="relu1"),
        helper.make_node("Reshape", ["mr", "shape"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "w2", "c2"], ["y"], transB=1,
                         name="gemm"),
    ]
    graph = helper.make_graph(
        nodes, "half",
        [helper.make_tensor_value_info("x", elem, [1, 8, 4, 5])],
        [helper.make_tensor_value_info("y", elem, [20, 12])], inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(directory, "calib"), exist_ok=True)
    onnx.save(model, os.path.join(directory, "model.onnx"))
    if bf16:
        return
    for i in range(8):
        np.save(os.path.join(directory, "calib", "%02d.npy" % i),
                rng.standard_normal((1, 8, 4, 5)).astype(np.float16))
    np.save(os.path.join(directory, "x.npy"),
            rng.standard_normal((1, 8, 4, 5)).astype(np.float16))


if __name__ == "__main__":
    main()
