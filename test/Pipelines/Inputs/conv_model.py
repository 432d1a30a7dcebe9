"""A small ONNX model of k x k convolutions, for convolutions=all:

  conv_model.py DIR   writes DIR/model.onnx (x [batch, 3, 12, 12] -> Conv
                      3x3 pad 1 -> Relu -> Conv 3x3 stride 2 pad 1 ->
                      Relu -> Conv 3x3 dilation 2 pad 2, no bias -> Relu ->
                      Conv 1x1 -> Conv 2x2 stride 2 -> y [batch, 8, 3, 3];
                      the batch dynamic), DIR/calib/NN.npy (calibration
                      inputs, batch 1) and DIR/x.npy (a test input of batch
                      2 from the same distribution); and DIR/conv1d.onnx
                      (x [batch, 4, 32] -> Conv k5 stride 2 pad 2 -> Relu ->
                      Conv k1 -> y [batch, 6, 16]), DIR/calib1d/, DIR/x1d.npy;
                      and DIR/grouped.onnx (x [batch, 8, 12, 12] ->
                      depthwise Conv 3x3 pad 1 -> Relu -> Conv 3x3 stride
                      2 in 2 groups -> Relu -> depthwise Conv 3x3 with 2
                      filters per channel, no bias -> Relu -> ConvTranspose
                      2x2 stride 2, plus a ConvTranspose 2x2 stride 2 in 2
                      groups -> y [batch, 6, 12, 12]), DIR/calibg/,
                      DIR/xg.npy
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

    def save(nodes, inits, x_shape, y_shape, filename):
        graph = helper.make_graph(
            nodes, filename.split(".")[0],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
            inits)
        model = helper.make_model(graph, opset_imports=[
            helper.make_opsetid("", 13)])
        model.ir_version = 7
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(directory, filename))

    def inputs(calibration, test, sample):
        """8 calibration inputs of batch 1 and a test input of batch 2."""
        os.makedirs(os.path.join(directory, calibration), exist_ok=True)
        for i in range(8):
            np.save(os.path.join(directory, calibration, "%02d.npy" % i),
                    sample(1))
        np.save(os.path.join(directory, test), sample(2))

    inits = [init("w0", (8, 3, 3, 3), 0.3), init("b0", (8,), 0.1),
             init("w1", (16, 8, 3, 3), 0.15), init("b1", (16,), 0.1),
             init("w2", (16, 16, 3, 3), 0.1),
             init("w3", (12, 16, 1, 1), 0.3), init("b3", (12,), 0.1),
             init("w4", (8, 12, 2, 2), 0.2), init("b4", (8,), 0.1)]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], name="conv3x3",
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c0"], ["r0"], name="relu0"),
        # Exporters put Identity on weights: the export looks through it.
        helper.make_node("Identity", ["w1"], ["w1i"], name="w1_identity"),
        helper.make_node("Conv", ["r0", "w1i", "b1"], ["c1"], name="strided",
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="dilated",
                         pads=[2, 2, 2, 2], dilations=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="pointwise"),
        helper.make_node("Conv", ["c3", "w4", "b4"], ["y"], name="patch",
                         strides=[2, 2]),
    ]
    save(nodes, inits, ["batch", 3, 12, 12], ["batch", 8, 3, 3], "model.onnx")

    def sample(batch):
        return (rng.standard_normal((batch, 3, 12, 12)) +
                np.linspace(-1, 1, 3)[None, :, None, None]).astype(np.float32)

    inputs("calib", "x.npy", sample)

    # 1-D: x [batch, 4, 32] -> Conv k5 stride 2 pad 2 -> Relu -> Conv k1.
    inits = [init("v0", (8, 4, 5), 0.3), init("d0", (8,), 0.1),
             init("v1", (6, 8, 1), 0.3)]
    nodes = [
        helper.make_node("Conv", ["x", "v0", "d0"], ["e0"], name="conv1d",
                         pads=[2, 2], strides=[2]),
        helper.make_node("Relu", ["e0"], ["s0"], name="relu1d"),
        helper.make_node("Conv", ["s0", "v1"], ["y"], name="pointwise1d"),
    ]
    save(nodes, inits, ["batch", 4, 32], ["batch", 6, 16], "conv1d.onnx")
    inputs("calib1d", "x1d.npy",
           lambda batch: rng.standard_normal((batch, 4, 32)).astype(
               np.float32))

    # Grouped: depthwise, 2 groups, depthwise x 2, ConvTranspose (ungrouped
    # and in 2 groups).
    inits = [init("g0", (8, 1, 3, 3), 0.3), init("h0", (8,), 0.1),
             init("g1", (12, 4, 3, 3), 0.2), init("h1", (12,), 0.1),
             init("g2", (24, 1, 3, 3), 0.3),
             init("g3", (24, 6, 2, 2), 0.2), init("h3", (6,), 0.1),
             init("g4", (24, 3, 2, 2), 0.2)]
    nodes = [
        helper.make_node("Conv", ["x", "g0", "h0"], ["f0"], name="depthwise",
                         pads=[1, 1, 1, 1], group=8),
        helper.make_node("Relu", ["f0"], ["q0"], name="reluq0"),
        helper.make_node("Conv", ["q0", "g1", "h1"], ["f1"], name="grouped",
                         strides=[2, 2], pads=[1, 1, 1, 1], group=2),
        helper.make_node("Relu", ["f1"], ["q1"], name="reluq1"),
        helper.make_node("Conv", ["q1", "g2"], ["f2"], name="multiplier",
                         pads=[1, 1, 1, 1], group=12),
        helper.make_node("Relu", ["f2"], ["q2"], name="reluq2"),
        helper.make_node("ConvTranspose", ["q2", "g3", "h3"], ["u0"],
                         name="upsample", strides=[2, 2]),
        helper.make_node("ConvTranspose", ["q2", "g4"], ["u1"],
                         name="upgrouped", strides=[2, 2], group=2),
        helper.make_node("Add", ["u0", "u1"], ["y"], name="sum"),
    ]
    save(nodes, inits, ["batch", 8, 12, 12], ["batch", 6, 12, 12],
         "grouped.onnx")

    def grouped(batch):
        return (rng.standard_normal((batch, 8, 12, 12)) +
                np.linspace(-1, 1, 8)[None, :, None, None]).astype(np.float32)

    inputs("calibg", "xg.npy", grouped)

if __name__ == "__main__":
    make(sys.argv[1])
