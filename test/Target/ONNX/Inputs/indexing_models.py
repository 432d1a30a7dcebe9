"""Models for indexing.test: CumSum and ArgMax on dynamic dimensions (the
position ids a decoder export computes from its attention mask), and
models each with one bad use of an indexing op.

  indexing_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h


def save(directory, name, nodes, inputs, outputs, inits=()):
    graph = h.make_graph(nodes, name, inputs, outputs, list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    onnx.save(model, os.path.join(directory, name + ".onnx"))


def main():
    d = sys.argv[1]
    save(d, "positions",
         [h.make_node("CumSum", ["mask", "axis"], ["c"], name="cumsum"),
          h.make_node("Sub", ["c", "one"], ["pos"], name="sub"),
          h.make_node("ArgMax", ["x"], ["am"], axis=1, keepdims=0,
                      name="argmax"),
          h.make_node("ArgMin", ["x"], ["an"], axis=0, select_last_index=1,
                      name="argmin")],
         [h.make_tensor_value_info("mask", T.INT64, ["batch", "seq"]),
          h.make_tensor_value_info("x", T.FLOAT, ["batch", "seq"])],
         [h.make_tensor_value_info("pos", T.INT64, ["batch", "seq"]),
          h.make_tensor_value_info("am", T.INT64, ["batch"]),
          h.make_tensor_value_info("an", T.INT64, [1, "seq"])],
         [h.make_tensor("axis", T.INT64, [], [1]),
          h.make_tensor("one", T.INT64, [], [1])])
    np.save(os.path.join(d, "mask.npy"),
            np.array([[0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]], np.int64))
    x = np.random.default_rng(0).standard_normal((2, 7)).astype(np.float32)
    x[1, 3] = x[0, 3]  # a tie for select_last_index
    np.save(os.path.join(d, "x.npy"), x)

    f = h.make_tensor_value_info
    save(d, "tile_runtime_repeats",
         [h.make_node("Tile", ["x", "r"], ["y"], name="tile")],
         [f("x", T.FLOAT, [2, 3]), f("r", T.INT64, [2])],
         [f("y", T.FLOAT, [4, 6])])
    save(d, "depth_to_space_channels",
         [h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2,
                      name="d2s")],
         [f("x", T.FLOAT, [1, 6, 2, 2])], [f("y", T.FLOAT, [1, 1, 4, 4])])
    save(d, "gather_elements",
         [h.make_node("GatherElements", ["x", "i"], ["y"], axis=1,
                      name="ge")],
         [f("x", T.FLOAT, [2, 3]), f("i", T.INT64, [2, 2])],
         [f("y", T.FLOAT, [2, 2])])
    np.save(os.path.join(d, "ge_x.npy"),
            np.arange(6, dtype=np.float32).reshape(2, 3))
    np.save(os.path.join(d, "ge_i.npy"), np.array([[0, 2], [-1, 3]], np.int64))
    save(d, "scatter_nd",
         [h.make_node("ScatterND", ["x", "i", "u"], ["y"], reduction="add",
                      name="snd")],
         [f("x", T.FLOAT, [4, 3]), f("i", T.INT64, [2, 1]),
          f("u", T.FLOAT, [2, 3])], [f("y", T.FLOAT, [4, 3])])
    np.save(os.path.join(d, "snd_x.npy"), np.ones((4, 3), np.float32))
    np.save(os.path.join(d, "snd_i.npy"), np.array([[1], [-1]], np.int64))
    np.save(os.path.join(d, "snd_bad.npy"), np.array([[1], [4]], np.int64))
    save(d, "topk",
         [h.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, name="topk"),
          h.make_node("TopK", ["x", "k"], ["sv", "si"], axis=1, largest=0,
                      name="bottomk")],
         [f("x", T.FLOAT, ["batch", 6])],
         [f("v", T.FLOAT, ["batch", 3]), f("i", T.INT64, ["batch", 3]),
          f("sv", T.FLOAT, ["batch", 3]), f("si", T.INT64, ["batch", 3])],
         [h.make_tensor("k", T.INT64, [1], [3])])
    np.save(os.path.join(d, "topk_x.npy"),
            np.array([[3, 1, 3, 2, 5, 1], [0, -1, 4, 4, 4, -2]], np.float32))
    save(d, "nonzero_runtime",
         [h.make_node("NonZero", ["x"], ["y"], name="nz")],
         [f("x", T.FLOAT, [4])], [f("y", T.INT64, [1, None])])
    np.save(os.path.join(d, "snd_u.npy"),
            np.arange(6, dtype=np.float32).reshape(2, 3))


if __name__ == "__main__":
    main()
