"""A small ONNX model with every kind of layer tern quantizes, for the
tern-ptq-pipeline and --export-onnx tests.

  ptq_model.py DIR   writes DIR/model.onnx (1x1 Conv -> Relu -> Transpose ->
                     MatMul -> Relu -> Reshape -> Gemm(transB) -> y),
                     DIR/calib/NN.npy (calibration inputs), DIR/x.npy (a
                     test input, drawn from the same distribution)
  ptq_model.py cosine A.npy B.npy MIN
                     prints the cosine similarity of two outputs; fails if
                     it is below MIN
"""
import os
import sys

import numpy as np


def make(directory):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(11)

    def init(name, shape, scale):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [init("w0", (16, 8, 1, 1), 0.4), init("b0", (16,), 0.1),
             init("w1", (16, 24), 0.3), init("w2", (12, 24), 0.25),
             init("c2", (12,), 0.1),
             numpy_helper.from_array(np.array([20, 24], np.int64), "shape")]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c"], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu0"),
        helper.make_node("Transpose", ["r"], ["t"], name="nhwc",
                         perm=[0, 2, 3, 1]),
        helper.make_node("MatMul", ["t", "w1"], ["m"], name="mm"),
        helper.make_node("Relu", ["m"], ["mr"], name="relu1"),
        helper.make_node("Reshape", ["mr", "shape"], ["rows"], name="rows"),
        helper.make_node("Gemm", ["rows", "w2", "c2"], ["y"], name="gemm",
                         transB=1, alpha=0.5),
    ]
    graph = helper.make_graph(
        nodes, "ptq", [helper.make_tensor_value_info(
            "x", TensorProto.FLOAT, [1, 8, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [20, 12])],
        inits)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(directory, "calib"), exist_ok=True)
    onnx.save(model, os.path.join(directory, "model.onnx"))

    def sample():
        return (rng.standard_normal((1, 8, 4, 5)) +
                np.linspace(-1, 2, 8)[None, :, None, None]).astype(np.float32)

    for i in range(8):
        np.save(os.path.join(directory, "calib", "%02d.npy" % i), sample())
    np.save(os.path.join(directory, "x.npy"), sample())


def cosine(a, b, minimum):
    a = np.load(a).astype(np.float64).ravel()
    b = np.load(b).astype(np.float64).ravel()
    c = a @ b / np.sqrt((a @ a) * (b @ b))
    print("cosine %.4f" % c)
    if c < float(minimum):
        sys.exit("cosine %.4f is below %s" % (c, minimum))


if sys.argv[1] == "cosine":
    cosine(*sys.argv[2:5])
else:
    make(sys.argv[1])
