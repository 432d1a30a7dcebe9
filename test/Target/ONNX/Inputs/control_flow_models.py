"""Models with the control-flow ops If, Loop and Scan (opset 14) for
control-flow.test, and their inputs. The bodies read values of the scopes
around them: graph inputs, initializers and values of an enclosing branch.

  if.onnx    If on cond, x [n, 4] -> y [n, 4], z [n]:
               then: t = (x + w) * 2; y = If(cond2) (then: t * x, else:
                     t - w), nested; z = ReduceMax(t, axis 1)
               else: y = (x - w) @ wm; z = ReduceMin(y, axis 1)
             if.* (cond, cond2 true), if1.* (cond true, cond2 false),
             if2.* (cond false)
  loop.onnx  Three Loops carrying v (from x [n, 4]), each iteration i
             v = v + x @ w + float(i), scanning out every v [iterations, n,
             4]; the body's cond_out is sum(v) < limit:
               loop        M and cond          -> v, vs
               loop_for    M only (cond "", the body passes its cond on)
                                               -> v2, vs2
               loop_while  cond only (M "")    -> v3, vs3
             loop.* (n 3; loop stops at M = 4, loop_while at the limit
             after 14), loop1.* (n 2; loop stops at the limit after 3 of
             M = 10), loop2.* (n 1; cond false: loop and loop_while run
             no iteration, loop_for 3)
  scan.onnx  Scan with a state s [m, 4] (from s0) and scan inputs a [seq,
             m, 4] (axis 0) and b [m, seq, 4] (axis 1, reversed):
             p = a_t * b_t; s = s + p; scan outputs o1 = 2 * s + bias
             (axis 0) and o2 = p (axis 2, reversed) -> s, o1, o2;
             and a Scan with no state on c [m, 4, seq] (axis -1):
             c_t * s0 stacked on axis -1 -> o3
             scan.* (seq 5, m 3), scan1.* (seq 1, m 2)

ONNX Runtime gives a loop that runs no iteration a scan output of shape
(0, 0, 4) here, its body's dim_param n taken as 0 (of shape (0) when the
body's output has no shape), not (0, n, 4): the scan outputs of loop2.* are
not compared. And it dies on a Scan over a sequence of 0 (SIGFPE), so no
input set has one.

  control_flow_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

K = 4


def save(nodes, name, inputs, outputs, inits, path):
    graph = h.make_graph(nodes, name, inputs, outputs, inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 14)])
    onnx.save(model, path)


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(31)
    f = h.make_tensor_value_info
    npy = lambda name, a: np.save(os.path.join(d, name + ".npy"), a)
    normal = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    array = numpy_helper.from_array
    scalar = lambda value, dtype: np.array(value, dtype)

    # If, with an If nested in its then-branch.
    inner_then = h.make_graph(
        [h.make_node("Mul", ["t", "x"], ["y_tt"], name="inner_mul")],
        "inner_then", [], [f("y_tt", T.FLOAT, ["n", K])])
    inner_else = h.make_graph(
        [h.make_node("Sub", ["t", "w"], ["y_te"], name="inner_sub")],
        "inner_else", [], [f("y_te", T.FLOAT, ["n", K])])
    then_branch = h.make_graph(
        [h.make_node("Add", ["x", "w"], ["xw"], name="then_add"),
         h.make_node("Mul", ["xw", "two"], ["t"], name="then_mul"),
         h.make_node("If", ["cond2"], ["y_t"], then_branch=inner_then,
                     else_branch=inner_else, name="inner_if"),
         h.make_node("ReduceMax", ["t"], ["z_t"], axes=[1], keepdims=0,
                     name="then_max")],
        "then", [], [f("y_t", T.FLOAT, ["n", K]), f("z_t", T.FLOAT, ["n"])],
        # An initializer of the branch itself.
        [array(scalar(2, np.float32), "two")])
    else_branch = h.make_graph(
        [h.make_node("Sub", ["x", "w"], ["xs"], name="else_sub"),
         h.make_node("MatMul", ["xs", "wm"], ["y_e"], name="else_matmul"),
         h.make_node("ReduceMin", ["y_e"], ["z_e"], axes=[1], keepdims=0,
                     name="else_min")],
        "else", [], [f("y_e", T.FLOAT, ["n", K]), f("z_e", T.FLOAT, ["n"])])
    node = h.make_node("If", ["cond"], ["y", "z"], then_branch=then_branch,
                       else_branch=else_branch, name="if")
    save([node], "if",
         [f("cond", T.BOOL, []), f("cond2", T.BOOL, []),
          f("x", T.FLOAT, ["n", K])],
         [f("y", T.FLOAT, ["n", K]), f("z", T.FLOAT, ["n"])],
         [array(normal(K), "w"), array(normal(K, K), "wm")],
         os.path.join(d, "if.onnx"))
    for prefix, cond, cond2, n in (("if", True, True, 3),
                                   ("if1", True, False, 2),
                                   ("if2", False, True, 1)):
        npy(prefix + ".cond", scalar(cond, bool))
        npy(prefix + ".cond2", scalar(cond2, bool))
        npy(prefix + ".x", normal(n, K))

    # Loop.
    def body(name, cond_out):
        """The loop body: i, cond_in, v -> cond_out, v_out, scan_out."""
        nodes = [
            h.make_node("Cast", ["i"], ["fi"], to=T.FLOAT,
                        name=name + "_cast_i"),
            h.make_node("MatMul", ["x", "w"], ["xw"], name=name + "_matmul"),
            h.make_node("Add", ["v", "xw"], ["vxw"], name=name + "_add_xw"),
            h.make_node("Add", ["vxw", "fi"], ["v_out"], name=name + "_add_i"),
            h.make_node("Identity", ["v_out"], ["scan_out"],
                        name=name + "_scan_v"),
        ]
        if cond_out:
            nodes += [
                h.make_node("ReduceSum", ["v_out"], ["sum"], keepdims=0,
                            name=name + "_sum"),
                h.make_node("Less", ["sum", "limit"], ["cond_out"],
                            name=name + "_below_limit")]
        else:
            nodes.append(h.make_node("Identity", ["cond_in"], ["cond_out"],
                                     name=name + "_pass_cond"))
        return h.make_graph(
            nodes, name,
            [f("i", T.INT64, []), f("cond_in", T.BOOL, []),
             f("v", T.FLOAT, ["n", K])],
            [f("cond_out", T.BOOL, []), f("v_out", T.FLOAT, ["n", K]),
             f("scan_out", T.FLOAT, ["n", K])])

    nodes = [
        h.make_node("Loop", ["M", "cond", "x"], ["v", "vs"],
                    body=body("body", True), name="loop"),
        h.make_node("Loop", ["M", "", "x"], ["v2", "vs2"],
                    body=body("body_for", False), name="loop_for"),
        h.make_node("Loop", ["", "cond", "x"], ["v3", "vs3"],
                    body=body("body_while", True), name="loop_while"),
    ]
    save(nodes, "loop",
         [f("M", T.INT64, []), f("cond", T.BOOL, []),
          f("limit", T.FLOAT, []), f("x", T.FLOAT, ["n", K])],
         [f("v", T.FLOAT, ["n", K]), f("vs", T.FLOAT, [None, "n", K]),
          f("v2", T.FLOAT, ["n", K]), f("vs2", T.FLOAT, [None, "n", K]),
          f("v3", T.FLOAT, ["n", K]), f("vs3", T.FLOAT, [None, "n", K])],
         [array(normal(K, K) * 0.5, "w")],
         os.path.join(d, "loop.onnx"))
    # Each limit lies well between the sums of v of two iterations.
    for prefix, m, cond, limit, n in (("loop", 4, True, 1000.0, 3),
                                      ("loop1", 10, True, 15.0, 2),
                                      ("loop2", 3, False, 15.0, 1)):
        npy(prefix + ".M", scalar(m, np.int64))
        npy(prefix + ".cond", scalar(cond, bool))
        npy(prefix + ".limit", scalar(limit, np.float32))
        npy(prefix + ".x", normal(n, K))

    # Scan.
    body = h.make_graph(
        [h.make_node("Mul", ["a_t", "b_t"], ["p"], name="product"),
         h.make_node("Add", ["s", "p"], ["s_out"], name="accumulate"),
         h.make_node("Mul", ["s_out", "two"], ["s2"], name="double"),
         h.make_node("Add", ["s2", "bias"], ["o1_t"], name="add_bias"),
         h.make_node("Identity", ["p"], ["o2_t"], name="scan_p")],
        "body",
        [f("s", T.FLOAT, ["m", K]), f("a_t", T.FLOAT, ["m", K]),
         f("b_t", T.FLOAT, ["m", K])],
        [f("s_out", T.FLOAT, ["m", K]), f("o1_t", T.FLOAT, ["m", K]),
         f("o2_t", T.FLOAT, ["m", K])],
        [array(scalar(2, np.float32), "two")])
    map_body = h.make_graph(
        [h.make_node("Mul", ["c_t", "s0"], ["o3_t"], name="scale")],
        "map_body", [f("c_t", T.FLOAT, ["m", K])],
        [f("o3_t", T.FLOAT, ["m", K])])
    nodes = [
        h.make_node("Scan", ["s0", "a", "b"], ["s", "o1", "o2"], body=body,
                    num_scan_inputs=2, scan_input_axes=[0, 1],
                    scan_input_directions=[0, 1], scan_output_axes=[0, 2],
                    scan_output_directions=[0, 1], name="scan"),
        h.make_node("Scan", ["c"], ["o3"], body=map_body, num_scan_inputs=1,
                    scan_input_axes=[-1], scan_output_axes=[-1],
                    name="scan_map"),
    ]
    save(nodes, "scan",
         [f("s0", T.FLOAT, ["m", K]), f("a", T.FLOAT, ["seq", "m", K]),
          f("b", T.FLOAT, ["m", "seq", K]), f("c", T.FLOAT, ["m", K, "seq"])],
         [f("s", T.FLOAT, ["m", K]), f("o1", T.FLOAT, ["seq", "m", K]),
          f("o2", T.FLOAT, ["m", K, "seq"]),
          f("o3", T.FLOAT, ["m", K, "seq"])],
         [array(normal(K), "bias")],
         os.path.join(d, "scan.onnx"))
    for prefix, seq, m in (("scan", 5, 3), ("scan1", 1, 2)):
        npy(prefix + ".s0", normal(m, K))
        npy(prefix + ".a", normal(seq, m, K))
        npy(prefix + ".b", normal(m, seq, K))
        npy(prefix + ".c", normal(m, K, seq))


main()
