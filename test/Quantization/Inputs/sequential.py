"""Inputs and checks for ternarize-sequential.mlir (a two-layer chain) and
ternarize-block-target.mlir (two residual blocks).

  sequential.py make DIR [SHAPE]
      four input sets of x (16 x 8, or SHAPE as DxDx...)
  sequential.py compare DIR TERN_RUN FLOAT ONCE SEQUENTIAL REPORT
      runs the three models on the sets of DIR; prints the cosine
      similarity of each ternarized model's output y with the float
      model's, and checks the sequential report's output cosine of the
      last layer against the one measured (y is that layer's output)
  sequential.py errors DIR TERN_RUN FLOAT MODEL...
      prints the relative error of each model's output y against the
      float model's, and whether each is below the one before
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def outputs(directory, tern_run, model):
    with tempfile.TemporaryDirectory() as out:
        for name in sorted(os.listdir(directory)):
            subprocess.run([tern_run, model, "--output-dir", out,
                            "--input=x=%s/%s" % (directory, name)],
                           check=True, stdout=subprocess.DEVNULL)
            yield np.load(os.path.join(out, "y.npy")).astype(np.float64)


def cosine(a, b):
    return (a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum())


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "make":
        rng = np.random.default_rng(11)
        shape = (16, 8)
        if len(sys.argv) > 3:
            shape = tuple(int(d) for d in sys.argv[3].split("x"))
        os.makedirs(directory, exist_ok=True)
        for i in range(4):
            np.save(os.path.join(directory, "set%d.npy" % i),
                    rng.normal(0.3, 1, shape).astype(np.float32))
        return
    if mode == "errors":
        tern_run, float_model = sys.argv[3:5]
        y = np.concatenate(list(outputs(directory, tern_run, float_model)))
        errors = []
        for model in sys.argv[5:]:
            got = np.concatenate(list(outputs(directory, tern_run, model)))
            errors.append(np.linalg.norm(got - y) / np.linalg.norm(y))
            print("%s error %.4f" % (os.path.basename(model), errors[-1]))
        print("each closer to float than the one before:",
              all(b < a for a, b in zip(errors, errors[1:])))
        return
    tern_run, float_model, once, seq, report = sys.argv[3:]
    y = np.concatenate(list(outputs(directory, tern_run, float_model)))
    measured = {}
    for name, model in (("once", once), ("sequential", seq)):
        got = np.concatenate(list(outputs(directory, tern_run, model)))
        measured[name] = cosine(y, got)
        print("%s cosine %.4f" % (name, measured[name]))
    print("sequential closer to float:",
          measured["sequential"] > measured["once"])
    layers = {l["name"]: l for l in json.load(open(report))["layers"]}
    got = layers["out"]["output_cosine"]
    assert abs(got - measured["sequential"]) < 1e-5, (got, measured)
    print("reported cosine of out matches")


main()
