"""The opset 18 forms of ops whose attributes became inputs (Reduce* axes,
Pad axes) or gained attributes (Split num_outputs, Resize's antialias and
keep_aspect_ratio_policy), and the normalizations ONNX tests only at
opset 6 (InstanceNormalization) or after the installed data
(GroupNormalization, opsets 18 and 21), for opset18.test: one model each, with an
input x.npy beside it.

  opset18_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(1)
    f = h.make_tensor_value_info
    axes = lambda *a: h.make_tensor("axes", T.INT64, [len(a)], list(a))

    def save(name, node, x_shape, outputs, inits=(), opset=18,
             positive=False):
        folder = os.path.join(d, name)
        os.makedirs(folder, exist_ok=True)
        graph = h.make_graph([node], name, [f("x", T.FLOAT, x_shape)],
                             [f(n, T.FLOAT, None) for n in outputs],
                             list(inits))
        onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", opset)]),
                  os.path.join(folder, "model.onnx"))
        x = rng.standard_normal(x_shape).astype(np.float32)
        np.save(os.path.join(folder, "x.npy"), np.abs(x) if positive else x)

    for op in ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
               "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
               "ReduceLogSumExp", "ReduceSumSquare"):
        save(op.lower(), h.make_node(op, ["x", "axes"], ["y"], keepdims=0,
                                     name="r"), [2, 3, 4], ["y"], [axes(1)],
             positive=op == "ReduceLogSum")
    save("reducelogsumexp_keepdims",
         h.make_node("ReduceLogSumExp", ["x", "axes"], ["y"], name="r"),
         [2, 3, 4], ["y"], [axes(0, 2)])
    save("reducemean_all", h.make_node("ReduceMean", ["x"], ["y"], name="r"),
         [2, 3, 4], ["y"])
    save("reducesum_noop", h.make_node("ReduceSum", ["x", "axes"], ["y"],
                                       noop_with_empty_axes=1, name="r"),
         [2, 3], ["y"], [h.make_tensor("axes", T.INT64, [0], [])])
    save("split_num_outputs",
         h.make_node("Split", ["x"], ["a", "b", "c"], axis=2, num_outputs=3,
                     name="s"), [2, 3, 8], ["a", "b", "c"])
    save("pad_axes",
         h.make_node("Pad", ["x", "pads", "value", "axes"], ["y"],
                     mode="constant", name="p"), [2, 3], ["y"],
         [h.make_tensor("pads", T.INT64, [2], [1, 2]),
          h.make_tensor("value", T.FLOAT, [], [0.5]), axes(1)])
    vec = lambda name, n: h.make_tensor(
        name, T.FLOAT, [n], list(rng.standard_normal(n).astype(float)))
    save("instancenorm",
         h.make_node("InstanceNormalization", ["x", "s", "b"], ["y"],
                     epsilon=1e-3, name="n"), [2, 4, 3, 5], ["y"],
         [vec("s", 4), vec("b", 4)], opset=17)
    save("groupnorm_groups",
         h.make_node("GroupNormalization", ["x", "s", "b"], ["y"],
                     num_groups=2, name="n"), [2, 4, 3, 5], ["y"],
         [vec("s", 2), vec("b", 2)], opset=18)
    save("groupnorm_channels",
         h.make_node("GroupNormalization", ["x", "s", "b"], ["y"],
                     num_groups=2, epsilon=1e-2, name="n"), [2, 4, 3, 5],
         ["y"], [vec("s", 4), vec("b", 4)], opset=21)
    # Attributes tern refuses (opset18.test checks the diagnostics).
    for name, attrs, inputs, inits in (
            ("resize_antialias", {"antialias": 1, "mode": "linear"},
             ["x", "", "scales"],
             [h.make_tensor("scales", T.FLOAT, [4], [1, 1, 2, 2])]),
            ("resize_policy", {"keep_aspect_ratio_policy": "not_smaller"},
             ["x", "", "", "sizes"],
             [h.make_tensor("sizes", T.INT64, [4], [1, 1, 6, 6])])):
        graph = h.make_graph([h.make_node("Resize", inputs, ["y"], name="z",
                                          **attrs)], name,
                             [f("x", T.FLOAT, [1, 1, 3, 4])],
                             [f("y", T.FLOAT, None)], inits)
        onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 18)]),
                  os.path.join(d, name + ".onnx"))
    save("resize_nearest",
         h.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest",
                     name="z"), [1, 1, 3, 4], ["y"],
         [h.make_tensor("scales", T.FLOAT, [4], [1, 1, 2, 2])])
    save("resize_linear",
         h.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                     name="z"), [1, 2, 3, 4], ["y"],
         [h.make_tensor("scales", T.FLOAT, [4], [1, 1, 2.5, 1.5])])
    save("resize_linear_sizes",
         h.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="linear",
                     coordinate_transformation_mode="align_corners",
                     name="z"), [1, 2, 3, 4], ["y"],
         [h.make_tensor("sizes", T.INT64, [4], [1, 2, 7, 5])])


if __name__ == "__main__":
    main()
