"""A tiny GPT-shaped decoder exported by torch.onnx with dynamic batch and
sequence axes, for dynamic-shapes tests: token and learned position
embeddings (Gather, Range), one pre-norm block with a fused QKV projection
split in three, heads by Reshape/Transpose of run-time shapes (Shape ->
Gather -> Unsqueeze -> Concat), a causal mask (ConstantOfShape, Trilu,
Where), erf GELU, and tied output embeddings.

  tiny_gpt.py DIR   writes DIR/gpt.onnx and DIR/ids_B_S.npy for
                    (B, S) in (1, 1), (1, 7), (2, 30), (1, 0)
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, c = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q = q.view(b, t, h, c // h).transpose(1, 2)
        k = k.view(b, t, h, c // h).transpose(1, 2)
        v = v.view(b, t, h, c // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / np.sqrt(c // h))
        mask = torch.ones(t, t).tril().view(1, 1, t, t)
        att = att.masked_fill(mask == 0, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.out(y)
        return x + self.proj(nn.functional.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab=50, d=32, heads=4, context=64):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(context, d)
        self.block = Block(d, heads)
        self.ln = nn.LayerNorm(d)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tokens(ids) + self.positions(torch.arange(t).unsqueeze(0))
        return self.ln(self.block(x)) @ self.tokens.weight.t()


def main(directory):
    torch.manual_seed(0)
    model = GPT().eval()
    ids = torch.randint(0, 50, (1, 7))
    torch.onnx.export(model, (ids,), os.path.join(directory, "gpt.onnx"),
                      input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch", 1: "seq"}},
                      opset_version=14)
    rng = np.random.default_rng(1)
    for b, s in [(1, 1), (1, 7), (2, 30), (1, 0)]:
        np.save(os.path.join(directory, "ids_%d_%d.npy" % (b, s)),
                rng.integers(0, 50, (b, s)).astype(np.int64))


if __name__ == "__main__":
    main(sys.argv[1])
