#!/usr/bin/env python3
"""Writes a LLaMA-shaped decoder as ONNX with random weights in external
data, for the scale benchmark (scripts/bench-scale.sh) and its small-size
test. The default shape is LLaMA-3.2-1B's with a 32k vocabulary:

  dim 2048, 16 layers, 32 heads, 8 key/value heads, hidden 8192,
  vocab 32000: 1.10 B parameters, 4.4 GB of float32 weights.

Each block: RMSNorm, q/k/v projections, rotary embeddings, grouped-query
causal attention, output projection, residual; RMSNorm, SwiGLU MLP,
residual. Then a final RMSNorm and the vocabulary projection. The input is
`tokens` (int64, 1 x SEQ), the output `logits` (1 x SEQ x VOCAB).

With --layout past it is the decoder-with-past layout torch.onnx and HF
Optimum exports use, with dynamic batch, sequence and past axes (what
tern-generate runs):

  inputs   input_ids [batch, seq] int64, attention_mask [batch, past+seq]
           int64, position_ids [batch, seq] int64,
           past_key_values.I.key|value [batch, kv_heads, past, head_dim] f32
  outputs  logits [batch, seq, vocab] f32, present.I.key|value
           [batch, kv_heads, past+seq, head_dim] f32

Rotary tables are gathered at position_ids; the causal mask (a query at
position past+q sees keys 0..past+q) is added to the padding mask of
attention_mask, both computed from the input sizes when the model runs.
--preset tinyllama sets TinyLlama-1.1B's shape (vocab 32000, dim 2048,
FFN 5632, 22 layers, 32 heads, 4 key/value heads).

Weights are generated one tensor at a time and appended to weights.bin, so
the script never holds more than the largest tensor.

  make-llama.py OUT_DIR [--dim 2048] [--layers 16] ... [--seq 16]
                [--layout static|past] [--preset tinyllama]
"""

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Writer:
    """Builds the graph; large tensors go to OUT_DIR/weights.bin."""

    def __init__(self, out, seed):
        self.out = out
        self.nodes = []
        self.initializers = []
        self.params = 0
        self.rng = np.random.default_rng(seed)
        self.bin = open(os.path.join(out, "weights.bin"), "wb")
        self.counter = 0

    def name(self, prefix):
        self.counter += 1
        return "%s_%d" % (prefix, self.counter)

    def weight(self, name, shape, scale):
        """A random float32 weight in external data."""
        count = int(np.prod(shape))
        self.params += count
        offset = self.bin.tell()
        chunk = 1 << 24
        for start in range(0, count, chunk):
            n = min(chunk, count - start)
            values = self.rng.standard_normal(n, dtype=np.float32)
            (values * np.float32(scale)).tofile(self.bin)
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        for key, value in (("location", "weights.bin"),
                           ("offset", str(offset)),
                           ("length", str(count * 4))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        self.initializers.append(t)
        return name

    def const(self, array, prefix="c"):
        """A small inline constant."""
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type, inputs, prefix=None, **attrs):
        out = self.name(prefix or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out],
                                           name=out, **attrs))
        return out


def rms_norm(w, x, dim, prefix):
    gain = w.const(np.ones(dim, np.float32), prefix + "_gain")
    square = w.op("Mul", [x, x])
    mean = w.op("ReduceMean", [square], axes=[-1], keepdims=1)
    eps = w.const(np.array(1e-5, np.float32))
    root = w.op("Sqrt", [w.op("Add", [mean, eps])])
    return w.op("Mul", [w.op("Div", [x, root]), gain])


def rotary(w, x, cos, sin, half):
    """x * cos + rotate_half(x) * sin over the last dim (head_dim)."""
    axes = w.const(np.array([-1], np.int64))
    first = w.op("Slice", [x, w.const(np.array([0], np.int64)),
                           w.const(np.array([half], np.int64)), axes])
    second = w.op("Slice", [x, w.const(np.array([half], np.int64)),
                            w.const(np.array([2 * half], np.int64)), axes])
    rotated = w.op("Concat", [w.op("Neg", [second]), first], axis=-1)
    return w.op("Add", [w.op("Mul", [x, cos]), w.op("Mul", [rotated, sin])])


def heads(w, x, count, head_dim):
    """[B, S, count*hd] -> [B, count, S, hd]."""
    shape = w.const(np.array([0, 0, count, head_dim], np.int64))
    return w.op("Transpose", [w.op("Reshape", [x, shape])], perm=[0, 2, 1, 3])


def block(w, x, args, layer, cos, sin, mask, past=None):
    """One decoder block; with `past` (the layer's cache inputs and outputs
    by name), keys and values are appended to the cache and returned."""
    d, hd = args.dim, args.dim // args.heads
    kv = args.kv_heads * hd
    p = "layers.%d" % layer
    h = rms_norm(w, x, d, p + ".attn_norm")
    q = w.op("MatMul", [h, w.weight(p + ".wq", [d, d], d ** -0.5)], "q")
    k = w.op("MatMul", [h, w.weight(p + ".wk", [d, kv], d ** -0.5)], "k")
    v = w.op("MatMul", [h, w.weight(p + ".wv", [d, kv], d ** -0.5)], "v")
    q = rotary(w, heads(w, q, args.heads, hd), cos, sin, hd // 2)
    k = rotary(w, heads(w, k, args.kv_heads, hd), cos, sin, hd // 2)
    v = heads(w, v, args.kv_heads, hd)
    if past:
        k = w.op("Concat", [past["key"], k], axis=2)
        v = w.op("Concat", [past["value"], v], axis=2)
        w.nodes[-2].output[0] = past["present.key"]
        w.nodes[-1].output[0] = past["present.value"]
        k, v = past["present.key"], past["present.value"]
    # Grouped-query attention: each key/value head serves `group` heads.
    group = args.heads // args.kv_heads
    if group > 1:
        # [B, kv, T, hd] -> [B, kv, group, T, hd] -> [B, heads, T, hd].
        def repeat(t):
            t = w.op("Unsqueeze", [t, w.const(np.array([2], np.int64))])
            t = w.op("Expand", [t, w.const(np.array(
                [1, 1, group, 1, 1], np.int64))])
            return w.op("Reshape", [t, w.const(np.array(
                [0, args.heads, -1, hd], np.int64))])
        k, v = repeat(k), repeat(v)
    scores = w.op("MatMul", [q, w.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scores = w.op("Mul", [scores, w.const(np.array(hd ** -0.5, np.float32))])
    probs = w.op("Softmax", [w.op("Add", [scores, mask])], axis=-1)
    attn = w.op("Transpose", [w.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    attn = w.op("Reshape", [attn, w.const(np.array([0, 0, d], np.int64))])
    out = w.op("MatMul", [attn, w.weight(p + ".wo", [d, d], d ** -0.5)], "o")
    x = w.op("Add", [x, out], "residual")
    h = rms_norm(w, x, d, p + ".mlp_norm")
    f = args.hidden
    gate = w.op("MatMul", [h, w.weight(p + ".w_gate", [d, f], d ** -0.5)],
                "gate")
    up = w.op("MatMul", [h, w.weight(p + ".w_up", [d, f], d ** -0.5)], "up")
    act = w.op("Mul", [w.op("Mul", [gate, w.op("Sigmoid", [gate])]), up])
    down = w.op("MatMul", [act, w.weight(p + ".w_down", [f, d], f ** -0.5)],
                "down")
    return w.op("Add", [x, down], "residual")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--heads", type=int, default=32)
    parser.add_argument("--kv-heads", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=8192)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--seq", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layout", choices=["static", "past"],
                        default="static")
    parser.add_argument("--max-positions", type=int, default=2048,
                        help="rotary table size of the past layout")
    parser.add_argument("--preset", choices=["tinyllama"])
    args = parser.parse_args()
    if args.preset == "tinyllama":
        args.vocab, args.dim, args.hidden = 32000, 2048, 5632
        args.layers, args.heads, args.kv_heads = 22, 32, 4
    if args.dim % args.heads or args.heads % args.kv_heads or \
            (args.dim // args.heads) % 2:
        parser.error("dim must split into heads of even size, heads into "
                     "key/value heads")
    os.makedirs(args.out, exist_ok=True)
    w = Writer(args.out, args.seed)
    if args.layout == "past":
        return write_past(w, args)
    s, hd = args.seq, args.dim // args.heads

    # Rotary tables for positions 0..S-1, and the causal mask.
    inv = 1.0 / (10000.0 ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    angles = np.outer(np.arange(s), inv)
    angles = np.concatenate([angles, angles], axis=-1)
    cos = w.const(np.cos(angles).astype(np.float32), "rope_cos")
    sin = w.const(np.sin(angles).astype(np.float32), "rope_sin")
    mask = w.const(np.triu(np.full((s, s), -1e9, np.float32), 1), "mask")

    embedding = w.weight("embedding", [args.vocab, args.dim], 1.0)
    x = w.op("Gather", [embedding, "tokens"], "embed", axis=0)
    for layer in range(args.layers):
        x = block(w, x, args, layer, cos, sin, mask)
    x = rms_norm(w, x, args.dim, "final_norm")
    logits = w.op("MatMul", [x, w.weight("lm_head", [args.dim, args.vocab],
                                          args.dim ** -0.5)], "lm_head")
    w.nodes[-1].output[0] = "logits"
    w.bin.close()

    graph = helper.make_graph(
        w.nodes, "llama",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, s])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       [1, s, args.vocab])],
        w.initializers)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    tokens = np.random.default_rng(args.seed + 1).integers(
        0, args.vocab, (1, s), dtype=np.int64)
    np.save(os.path.join(args.out, "tokens.npy"), tokens)
    report(w, args)


def report(w, args):
    size = os.path.getsize(os.path.join(args.out, "weights.bin"))
    print("make-llama: %d parameters, %d bytes of float32 weights in %s"
          % (w.params, size, os.path.join(args.out, "weights.bin")))


def scalar_dim(w, x, axis):
    """Dimension `axis` of x as an int64 scalar (Shape -> Gather)."""
    return w.op("Gather", [w.op("Shape", [x]),
                           w.const(np.array(axis, np.int64))], axis=0)


def write_past(w, args):
    """The decoder-with-past layout (module docstring)."""
    hd = args.dim // args.heads
    inv = 1.0 / (10000.0 ** (np.arange(0, hd, 2, dtype=np.float64) / hd))
    angles = np.outer(np.arange(args.max_positions), inv)
    angles = np.concatenate([angles, angles], axis=-1)
    axis1 = w.const(np.array([1], np.int64))
    # [B, S, hd] -> [B, 1, S, hd]: one table row per token, every head.
    cos = w.op("Unsqueeze", [w.op("Gather", [
        w.const(np.cos(angles).astype(np.float32), "rope_cos"),
        "position_ids"], axis=0), axis1])
    sin = w.op("Unsqueeze", [w.op("Gather", [
        w.const(np.sin(angles).astype(np.float32), "rope_sin"),
        "position_ids"], axis=0), axis1])

    # Key k is visible to query q (at position past + q) when k <= past + q
    # and attention_mask[b, k] is 1: 0 where visible, -1e9 where not,
    # [B, 1, S, T].
    one = w.const(np.array(1, np.int64))
    total = scalar_dim(w, "attention_mask", 1)
    past = w.op("Sub", [total, scalar_dim(w, "input_ids", 1)])
    keys = w.op("Range", [w.const(np.array(0, np.int64)), total, one])
    queries = w.op("Range", [past, total, one])
    hidden = w.op("Greater", [
        w.op("Unsqueeze", [keys, w.const(np.array([0], np.int64))]),
        w.op("Unsqueeze", [queries, axis1])])
    big = w.const(np.array(-1e9, np.float32))
    causal = w.op("Where", [hidden, big, w.const(np.array(0, np.float32))])
    keep = w.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    padding = w.op("Mul", [w.op("Sub", [w.const(np.array(1, np.float32)),
                                        keep]), big])
    padding = w.op("Unsqueeze", [padding, w.const(np.array([1, 2],
                                                           np.int64))])
    mask = w.op("Add", [causal, padding], "mask")

    embedding = w.weight("embedding", [args.vocab, args.dim], 1.0)
    x = w.op("Gather", [embedding, "input_ids"], "embed", axis=0)
    cache_inputs, cache_outputs = [], []
    for layer in range(args.layers):
        names = {}
        for kind in ("key", "value"):
            names[kind] = "past_key_values.%d.%s" % (layer, kind)
            names["present." + kind] = "present.%d.%s" % (layer, kind)
            cache_inputs.append(helper.make_tensor_value_info(
                names[kind], TensorProto.FLOAT,
                ["batch", args.kv_heads, "past", hd]))
            cache_outputs.append(helper.make_tensor_value_info(
                names["present." + kind], TensorProto.FLOAT,
                ["batch", args.kv_heads, "total", hd]))
        x = block(w, x, args, layer, cos, sin, mask, names)
    x = rms_norm(w, x, args.dim, "final_norm")
    w.op("MatMul", [x, w.weight("lm_head", [args.dim, args.vocab],
                                args.dim ** -0.5)], "lm_head")
    w.nodes[-1].output[0] = "logits"
    w.bin.close()

    ids = lambda name, dims: helper.make_tensor_value_info(
        name, TensorProto.INT64, dims)
    graph = helper.make_graph(
        w.nodes, "llama",
        [ids("input_ids", ["batch", "seq"]),
         ids("attention_mask", ["batch", "total"]),
         ids("position_ids", ["batch", "seq"])] + cache_inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", "seq", args.vocab])]
        + cache_outputs,
        w.initializers)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 14)])
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    report(w, args)


if __name__ == "__main__":
    main()
