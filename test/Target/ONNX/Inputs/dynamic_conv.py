"""A small convolutional network whose batch, height and width are left open
(dim_param "batch", "height", "width"), for the dynamic-convolution tests.

  dynamic_conv.py DIR   writes DIR/model.onnx and inputs DIR/x_N_H_W.npy for
                        (N, H, W) in (1, 8, 8), (2, 13, 21), (1, 5, 40), and
                        DIR/x_1_1_1.npy, too small for the average pool

  x [batch, 3, height, width] -> Conv 3x3 pad 1 (bias) -> BatchNormalization
  -> Relu -> depthwise Conv 3x3 stride 2 pad 1 -> grouped Conv 3x3 (2
  groups, pad 1, dilation 1) -> 1x1 Conv (bias) -> MaxPool 3x3 stride 1 pad
  1 -> AveragePool 2x2 stride 2 -> y; GlobalAveragePool of it -> g
  [batch, 8, 1, 1]; the pooled map seen as [batch, 8, height*width] through
  a 1-D Conv (kernel 3, pad 1) and an opset-11 Softmax over axis 1 (which
  flattens channels and length) -> p; y upsampled twice by Resize (nearest,
  asymmetric, floor: the detector's FPN) then ConvTranspose 2x2 stride 2
  (bias) -> t; y resized by 1.5 x 2 (linear, half_pixel) -> u; y padded
  with 0.5 (1 row above, 2 columns right) -> q.
"""
import os
import sys

import numpy as np


def make(directory):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(26)

    def init(name, shape, scale, offset=0.0):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale + offset).astype(np.float32),
            name)

    inits = [
        init("w0", (8, 3, 3, 3), 0.3), init("b0", (8,), 0.1),
        init("gamma", (8,), 0.2, 1.0), init("beta", (8,), 0.1),
        init("mean", (8,), 0.1), init("var", (8,), 0.1, 1.0),
        init("wd", (8, 1, 3, 3), 0.3),
        init("wg", (8, 4, 3, 3), 0.3),
        init("wp", (8, 8, 1, 1), 0.3), init("bp", (8,), 0.1),
        init("w1d", (8, 8, 3), 0.3),
        init("wt", (8, 4, 2, 2), 0.3), init("bt", (4,), 0.1),
        numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "twice"),
        numpy_helper.from_array(np.array([1, 1, 1.5, 2], np.float32),
                                "uneven"),
        numpy_helper.from_array(np.zeros(0, np.float32), "roi"),
        numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 0, 2], np.int64),
                                "pads"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(np.array([0, 8, -1], np.int64), "flat"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], name="stem",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["c0", "gamma", "beta", "mean", "var"], ["bn"],
                         name="bn"),
        helper.make_node("Relu", ["bn"], ["r0"], name="relu"),
        helper.make_node("Conv", ["r0", "wd"], ["dw"], name="depthwise",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8,
                         strides=[2, 2]),
        helper.make_node("Conv", ["dw", "wg"], ["gc"], name="grouped",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2),
        helper.make_node("Conv", ["gc", "wp", "bp"], ["pw"], name="pointwise",
                         kernel_shape=[1, 1]),
        helper.make_node("MaxPool", ["pw"], ["mp"], name="maxpool",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["mp"], ["y"], name="avgpool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["y"], ["g"], name="global"),
        helper.make_node("Reshape", ["y", "flat"], ["seq"], name="flatten"),
        helper.make_node("Conv", ["seq", "w1d"], ["c1"], name="conv1d",
                         kernel_shape=[3], pads=[1, 1]),
        helper.make_node("Softmax", ["c1"], ["p"], name="softmax", axis=1),
        helper.make_node("Resize", ["y", "roi", "twice"], ["up"],
                         name="upsample", mode="nearest",
                         coordinate_transformation_mode="asymmetric",
                         nearest_mode="floor"),
        helper.make_node("ConvTranspose", ["up", "wt", "bt"], ["t"],
                         name="deconv", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Resize", ["y", "roi", "uneven"], ["u"],
                         name="linear", mode="linear"),
        helper.make_node("Pad", ["y", "pads", "half"], ["q"], name="pad"),
    ]
    graph = helper.make_graph(
        nodes, "dynamic_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", 3, "height", "width"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["batch", 8, "h2", "w2"]),
         helper.make_tensor_value_info("g", TensorProto.FLOAT,
                                       ["batch", 8, 1, 1]),
         helper.make_tensor_value_info("p", TensorProto.FLOAT,
                                       ["batch", 8, "hw"]),
         helper.make_tensor_value_info("t", TensorProto.FLOAT,
                                       ["batch", 4, "h4", "w4"]),
         helper.make_tensor_value_info("u", TensorProto.FLOAT,
                                       ["batch", 8, "h3", "w3"]),
         helper.make_tensor_value_info("q", TensorProto.FLOAT,
                                       ["batch", 8, "h5", "w5"])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(directory, "model.onnx"))
    for n, h, w in [(1, 8, 8), (2, 13, 21), (1, 5, 40), (1, 1, 1)]:
        np.save(os.path.join(directory, "x_%d_%d_%d.npy" % (n, h, w)),
                rng.standard_normal((n, 3, h, w)).astype(np.float32))


if __name__ == "__main__":
    make(sys.argv[1])
