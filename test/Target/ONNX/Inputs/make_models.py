#!/usr/bin/env python3
"""Writes the binary ONNX models the importer tests need into a folder:
a small valid model, models with external data (valid and escaping the
model's folder), and broken files."""

import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def linear(weight_tensor):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")
    graph = helper.make_graph([node], "g", [x], [y], [weight_tensor])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def external(name, location, offset=0, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend([8, 4])
    t.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset)}
    if length is not None:
        entries["length"] = str(length)
    for k, v in entries.items():
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "model"), exist_ok=True)
    weights = np.arange(32, dtype=np.float32).reshape(8, 4)
    onnx.save(linear(numpy_helper.from_array(weights, "w")),
              os.path.join(out, "model", "valid.onnx"))
    # External data: 16 bytes of padding, then the weights.
    with open(os.path.join(out, "model", "weights.bin"), "wb") as f:
        f.write(b"\0" * 16 + weights.tobytes())
    with open(os.path.join(out, "secret.bin"), "wb") as f:
        f.write(weights.tobytes())
    os.symlink(os.path.join(out, "secret.bin"),
               os.path.join(out, "model", "link.bin"))
    cases = {
        "external.onnx": external("w", "weights.bin", 16, 128),
        "escape_dotdot.onnx": external("w", "../secret.bin"),
        "escape_absolute.onnx": external("w", os.path.join(out, "secret.bin")),
        "escape_symlink.onnx": external("w", "link.bin"),
        "past_end.onnx": external("w", "weights.bin", 40, 128),
        "missing.onnx": external("w", "nowhere.bin"),
    }
    for name, tensor in cases.items():
        onnx.save(linear(tensor), os.path.join(out, "model", name))
    # Broken files.
    data = open(os.path.join(out, "model", "valid.onnx"), "rb").read()
    open(os.path.join(out, "model", "truncated.onnx"), "wb").write(data[:len(data) // 2])
    open(os.path.join(out, "model", "garbage.onnx"), "wb").write(b"\xff\xfe\x00junk" * 8)
    bad = linear(numpy_helper.from_array(weights, "w"))
    del bad.graph.initializer[0].dims[:]
    bad.graph.initializer[0].dims.extend([8, -4])
    onnx.save(bad, os.path.join(out, "model", "negative_dim.onnx"))
    huge = linear(numpy_helper.from_array(weights, "w"))
    del huge.graph.initializer[0].dims[:]
    huge.graph.initializer[0].dims.extend([1 << 50, 4])
    onnx.save(huge, os.path.join(out, "model", "absurd_dim.onnx"))
    short = linear(numpy_helper.from_array(weights, "w"))
    short.graph.initializer[0].raw_data = short.graph.initializer[0].raw_data[:12]
    onnx.save(short, os.path.join(out, "model", "short_data.onnx"))


if __name__ == "__main__":
    main()
