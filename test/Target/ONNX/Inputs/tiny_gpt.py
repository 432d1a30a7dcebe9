"""A tiny GPT-shaped decoder exported by torch.onnx with dynamic batch and
sequence axes, for dynamic-shapes tests: token and learned position
embeddings (Gather, Range), one pre-norm block with a fused QKV projection
split in three, heads by Reshape/Transpose of run-time shapes (Shape ->
Gather -> Unsqueeze -> Concat), a causal mask (ConstantOfShape, Trilu,
Where), erf GELU, and tied output embeddings.

  tiny_gpt.py DIR   writes DIR/gpt.onnx and DIR/ids_B_S.npy for
                    (B, S) in (1, 1), (1, 7), (2, 30), (1, 0), and
                    DIR/gpt-past.onnx, the same weights with a key/value
                    cache: inputs input_ids, past_key_values.0.key|value
                    [batch, heads, past, head size], outputs logits,
                    present.0.key|value
  tiny_gpt.py greedy DIR PROMPT N
                    prints the N tokens torch's model (DIR/gpt.pt) generates
                    greedily after PROMPT (comma-separated ids)
  tiny_gpt.py gpt2 DIR
                    writes DIR/gpt2.onnx: a GPT-2-shaped decoder (two
                    blocks, tanh GELU, 512 learned positions) trained the
                    same way, exported in the layout of HF decoder-with-past
                    exports: input_ids, attention_mask [batch, past + seq],
                    position_ids, past_key_values.I.key|value -> logits,
                    present.I.key|value; the attention mask (causal and
                    padding) masks with -1e9, as HF does with its dtype's
                    minimum

The weights are trained for a few seconds to continue a sequence by
repeating it with period 3, so that greedy generation depends on tokens
before the last one (through the cache, in the cached export).
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d, heads, gelu="none"):
        super().__init__()
        self.heads, self.gelu = heads, gelu
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x, past_k=None, past_v=None, keep=None):
        b, t, c = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q = q.view(b, t, h, c // h).transpose(1, 2)
        k = k.view(b, t, h, c // h).transpose(1, 2)
        v = v.view(b, t, h, c // h).transpose(1, 2)
        if past_k is None:
            mask = torch.ones(t, t).tril().view(1, 1, t, t) == 0
        else:
            # Query i (at position past + i) sees keys 0 .. past + i.
            p = past_k.shape[2]
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
            seen = torch.arange(p + t).unsqueeze(0)
            at = (torch.arange(t) + p).unsqueeze(1)
            mask = (seen > at).view(1, 1, t, p + t)
        att = (q @ k.transpose(-2, -1)) * (1.0 / np.sqrt(c // h))
        if keep is None:
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
        else:
            # Padding (keep = 0) is masked too, with a finite value, so
            # that a padding query that sees nothing stays finite.
            hidden = mask | (keep == 0).view(b, 1, 1, -1)
            att = att.masked_fill(hidden, -1e9).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.out(y)
        x = x + self.proj(nn.functional.gelu(self.fc(self.ln2(x)),
                                             approximate=self.gelu))
        return x, k, v


class GPT(nn.Module):
    def __init__(self, vocab=50, d=32, heads=4, context=64, layers=1,
                 gelu="none"):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d)
        self.positions = nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads, gelu)
                                    for _ in range(layers))
        self.ln = nn.LayerNorm(d)

    @property
    def block(self):
        return self.blocks[0]

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tokens(ids) + self.positions(torch.arange(t).unsqueeze(0))
        for block in self.blocks:
            x = block(x)[0]
        return self.ln(x) @ self.tokens.weight.t()


class HFGPT(nn.Module):
    """GPT in the layout of HF decoder-with-past exports."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, ids, attention_mask, position_ids, *past):
        g = self.gpt
        x = g.tokens(ids) + g.positions(position_ids)
        presents = []
        for i, block in enumerate(g.blocks):
            x, k, v = block(x, past[2 * i], past[2 * i + 1], attention_mask)
            presents += [k, v]
        return (g.ln(x) @ g.tokens.weight.t(), *presents)


class CachedGPT(nn.Module):
    """GPT with a key/value cache: the layout of decoder-with-past exports."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, ids, past_k, past_v):
        g = self.gpt
        p, t = past_k.shape[2], ids.shape[1]
        positions = (torch.arange(t) + p).unsqueeze(0)
        x = g.tokens(ids) + g.positions(positions)
        x, k, v = g.block(x, past_k, past_v)
        return g.ln(x) @ g.tokens.weight.t(), k, v


def train(**shape):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gpt = GPT(**shape)
    optimizer = torch.optim.Adam(gpt.parameters(), lr=3e-3)
    for _ in range(300):
        x = torch.randint(0, 50, (32, 20))
        for t in range(3, 20):
            x[:, t] = x[:, t - 3]
        logits = gpt(x[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 50),
                                           x[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return gpt.eval()


def greedy(directory, prompt, n):
    gpt = GPT()
    gpt.load_state_dict(torch.load(os.path.join(directory, "gpt.pt")))
    gpt.eval()
    ids = [int(i) for i in prompt.split(",")]
    with torch.no_grad():
        for _ in range(n):
            logits = gpt(torch.tensor([ids]))
            ids.append(int(logits[0, -1].argmax()))
    print(" ".join(str(i) for i in ids[len(prompt.split(",")):]))


def main(directory):
    gpt = train()
    torch.save(gpt.state_dict(), os.path.join(directory, "gpt.pt"))
    ids = torch.randint(0, 50, (1, 7))
    torch.onnx.export(gpt, (ids,), os.path.join(directory, "gpt.onnx"),
                      input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch", 1: "seq"}},
                      opset_version=14)
    heads, size = gpt.block.heads, 32 // gpt.block.heads
    empty = torch.zeros(1, heads, 0, size)
    names = ["past_key_values.0.key", "past_key_values.0.value"]
    torch.onnx.export(CachedGPT(gpt), (ids, empty, empty),
                      os.path.join(directory, "gpt-past.onnx"),
                      input_names=["input_ids"] + names,
                      output_names=["logits", "present.0.key",
                                    "present.0.value"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                    names[0]: {0: "batch", 2: "past"},
                                    names[1]: {0: "batch", 2: "past"},
                                    "logits": {0: "batch", 1: "seq"},
                                    "present.0.key": {0: "batch", 2: "total"},
                                    "present.0.value": {0: "batch",
                                                        2: "total"}},
                      opset_version=14)
    rng = np.random.default_rng(1)
    for b, s in [(1, 1), (1, 7), (2, 30), (1, 0)]:
        np.save(os.path.join(directory, "ids_%d_%d.npy" % (b, s)),
                rng.integers(0, 50, (b, s)).astype(np.int64))


def gpt2(directory):
    # The export is the Austen LM's (tern.lm), from the repository's python/.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "..", "..", "..", "python"))
    from tern.lm import export_decoder_with_past

    gpt = train(layers=2, gelu="tanh", context=512)
    heads = gpt.block.heads
    export_decoder_with_past(HFGPT(gpt), os.path.join(directory, "gpt2.onnx"),
                             len(gpt.blocks), heads, 32 // heads)


if __name__ == "__main__":
    if sys.argv[1] == "greedy":
        greedy(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "gpt2":
        gpt2(sys.argv[2])
    else:
        main(sys.argv[1])
