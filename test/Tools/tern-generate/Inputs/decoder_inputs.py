"""Writes bad and good inputs for the decoder of make-llama.py --layout past
(--dim 64 --heads 4 --kv-heads 2 --layers 2 --vocab 100) into DIR, and
DIR/CASE.args, the tern-run --input options of each case:

  vocab   a token id of 100 (the vocabulary has 100)
  batch   input_ids of batch 2, attention_mask and the cache of batch 1
  past    a cache of 5 rows where attention_mask says 0 + 3 tokens
and DIR/pN.txt, prompts of N ids, for N in 60, 70."""
import os
import sys

import numpy as np

out = sys.argv[1]


def save(name, array):
    path = os.path.join(out, name + ".npy")
    np.save(path, array)
    return path


def case(name, ids, mask, positions, past):
    inputs = {"input_ids": ids, "attention_mask": mask,
              "position_ids": positions}
    for layer in range(2):
        for kind in ("key", "value"):
            inputs["past_key_values.%d.%s" % (layer, kind)] = past
    args = ["--input %s=%s" % (n, save("%s_%s" % (name, n), a))
            for n, a in inputs.items()]
    with open(os.path.join(out, name + ".args"), "w") as f:
        f.write(" ".join(args))


ids = np.array([[5, 6, 7]], np.int64)
ones = np.ones((1, 3), np.int64)
positions = np.arange(3, dtype=np.int64)[None]
empty = np.zeros((1, 2, 0, 16), np.float32)
case("vocab", np.array([[5, 100, 7]], np.int64), ones, positions, empty)
case("batch", np.repeat(ids, 2, axis=0), ones, positions, empty)
case("past", ids, ones, positions, np.zeros((1, 2, 5, 16), np.float32))
for n in (60, 70):
    with open(os.path.join(out, "p%d.txt" % n), "w") as f:
        f.write(",".join(map(str, np.random.default_rng(n).integers(0, 100, n))))
