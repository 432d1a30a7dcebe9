"""Rewrites a model as Paddle2ONNX exports them: every initializer becomes a
Constant node, and the bias of the Conv named `conv` is computed by the
graph (its constant times a Constant one), not a constant tensor.

  constant_weights.py IN.onnx OUT.onnx
"""
import sys

import onnx
from onnx import helper, numpy_helper
import numpy as np

model = onnx.load(sys.argv[1])
graph = model.graph
constants = [helper.make_node("Constant", [], [t.name], name="const_" + t.name,
                              value=t) for t in graph.initializer]
del graph.initializer[:]
nodes = list(graph.node)
conv = next(n for n in nodes if n.name == "conv")
one = helper.make_node("Constant", [], ["one"], name="const_one",
                       value=numpy_helper.from_array(np.float32(1.0), "one"))
computed = helper.make_node("Mul", [conv.input[2], "one"], ["conv_bias"],
                            name="conv_bias")
conv.input[2] = "conv_bias"
del graph.node[:]
graph.node.extend(constants + [one, computed] + nodes)
onnx.checker.check_model(model)
onnx.save(model, sys.argv[2])
