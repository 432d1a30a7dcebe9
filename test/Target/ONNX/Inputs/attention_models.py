"""Models with ONNX Runtime's contributed attention ops (com.microsoft) for
attention-ops.test, and their inputs:

  rotary.onnx  RotaryEmbedding on (batch, seq, heads * 16) at position_ids,
               and interleaved on (batch, heads, seq, 16) rotating 8 of 16
               at an offset position
  mha.onnx     MultiHeadAttention with a bias, a past, a (batch, total)
               padding mask, an attention_bias and unidirectional; and
               cross attention on per-head key/value with key lengths
  gqa.onnx     GroupQueryAttention, 4 query heads on 2 key/value heads,
               rotary, a past: prompt.* (first prompt, past of 0) and
               step.* (one token, batches at different totals)
  gqa2.onnx    GroupQueryAttention on packed QKV with local_window_size,
               softcap and smooth_softmax, no past

  attention_models.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

MS = "com.microsoft"


def save(graph, path):
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17),
                                               h.make_opsetid(MS, 1)])
    onnx.save(model, path)


def tables(positions, width):
    inv = 1.0 / (10000 ** (np.arange(width) / width))
    angles = np.arange(positions)[:, None] * inv[None, :]
    return (np.cos(angles).astype(np.float32),
            np.sin(angles).astype(np.float32))


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(17)
    f = h.make_tensor_value_info
    npy = lambda name, a: np.save(os.path.join(d, name + ".npy"), a)
    normal = lambda *shape: rng.standard_normal(shape).astype(np.float32)

    # RotaryEmbedding.
    cos, sin = tables(64, 8)
    cos4, sin4 = tables(64, 4)
    nodes = [
        h.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"], ["y"],
                    domain=MS, num_heads=2, name="rope"),
        h.make_node("RotaryEmbedding", ["x4", "offset", "cos4", "sin4"],
                    ["y4"], domain=MS, num_heads=2, rotary_embedding_dim=8,
                    interleaved=1, name="rope_interleaved"),
    ]
    graph = h.make_graph(
        nodes, "rotary",
        [f("x", T.FLOAT, ["batch", "seq", 32]),
         f("pos", T.INT64, ["batch", "seq"]),
         f("x4", T.FLOAT, ["batch", 2, "seq", 16])],
        [f("y", T.FLOAT, None), f("y4", T.FLOAT, None)],
        [numpy_helper.from_array(cos, "cos"),
         numpy_helper.from_array(sin, "sin"),
         numpy_helper.from_array(cos4, "cos4"),
         numpy_helper.from_array(sin4, "sin4"),
         numpy_helper.from_array(np.array([5], np.int64), "offset")])
    save(graph, os.path.join(d, "rotary.onnx"))
    npy("rope.x", normal(2, 7, 32))
    npy("rope.pos", rng.integers(0, 64, (2, 7)).astype(np.int64))
    npy("rope.x4", normal(2, 2, 7, 16))

    # MultiHeadAttention: 2 heads of 8, a past of 3, 4 new tokens.
    dm = 16
    nodes = [
        h.make_node("MultiHeadAttention",
                    ["q", "k", "v", "bias", "mask", "attn_bias", "past_k",
                     "past_v"], ["out", "present_k", "present_v"],
                    domain=MS, num_heads=2, unidirectional=1, name="mha"),
        h.make_node("MultiHeadAttention",
                    ["q", "k4", "v4", "", "lengths"], ["cross"],
                    domain=MS, num_heads=2, scale=0.2, name="mha_cross"),
    ]
    graph = h.make_graph(
        nodes, "mha",
        [f("q", T.FLOAT, ["batch", "seq", dm]),
         f("k", T.FLOAT, ["batch", "seq", dm]),
         f("v", T.FLOAT, ["batch", "seq", dm]),
         f("mask", T.INT32, ["batch", "total"]),
         f("attn_bias", T.FLOAT, [1, 2, "seq", "total"]),
         f("past_k", T.FLOAT, ["batch", 2, "past", 8]),
         f("past_v", T.FLOAT, ["batch", 2, "past", 8]),
         f("k4", T.FLOAT, ["batch", 2, "kv", 8]),
         f("v4", T.FLOAT, ["batch", 2, "kv", 8]),
         f("lengths", T.INT32, ["batch"])],
        [f("out", T.FLOAT, None), f("present_k", T.FLOAT, None),
         f("present_v", T.FLOAT, None), f("cross", T.FLOAT, None)],
        [numpy_helper.from_array(normal(3 * dm) * 0.1, "bias")])
    save(graph, os.path.join(d, "mha.onnx"))
    npy("mha.q", normal(2, 4, dm))
    npy("mha.k", normal(2, 4, dm))
    npy("mha.v", normal(2, 4, dm))
    mask = np.ones((2, 7), np.int32)
    mask[1, :2] = 0
    npy("mha.mask", mask)
    npy("mha.attn_bias", normal(1, 2, 4, 7) * 0.5)
    npy("mha.past_k", normal(2, 2, 3, 8))
    npy("mha.past_v", normal(2, 2, 3, 8))
    npy("mha.k4", normal(2, 2, 6, 8))
    npy("mha.v4", normal(2, 2, 6, 8))
    npy("mha.lengths", np.array([6, 4], np.int32))

    # GroupQueryAttention: 4 query heads, 2 key/value heads of 16, rotary.
    heads, kv, hs = 4, 2, 16
    cos, sin = tables(64, 8)
    gqa_inputs = ["q", "k", "v", "past_k", "past_v", "seqlens_k", "total",
                  "cos", "sin"]
    node = h.make_node("GroupQueryAttention", gqa_inputs,
                       ["out", "present_k", "present_v"], domain=MS,
                       num_heads=heads, kv_num_heads=kv, do_rotary=1,
                       name="gqa")
    graph = h.make_graph(
        [node], "gqa",
        [f("q", T.FLOAT, ["batch", "seq", heads * hs]),
         f("k", T.FLOAT, ["batch", "seq", kv * hs]),
         f("v", T.FLOAT, ["batch", "seq", kv * hs]),
         f("past_k", T.FLOAT, ["batch", kv, "past", hs]),
         f("past_v", T.FLOAT, ["batch", kv, "past", hs]),
         f("seqlens_k", T.INT32, ["batch"]),
         f("total", T.INT32, [])],
        [f("out", T.FLOAT, None), f("present_k", T.FLOAT, None),
         f("present_v", T.FLOAT, None)],
        [numpy_helper.from_array(cos, "cos"),
         numpy_helper.from_array(sin, "sin")])
    save(graph, os.path.join(d, "gqa.onnx"))
    # The first prompt: 5 tokens each, an empty past.
    npy("prompt.q", normal(2, 5, heads * hs))
    npy("prompt.k", normal(2, 5, kv * hs))
    npy("prompt.v", normal(2, 5, kv * hs))
    npy("prompt.past_k", np.zeros((2, kv, 0, hs), np.float32))
    npy("prompt.past_v", np.zeros((2, kv, 0, hs), np.float32))
    npy("prompt.seqlens_k", np.array([4, 4], np.int32))
    npy("prompt.total", np.array(5, np.int32))
    # One token each after a past buffer of 5: batch 0 at total 6, batch 1
    # at total 4 (its last 2 past rows unused).
    npy("step.q", normal(2, 1, heads * hs))
    npy("step.k", normal(2, 1, kv * hs))
    npy("step.v", normal(2, 1, kv * hs))
    npy("step.past_k", normal(2, kv, 5, hs))
    npy("step.past_v", normal(2, kv, 5, hs))
    npy("step.seqlens_k", np.array([5, 3], np.int32))
    npy("step.total", np.array(6, np.int32))

    # Packed QKV, a local window of 3, softcap and smooth softmax.
    node = h.make_node("GroupQueryAttention",
                       ["qkv", "", "", "", "", "seqlens_k", "total"],
                       ["out", "present_k", "present_v"], domain=MS,
                       num_heads=heads, kv_num_heads=kv, local_window_size=3,
                       softcap=2.0, smooth_softmax=1, name="gqa_packed")
    graph = h.make_graph(
        [node], "gqa2",
        [f("qkv", T.FLOAT, ["batch", "seq", (heads + 2 * kv) * hs]),
         f("seqlens_k", T.INT32, ["batch"]),
         f("total", T.INT32, [])],
        [f("out", T.FLOAT, None), f("present_k", T.FLOAT, None),
         f("present_v", T.FLOAT, None)])
    save(graph, os.path.join(d, "gqa2.onnx"))
    npy("packed.qkv", normal(1, 6, (heads + 2 * kv) * hs))
    npy("packed.seqlens_k", np.array([5], np.int32))
    npy("packed.total", np.array(6, np.int32))


main()
