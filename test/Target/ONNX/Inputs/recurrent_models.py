"""Models with the recurrent ops RNN, GRU and LSTM (opset 14) for
recurrent-ops.test, and their inputs. Sequence and batch are dim_params
("seq", "batch"); every model has two input sets, PREFIX.* with seq 7 and
batch 4 (sequence_lens 7, 4, 1 and 0) and PREFIX1.* with seq 1 and batch 1:

  rnn.onnx       RNN bidirectional with B, sequence_lens and initial_h,
                 activations Tanh (forward) and Relu (reverse) -> y, y_h;
                 RNN forward, LeakyRelu (alpha 0.1) and clip 0.7, no B,
                 sequence_lens or initial_h -> y2, y_h2       (rnn.*, rnn1.*)
  gru.onnx       GRU forward, linear_before_reset 0, B -> y, y_h;
                 GRU reverse, linear_before_reset 1, B, sequence_lens and
                 initial_h -> y2, y_h2; GRU bidirectional with layout 1
                 (batch-major xb, hb, y3, y_h3), sequence_lens
                                                              (gru.*, gru1.*)
  lstm.onnx      LSTM bidirectional with B, peepholes P, sequence_lens,
                 initial_h and initial_c -> y, y_h, y_c; LSTM forward,
                 input_forget 1, activations HardSigmoid (alpha 0.3, beta
                 0.45), Tanh, Softsign, B -> y2, y_h2, y_c2; LSTM reverse
                 with layout 1 (batch-major xb, hb, cb, y3, y_h3, y_c3), B,
                 P and sequence_lens                          (lstm.*, lstm1.*)

ONNX Runtime's CPU kernels refuse layout 1 ("Batchwise recurrent operations
(layout == 1) are not supported"), so gru_ort.onnx and lstm_ort.onnx are the
same models with each layout-1 node spelled as Transpose, the layout-0 node
and Transpose back: same inputs, same output names, for ONNX Runtime only.

  recurrent_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

HIDDEN = 5
INPUT = 3
# Gates per op: W is [directions, GATES * hidden, input].
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def save(nodes, name, inputs, outputs, inits, path):
    graph = h.make_graph(nodes, name, inputs, outputs, inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 14)])
    onnx.save(model, path)


def time_major(node):
    """NODE (layout 1) as Transpose -> the node at layout 0 -> Transpose,
    with the same inputs and outputs, for ONNX Runtime."""
    ins = list(node.input)
    outs = list(node.output)
    attrs = {a.name: h.get_attribute_value(a) for a in node.attribute}
    attrs["layout"] = 0
    nodes = []
    # X [batch, seq, input] -> [seq, batch, input]; initial_h and initial_c
    # [batch, directions, hidden] -> [directions, batch, hidden].
    for i in (0, 5, 6):
        if i < len(ins) and ins[i]:
            nodes.append(h.make_node("Transpose", [ins[i]], [ins[i] + "_tm"],
                                     perm=[1, 0, 2]))
            ins[i] += "_tm"
    inner = [o + "_tm" if o else "" for o in outs]
    nodes.append(h.make_node(node.op_type, ins, inner, name=node.name + "_tm",
                             **attrs))
    # Y [seq, directions, batch, hidden] -> [batch, seq, directions, hidden];
    # Y_h and Y_c [directions, batch, hidden] -> [batch, directions, hidden].
    for i, (o, t) in enumerate(zip(outs, inner)):
        if o:
            perm = [2, 0, 1, 3] if i == 0 else [1, 0, 2]
            nodes.append(h.make_node("Transpose", [t], [o], perm=perm))
    return nodes


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(29)
    f = h.make_tensor_value_info
    npy = lambda name, a: np.save(os.path.join(d, name + ".npy"), a)
    normal = lambda *shape: rng.standard_normal(shape).astype(np.float32)

    def weights(prefix, op, directions, bias=True, peepholes=False):
        """Initializers W, R (and B, P) of OP, 0.5 * N(0, 1)."""
        g = GATES[op]
        inits = [
            numpy_helper.from_array(
                normal(directions, g * HIDDEN, INPUT) * 0.5, prefix + "W"),
            numpy_helper.from_array(
                normal(directions, g * HIDDEN, HIDDEN) * 0.5, prefix + "R")]
        if bias:
            inits.append(numpy_helper.from_array(
                normal(directions, 2 * g * HIDDEN) * 0.5, prefix + "B"))
        if peepholes:
            inits.append(numpy_helper.from_array(
                normal(directions, 3 * HIDDEN) * 0.5, prefix + "P"))
        return inits

    def input_sets(prefix, states, batch_major):
        """Two input sets PREFIX.* and PREFIX1.*: time-major x [seq, batch,
        input], if BATCH_MAJOR batch-major xb [batch, seq, input],
        sequence_lens, and STATES, a dict of name -> (directions, batch
        major?)."""
        # Batch 2 stops after 1 step, batch 3 has no steps at all.
        for p, seq, batch, lens in ((prefix, 7, 4, [7, 4, 1, 0]),
                                    (prefix + "1", 1, 1, [1])):
            npy(p + ".x", normal(seq, batch, INPUT))
            if batch_major:
                npy(p + ".xb", normal(batch, seq, INPUT))
            npy(p + ".lens", np.array(lens, np.int32))
            for name, (directions, bm) in states.items():
                npy(p + "." + name, normal(batch, directions, HIDDEN) if bm
                    else normal(directions, batch, HIDDEN))

    x = f("x", T.FLOAT, ["seq", "batch", INPUT])
    xb = f("xb", T.FLOAT, ["batch", "seq", INPUT])
    lens = f("lens", T.INT32, ["batch"])
    state = lambda name, n: f(name, T.FLOAT, [n, "batch", HIDDEN])
    state_b = lambda name, n: f(name, T.FLOAT, ["batch", n, HIDDEN])

    def outputs(suffix, directions, states=1, batch_major=False):
        """Y, Y_h (and Y_c if STATES is 2) of a node, named y, y_h, y_c
        with SUFFIX."""
        if batch_major:
            y = ["batch", "seq", directions, HIDDEN]
            last = ["batch", directions, HIDDEN]
        else:
            y = ["seq", directions, "batch", HIDDEN]
            last = [directions, "batch", HIDDEN]
        return ([f("y" + suffix, T.FLOAT, y), f("y_h" + suffix, T.FLOAT, last)]
                + [f("y_c" + suffix, T.FLOAT, last)] * (states - 1))

    # RNN.
    nodes = [
        h.make_node("RNN", ["x", "W", "R", "B", "lens", "h0"], ["y", "y_h"],
                    hidden_size=HIDDEN, direction="bidirectional",
                    activations=["Tanh", "Relu"], name="rnn_bidirectional"),
        h.make_node("RNN", ["x", "leaky_W", "leaky_R"], ["y2", "y_h2"],
                    hidden_size=HIDDEN, activations=["LeakyRelu"],
                    activation_alpha=[0.1], clip=0.7, name="rnn_leaky"),
    ]
    save(nodes, "rnn", [x, lens, state("h0", 2)],
         outputs("", 2) + outputs("2", 1),
         weights("", "RNN", 2) + weights("leaky_", "RNN", 1, bias=False),
         os.path.join(d, "rnn.onnx"))
    input_sets("rnn", {"h0": (2, False)}, False)

    # GRU.
    nodes = [
        h.make_node("GRU", ["x", "W", "R", "B"], ["y", "y_h"],
                    hidden_size=HIDDEN, linear_before_reset=0,
                    name="gru_forward"),
        h.make_node("GRU", ["x", "rev_W", "rev_R", "rev_B", "lens", "h0"],
                    ["y2", "y_h2"], hidden_size=HIDDEN, direction="reverse",
                    linear_before_reset=1, name="gru_reverse"),
    ]
    batch_major = h.make_node(
        "GRU", ["xb", "bm_W", "bm_R", "bm_B", "lens", "hb"], ["y3", "y_h3"],
        hidden_size=HIDDEN, direction="bidirectional", layout=1,
        name="gru_batch_major")
    graph_inputs = [x, xb, lens, state("h0", 1), state_b("hb", 2)]
    inits = (weights("", "GRU", 1) + weights("rev_", "GRU", 1)
             + weights("bm_", "GRU", 2))
    outs = (outputs("", 1) + outputs("2", 1)
            + outputs("3", 2, batch_major=True))
    save(nodes + [batch_major], "gru", graph_inputs, outs, inits,
         os.path.join(d, "gru.onnx"))
    save(nodes + time_major(batch_major), "gru_ort", graph_inputs, outs,
         inits, os.path.join(d, "gru_ort.onnx"))
    input_sets("gru", {"h0": (1, False), "hb": (2, True)}, True)

    # LSTM.
    nodes = [
        h.make_node("LSTM", ["x", "W", "R", "B", "lens", "h0", "c0", "P"],
                    ["y", "y_h", "y_c"], hidden_size=HIDDEN,
                    direction="bidirectional", name="lstm_bidirectional"),
        # HardSigmoid comes first, so that its alpha and beta are the first
        # of activation_alpha/beta however they are read (one per activation
        # or one per activation that takes one).
        h.make_node("LSTM", ["x", "cpl_W", "cpl_R", "cpl_B"],
                    ["y2", "y_h2", "y_c2"], hidden_size=HIDDEN,
                    input_forget=1,
                    activations=["HardSigmoid", "Tanh", "Softsign"],
                    activation_alpha=[0.3], activation_beta=[0.45],
                    name="lstm_coupled"),
    ]
    batch_major = h.make_node(
        "LSTM", ["xb", "bm_W", "bm_R", "bm_B", "lens", "hb", "cb", "bm_P"],
        ["y3", "y_h3", "y_c3"], hidden_size=HIDDEN, direction="reverse",
        layout=1, name="lstm_batch_major")
    graph_inputs = [x, xb, lens, state("h0", 2), state("c0", 2),
                    state_b("hb", 1), state_b("cb", 1)]
    inits = (weights("", "LSTM", 2, peepholes=True)
             + weights("cpl_", "LSTM", 1)
             + weights("bm_", "LSTM", 1, peepholes=True))
    outs = (outputs("", 2, 2) + outputs("2", 1, 2)
            + outputs("3", 1, 2, batch_major=True))
    save(nodes + [batch_major], "lstm", graph_inputs, outs, inits,
         os.path.join(d, "lstm.onnx"))
    save(nodes + time_major(batch_major), "lstm_ort", graph_inputs, outs,
         inits, os.path.join(d, "lstm_ort.onnx"))
    input_sets("lstm", {"h0": (2, False), "c0": (2, False),
                        "hb": (1, True), "cb": (1, True)}, True)


main()
