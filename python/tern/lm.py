"""An LLM-shaped test model: a small LLaMA-style decoder trained on Jane
Austen's novels, and the data it is trained and evaluated on.

No pretrained language model can be fetched on our machines, so the
project trains its own: RMSNorm, rotary position embeddings, causal
multi-head self-attention and a SwiGLU MLP, with untied input embedding and
output head (docs/LanguageModel.md). Five novels of Debian's
r-cran-janeaustenr are the training text; Persuasion is held out for
evaluation. The tokenizer is a sentencepiece BPE model trained on the
training novels only.

Everything is deterministic: the data order, the initialization and the
optimizer steps follow one seed, and torch runs with deterministic
algorithms (one thread count gives one model).

torch and sentencepiece are imported when needed, so that the rest of the
package does not depend on them.
"""

import json
import math
import os

import numpy as np

from tern.corpora import AUSTEN, paragraphs

TRAIN_NOVELS = ("sensesensibility", "prideprejudice", "mansfieldpark", "emma",
                "northangerabbey")
HELD_OUT_NOVEL = "persuasion"
# Held out too, by another author of Austen's time (tern.corpora).
OTHER_AUTHOR = "sotu:james_madison"

# The model of docs/LanguageModel.md; `config.json` next to the exported
# model records the values it was trained with.
DEFAULT_CONFIG = {
    "vocab": 2048,
    "dim": 192,
    "layers": 4,
    "heads": 3,
    "hidden": 512,
    "context": 128,
    "norm_eps": 1e-5,
    "rope_base": 10000.0,
}


def train_tokenizer(prefix, vocab, novels=TRAIN_NOVELS, rdata=AUSTEN):
    """Trains a sentencepiece BPE model on `novels`: PREFIX.model."""
    import sentencepiece as spm

    text = prefix + ".txt"
    with open(text, "w", encoding="utf-8") as f:
        for novel in novels:
            for p in paragraphs(novel, rdata):
                f.write(p + "\n")
    spm.SentencePieceTrainer.train(
        input=text, model_prefix=prefix, vocab_size=vocab, model_type="bpe",
        character_coverage=1.0, bos_id=-1, eos_id=1, unk_id=0, pad_id=-1,
        num_threads=1, minloglevel=2, input_sentence_size=0,
        shuffle_input_sentence=False)
    os.remove(text)
    return prefix + ".model"


def token_stream(tokenizer, novels, rdata=AUSTEN):
    """The novels (or any text sources of tern.corpora) as one stream of
    token ids, each paragraph followed by the end-of-sequence token."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=tokenizer)
    ids = []
    for novel in novels:
        for piece in sp.encode(paragraphs(novel, rdata)):
            ids.extend(piece)
            ids.append(sp.eos_id())
    return np.asarray(ids, dtype=np.int64)


def windows(stream, context, count=None):
    """Non-overlapping windows of `context` tokens of a stream, as an
    int64 array [windows, context]; with `count`, that many, evenly spread
    over the stream."""
    total = len(stream) // context
    w = stream[:total * context].reshape(total, context)
    if count is not None and count < total:
        w = w[np.linspace(0, total - 1, count).round().astype(int)]
    return w


def perplexity(logits, tokens):
    """exp of the mean negative log-likelihood of tokens[:, 1:] under
    logits[:, :-1] (float64 log-softmax); also returns the NLL sum and the
    number of predicted tokens."""
    logits = np.asarray(logits, dtype=np.float64)[:, :-1]
    targets = np.asarray(tokens)[:, 1:]
    top = logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]
    nll = float((lse - picked).sum())
    count = targets.size
    return math.exp(nll / count), nll, count


def build_model(config):
    """The torch module of `config` (see DEFAULT_CONFIG)."""
    import torch
    from torch import nn

    class RMSNorm(nn.Module):
        def __init__(self, dim, eps):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch.ones(dim))

        def forward(self, x):
            scale = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
            return x * scale * self.weight

    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    class Attention(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.heads, self.head_dim = c["heads"], c["dim"] // c["heads"]
            self.context, self.dim = c["context"], c["dim"]
            self.q = nn.Linear(c["dim"], c["dim"], bias=False)
            self.k = nn.Linear(c["dim"], c["dim"], bias=False)
            self.v = nn.Linear(c["dim"], c["dim"], bias=False)
            self.o = nn.Linear(c["dim"], c["dim"], bias=False)

        def forward(self, x, cos, sin, mask, past=None):
            """With `past` (keys, values [batch, heads, past, head size]),
            the sequence has any length and the new keys and values are
            appended to the past and returned too."""
            h, d = self.heads, self.head_dim
            b, t = (-1, self.context) if past is None else x.shape[:2]
            q = self.q(x).view(b, t, h, d).transpose(1, 2)
            k = self.k(x).view(b, t, h, d).transpose(1, 2)
            v = self.v(x).view(b, t, h, d).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if past is not None:
                k = torch.cat([past[0], k], dim=2)
                v = torch.cat([past[1], v], dim=2)
            scores = q @ k.transpose(2, 3) * (1.0 / math.sqrt(d)) + mask
            y = torch.softmax(scores, dim=-1) @ v
            y = self.o(y.transpose(1, 2).reshape(b, t, self.dim))
            return y if past is None else (y, k, v)

    class MLP(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.gate = nn.Linear(c["dim"], c["hidden"], bias=False)
            self.up = nn.Linear(c["dim"], c["hidden"], bias=False)
            self.down = nn.Linear(c["hidden"], c["dim"], bias=False)

        def forward(self, x):
            g = self.gate(x)
            return self.down(g * torch.sigmoid(g) * self.up(x))

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.attn_norm = RMSNorm(c["dim"], c["norm_eps"])
            self.attn = Attention(c)
            self.mlp_norm = RMSNorm(c["dim"], c["norm_eps"])
            self.mlp = MLP(c)

        def forward(self, x, cos, sin, mask, past=None):
            if past is None:
                x = x + self.attn(self.attn_norm(x), cos, sin, mask)
                return x + self.mlp(self.mlp_norm(x))
            y, k, v = self.attn(self.attn_norm(x), cos, sin, mask, past)
            x = x + y
            return x + self.mlp(self.mlp_norm(x)), k, v

    class Decoder(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.embed = nn.Embedding(c["vocab"], c["dim"])
            self.blocks = nn.ModuleList(Block(c) for _ in range(c["layers"]))
            self.norm = RMSNorm(c["dim"], c["norm_eps"])
            self.head = nn.Linear(c["dim"], c["vocab"], bias=False)
            d, t = c["dim"] // c["heads"], c["context"]
            inv = 1.0 / c["rope_base"] ** (torch.arange(0, d, 2) / d)
            angles = torch.outer(torch.arange(t, dtype=torch.float32), inv)
            angles = torch.cat((angles, angles), dim=-1)
            self.register_buffer("cos", angles.cos(), persistent=False)
            self.register_buffer("sin", angles.sin(), persistent=False)
            causal = torch.full((t, t), -1e9).triu(1)
            self.register_buffer("mask", causal, persistent=False)
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    std = 0.02
                    if name.endswith(("o.weight", "down.weight")):
                        std /= math.sqrt(2 * c["layers"])
                    nn.init.normal_(p, std=std)

        def forward(self, tokens):
            x = self.embed(tokens)
            for block in self.blocks:
                x = block(x, self.cos, self.sin, self.mask)
            return self.head(self.norm(x))

        def with_past(self, positions):
            return DecoderWithPast(self, positions)

    class DecoderWithPast(nn.Module):
        """The decoder in the layout of HF decoder-with-past exports
        (docs/Generation.md): rotary tables of `positions` rows gathered
        at position_ids, a causal mask added to the padding mask of
        attention_mask, both from the input sizes."""

        def __init__(self, decoder, positions):
            super().__init__()
            self.decoder = decoder
            d = config["dim"] // config["heads"]
            inv = 1.0 / config["rope_base"] ** (torch.arange(0, d, 2) / d)
            angles = torch.outer(torch.arange(positions,
                                              dtype=torch.float32), inv)
            angles = torch.cat((angles, angles), dim=-1)
            self.register_buffer("cos", angles.cos(), persistent=False)
            self.register_buffer("sin", angles.sin(), persistent=False)

        def forward(self, ids, attention_mask, position_ids, *past):
            g = self.decoder
            total, t = attention_mask.shape[1], ids.shape[1]
            keys = torch.arange(total).unsqueeze(0)
            queries = torch.arange(total - t, total).unsqueeze(1)
            causal = (keys > queries).float() * -1e9
            padding = (1.0 - attention_mask.float()) * -1e9
            mask = causal + padding.unsqueeze(1).unsqueeze(2)
            cos = self.cos[position_ids].unsqueeze(1)
            sin = self.sin[position_ids].unsqueeze(1)
            x = g.embed(ids)
            presents = []
            for i, block in enumerate(g.blocks):
                x, k, v = block(x, cos, sin, mask,
                                (past[2 * i], past[2 * i + 1]))
                presents += [k, v]
            return (g.head(g.norm(x)), *presents)

    return Decoder(config)


def train(out, steps=3000, batch=32, lr=3e-3, seed=0, threads=None,
          config=None, log=print):
    """Trains the tokenizer and the model into folder `out`: tokenizer.model,
    model.pt (the weights), config.json, train-log.json and model.onnx.
    Returns the path of model.onnx."""
    import time

    import torch

    config = dict(config or DEFAULT_CONFIG)
    os.makedirs(out, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    start = time.time()
    tokenizer = train_tokenizer(os.path.join(out, "tokenizer"),
                                config["vocab"])
    stream = token_stream(tokenizer, TRAIN_NOVELS)
    held_out = windows(token_stream(tokenizer, (HELD_OUT_NOVEL,)),
                       config["context"], 64)
    log(f"tokenizer: {len(stream)} training tokens "
        f"({time.time() - start:.0f} s)")

    model = build_model(config)
    decay = [p for p in model.parameters() if p.dim() == 2]
    rest = [p for p in model.parameters() if p.dim() != 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1},
         {"params": rest, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    warmup = max(1, steps // 20)

    def schedule(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    generator = np.random.default_rng(seed)
    t = config["context"]
    history = []
    for step in range(steps):
        starts = generator.integers(0, len(stream) - t - 1, batch)
        chunk = torch.from_numpy(
            np.stack([stream[s:s + t + 1] for s in starts]))
        logits = model(chunk[:, :t])
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, config["vocab"]), chunk[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % 100 == 0 or step == steps - 1:
            entry = {"step": step, "loss": round(loss.item(), 4),
                     "seconds": round(time.time() - start, 1)}
            if step % 500 == 0 or step == steps - 1:
                with torch.no_grad():
                    ppl, _, _ = perplexity(
                        model(torch.from_numpy(held_out)).numpy(), held_out)
                entry["held_out_ppl"] = round(ppl, 3)
            history.append(entry)
            log(json.dumps(entry))

    torch.save(model.state_dict(), os.path.join(out, "model.pt"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(out, "train-log.json"), "w") as f:
        json.dump({"steps": steps, "batch": batch, "lr": lr, "seed": seed,
                   "threads": torch.get_num_threads(),
                   "seconds": round(time.time() - start, 1),
                   "history": history}, f, indent=1)
    return export(out, model, config)


def export(out, model=None, config=None):
    """Exports the model of folder `out` (or `model`) to out/model.onnx:
    input `tokens` int64 [batch, context], output `logits` float
    [batch, context, vocab], the batch dimension symbolic; and to
    out/model-past.onnx for generation (export_with_past)."""
    import torch

    if config is None:
        with open(os.path.join(out, "config.json")) as f:
            config = json.load(f)
    if model is None:
        model = build_model(config)
        model.load_state_dict(torch.load(os.path.join(out, "model.pt")))
    model.eval()
    path = os.path.join(out, "model.onnx")
    example = torch.zeros((1, config["context"]), dtype=torch.int64)
    torch.onnx.export(model, (example,), path, input_names=["tokens"],
                      output_names=["logits"],
                      dynamic_axes={"tokens": {0: "batch"},
                                    "logits": {0: "batch"}},
                      opset_version=14, do_constant_folding=True)
    export_with_past(out, model, config)
    return path


def export_decoder_with_past(module, path, layers, heads, head_size):
    """torch.onnx.export of `module`(input_ids, attention_mask,
    position_ids, *past) -> (logits, *presents) to `path` in the
    decoder-with-past layout tern-generate runs (docs/Generation.md):
    past_key_values.I.key|value in, present.I.key|value out, batch,
    sequence and past dynamic."""
    import torch

    names = ["past_key_values.%d.%s" % (i, kind)
             for i in range(layers) for kind in ("key", "value")]
    presents = [n.replace("past_key_values", "present") for n in names]
    ids = torch.zeros((2, 3), dtype=torch.int64)
    mask = torch.ones((2, 5), dtype=torch.int64)
    position_ids = torch.arange(2, 5).unsqueeze(0).repeat(2, 1)
    past = [torch.zeros(2, heads, 2, head_size) for _ in names]
    axes = {"input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "seq"},
            "logits": {0: "batch", 1: "seq"}}
    axes.update({n: {0: "batch", 2: "past"} for n in names})
    axes.update({n: {0: "batch", 2: "total"} for n in presents})
    with torch.no_grad():
        torch.onnx.export(module, (ids, mask, position_ids, *past), path,
                          input_names=["input_ids", "attention_mask",
                                       "position_ids"] + names,
                          output_names=["logits"] + presents,
                          dynamic_axes=axes, opset_version=14)
    return path


def export_with_past(out, model, config, positions=None):
    """Exports the model to out/model-past.onnx in the decoder-with-past
    layout tern-generate runs (export_decoder_with_past). Rotary tables
    cover `positions` positions (default the larger of 2048 and 8 x the
    training context)."""
    positions = positions or max(2048, 8 * config["context"])
    return export_decoder_with_past(
        model.with_past(positions).eval(),
        os.path.join(out, "model-past.onnx"), config["layers"],
        config["heads"], config["dim"] // config["heads"])
