#!/usr/bin/env python3
"""Writes hostile ONNX models into a folder: shapes of 2^40 elements, a huge
string attribute, 100k-node graphs (a chain and a cycle), duplicate names,
overflowing reshapes and external data that is not a regular file. Each
must be rejected with a clear error (or, for the chain, imported) in
bounded time and memory."""

import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

BIG = [1 << 20, 1 << 20]  # 2^40 elements
vi = helper.make_tensor_value_info


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", 13)])


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def chain(n, cycle):
    """n Relu nodes in a row; with `cycle`, the first reads the last."""
    names = ["v%d" % i for i in range(n + 1)]
    names[0] = "y" if cycle else "x"
    names[n] = "y"
    nodes = [helper.make_node("Relu", [names[i]], [names[i + 1]])
             for i in range(n)]
    return model(nodes, [vi("x", TensorProto.FLOAT, [1, 4])],
                 [vi("y", TensorProto.FLOAT, [1, 4])])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    small = [vi("x", TensorProto.FLOAT, [1, 4])]
    anything = [vi("y", TensorProto.FLOAT, None)]
    w = numpy_helper.from_array(np.ones((1, 4), np.float32), "w")
    huge_w = onnx.TensorProto()
    huge_w.name, huge_w.data_type = "w", TensorProto.FLOAT
    huge_w.dims.extend(BIG)
    fifo = onnx.TensorProto()
    fifo.name, fifo.data_type = "w", TensorProto.FLOAT
    fifo.dims.extend([1, 4])
    fifo.data_location = TensorProto.EXTERNAL
    entry = fifo.external_data.add()
    entry.key, entry.value = "location", "pipe"
    os.mkfifo(os.path.join(out, "pipe"))
    cases = {
        "huge_input.onnx": model(
            [helper.make_node("Relu", ["x"], ["y"])],
            [vi("x", TensorProto.FLOAT, BIG)], anything),
        "huge_initializer.onnx": model(
            [helper.make_node("Add", ["x", "w"], ["y"])], small, anything,
            [huge_w]),
        "huge_constant_of_shape.onnx": model(
            [helper.make_node("ConstantOfShape", ["s"], ["y"])], [], anything,
            [ints("s", BIG)]),
        "huge_expand.onnx": model(
            [helper.make_node("Expand", ["x", "s"], ["y"])], small, anything,
            [ints("s", [1 << 20, 1 << 20, 4])]),
        "overflow_reshape.onnx": model(
            [helper.make_node("Reshape", ["x", "s"], ["y"])], small, anything,
            [ints("s", [1 << 62, 1 << 62, -1])]),
        "huge_string.onnx": model(
            [helper.make_node("Conv", ["x4", "k"], ["y"],
                              auto_pad="Q" * (1 << 17))],
            [vi("x4", TensorProto.FLOAT, [1, 1, 4, 4])], anything,
            [numpy_helper.from_array(np.ones((1, 1, 1, 1), np.float32),
                                     "k")]),
        "duplicate_initializer.onnx": model(
            [helper.make_node("Add", ["x", "w"], ["y"])], small, anything,
            [w, w]),
        "duplicate_input.onnx": model(
            [helper.make_node("Relu", ["x"], ["y"])], small + small,
            anything),
        "fifo.onnx": model(
            [helper.make_node("Add", ["x", "w"], ["y"])], small, anything,
            [fifo]),
        "chain_100k.onnx": chain(100000, cycle=False),
        "cycle_100k.onnx": chain(100000, cycle=True),
    }
    for name, m in cases.items():
        onnx.save(m, os.path.join(out, name))


if __name__ == "__main__":
    main()
