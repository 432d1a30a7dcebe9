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

Weights are generated one tensor at a time and appended to weights.bin, so
the script never holds more than the largest tensor.

  make-llama.py OUT_DIR [--dim 2048] [--layers 16] ... [--seq 16]
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


def heads(w, x, seq, count, head_dim):
    """[1, S, count*hd] -> [1, count, S, hd]."""
    shape = w.const(np.array([1, seq, count, head_dim], np.int64))
    return w.op("Transpose", [w.op("Reshape", [x, shape])], perm=[0, 2, 1, 3])


def block(w, x, args, layer, cos, sin, mask):
    d, hd = args.dim, args.dim // args.heads
    kv = args.kv_heads * hd
    s = args.seq
    p = "layers.%d" % layer
    h = rms_norm(w, x, d, p + ".attn_norm")
    q = w.op("MatMul", [h, w.weight(p + ".wq", [d, d], d ** -0.5)], "q")
    k = w.op("MatMul", [h, w.weight(p + ".wk", [d, kv], d ** -0.5)], "k")
    v = w.op("MatMul", [h, w.weight(p + ".wv", [d, kv], d ** -0.5)], "v")
    q = rotary(w, heads(w, q, s, args.heads, hd), cos, sin, hd // 2)
    k = rotary(w, heads(w, k, s, args.kv_heads, hd), cos, sin, hd // 2)
    v = heads(w, v, s, args.kv_heads, hd)
    # Grouped-query attention: each key/value head serves `group` heads.
    group = args.heads // args.kv_heads
    if group > 1:
        def repeat(t):
            t = w.op("Unsqueeze", [t, w.const(np.array([2], np.int64))])
            t = w.op("Expand", [t, w.const(np.array(
                [1, args.kv_heads, group, s, hd], np.int64))])
            return w.op("Reshape", [t, w.const(np.array(
                [1, args.heads, s, hd], np.int64))])
        k, v = repeat(k), repeat(v)
    scores = w.op("MatMul", [q, w.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scores = w.op("Mul", [scores, w.const(np.array(hd ** -0.5, np.float32))])
    probs = w.op("Softmax", [w.op("Add", [scores, mask])], axis=-1)
    attn = w.op("Transpose", [w.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    attn = w.op("Reshape", [attn, w.const(np.array([1, s, d], np.int64))])
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
    args = parser.parse_args()
    if args.dim % args.heads or args.heads % args.kv_heads or \
            (args.dim // args.heads) % 2:
        parser.error("dim must split into heads of even size, heads into "
                     "key/value heads")
    os.makedirs(args.out, exist_ok=True)
    w = Writer(args.out, args.seed)
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
    size = os.path.getsize(os.path.join(args.out, "weights.bin"))
    print("make-llama: %d parameters, %d bytes of float32 weights in %s"
          % (w.params, size, os.path.join(args.out, "weights.bin")))


if __name__ == "__main__":
    main()
