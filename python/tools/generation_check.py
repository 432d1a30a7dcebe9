#!/usr/bin/env python3
"""Checks tern-generate against ONNX Runtime on a decoder (docs/Generation.md):
for prompts of each --lengths (random ids, seeded by the length), both
generate --tokens tokens greedily; the tokens must be identical and every
step's logits within --tolerance of the largest |logit| of their row. With
--batch, the first two prompts also run as one batch padded on the left,
which must give what they give alone. tern-generate runs TERN_MODEL (default
MODEL: e.g. a ternarized .mlirbc whose export MODEL is) with TERN_ARGS;
ONNX Runtime runs MODEL (tools/ort-reference/generate-ort.mjs).

  generation_check.py MODEL --bin DIR --work DIR [--tern-model M]
      [--lengths 1,7,300] [--tokens 64] [--batch] [--tern-args "..."]

Prints one line per case; exits non-zero on the first disagreement."""

import argparse
import os
import shlex
import subprocess
import sys

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ORT = os.path.join(ROOT, "tools", "ort-reference", "generate-ort.mjs")


def vocabulary(model):
    graph = onnx.load(model, load_external_data=False).graph
    logits = [o for o in graph.output if o.name == "logits"] or graph.output
    return logits[0].type.tensor_type.shape.dim[2].dim_value


def generate(command, prompts, tokens, logits):
    args = []
    for prompt in prompts:
        args += ["--prompt-ids", ",".join(map(str, prompt))]
    args += ["--max-new-tokens", str(tokens), "--logits", logits]
    run = subprocess.run(command + args, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{run.stderr}")
    return [line.split() for line in run.stdout.splitlines()]


def compare(name, tern, ort, tern_logits, ort_logits, tolerance):
    if tern != ort:
        sys.exit(f"{name}: tokens differ\n  tern: {tern}\n  ort:  {ort}")
    a, b = np.load(tern_logits), np.load(ort_logits)
    if a.shape != b.shape:
        sys.exit(f"{name}: logits {a.shape} vs {b.shape}")
    bound = tolerance * np.abs(b).max(axis=-1, keepdims=True)
    worst = float((np.abs(a - b) / np.maximum(bound, 1e-30)).max())
    if worst > 1:
        sys.exit(f"{name}: logits differ by {worst:.3g} x the bound")
    print(f"{name}: {len(tern[0])} tokens identical, logits within "
          f"{worst * tolerance:.2g} of the largest")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--tern-model")
    parser.add_argument("--lengths", default="1,7,300")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--batch", action="store_true")
    parser.add_argument("--tern-args", default="")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    vocab = vocabulary(args.model)
    tern = [os.path.join(args.bin, "tern-generate"),
            args.tern_model or args.model] + shlex.split(args.tern_args)
    ort = ["node", ORT, args.model]
    prompts = [np.random.default_rng(n).integers(0, vocab, n).tolist()
               for n in map(int, args.lengths.split(","))]
    alone = []
    for prompt in prompts:
        name = f"prompt of {len(prompt)}"
        files = [os.path.join(args.work, f"{who}-{len(prompt)}.npy")
                 for who in ("tern", "ort")]
        t = generate(tern, [prompt], args.tokens, files[0])
        o = generate(ort, [prompt], args.tokens, files[1])
        compare(name, t, o, *files, args.tolerance)
        alone += t
    if args.batch:
        name = f"batch of {len(prompts[0])} and {len(prompts[1])}, padded"
        files = [os.path.join(args.work, f"{who}-batch.npy")
                 for who in ("tern", "ort")]
        t = generate(tern, prompts[:2], args.tokens, files[0])
        o = generate(ort, prompts[:2], args.tokens, files[1])
        compare(name, t, o, *files, args.tolerance)
        if t != alone[:2]:
            sys.exit(f"{name}: rows differ from the prompts alone")
        print(f"{name}: each row generates what it does alone")


if __name__ == "__main__":
    main()
