"""Calibration inputs and numpy's statistics for the tern-calibrate tests.

  calibration.py make DIR             input sets for calibrate.mlir (x, img)
  calibration.py make-batched DIR     one batched .npy for a one-input model
  calibration.py check DIR STATS      compares STATS with numpy's statistics
  calibration.py cosine DIR TERN_RUN FLOAT QUANT REPORT
                                      runs both models on the sets of DIR and
                                      compares the cosine similarity of their
                                      first outputs with the report's
"""
import json
import os
import sys

import numpy as np


def sets(directory):
    """The (x, img) input sets of DIR in name order."""
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isdir(path):
            yield (np.load(os.path.join(path, "x.npy")),
                   np.load(os.path.join(path, "img.npy")))


def stats(rows):
    rows = np.concatenate(rows).astype(np.float64)
    return {"mean": rows.mean(0), "mean_square": (rows**2).mean(0),
            "max_abs": np.abs(rows).max(0),
            "second_moment": (rows.T @ rows / len(rows)).ravel(),
            "samples": len(rows)}


def cosine(directory, tern_run, float_model, quant_model, report):
    import subprocess
    import tempfile
    dots = [0.0, 0.0, 0.0]
    with tempfile.TemporaryDirectory() as out:
        for name in sorted(os.listdir(directory)):
            inputs = ["--input=x=%s/%s/x.npy" % (directory, name),
                      "--input=img=%s/%s/img.npy" % (directory, name)]
            ys = []
            for model in (float_model, quant_model):
                subprocess.run([tern_run, model, "--output-dir", out] + inputs,
                               check=True, stdout=subprocess.DEVNULL)
                ys.append(np.load(os.path.join(out, "y.npy")).astype(np.float64))
            dots[0] += (ys[0] * ys[1]).sum()
            dots[1] += (ys[0] ** 2).sum()
            dots[2] += (ys[1] ** 2).sum()
    measured = dots[0] / np.sqrt(dots[1] * dots[2])
    reported = {l["name"]: l for l in json.load(open(report))["layers"]}
    got = reported["proj"]["output_cosine"]
    assert abs(got - measured) < 1e-5, (got, measured)
    print("proj cosine %.4f matches" % measured)


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(7)
    if mode == "make":
        for i in range(3):
            path = os.path.join(directory, "set%d" % i)
            os.makedirs(path, exist_ok=True)
            np.save(os.path.join(path, "x.npy"),
                    rng.normal(i, 1 + i, (3, 8)).astype(np.float32))
            np.save(os.path.join(path, "img.npy"),
                    rng.normal(0, 2, (1, 2, 2, 3)).astype(np.float32))
        return
    if mode == "make-batched":
        os.makedirs(directory, exist_ok=True)
        np.save(os.path.join(directory, "a.npy"),
                rng.normal(1, 2, (6, 8)).astype(np.float32))
        np.save(os.path.join(directory, "b.npy"),
                rng.normal(0, 1, (3, 8)).astype(np.float32))
        return
    if mode == "cosine":
        cosine(directory, *sys.argv[3:])
        return
    got = json.load(open(sys.argv[3]))
    if mode == "check-batched":
        rows = [np.load(os.path.join(directory, f)) for f in ("a.npy", "b.npy")]
        expected = {"proj": stats(rows)}
        count = 3
    else:
        xs, imgs = zip(*sets(directory))
        pixels = [i.transpose(0, 2, 3, 1).reshape(-1, i.shape[1]) for i in imgs]
        expected = {"proj": stats(xs), "pw": stats(pixels)}
        count = len(xs)
    assert got["format"] == "tern-calibration" and got["version"] == 1
    assert got["input_sets"] == count, got["input_sets"]
    assert sorted(got["layers"]) == sorted(expected), sorted(got["layers"])
    for name, want in expected.items():
        layer = got["layers"][name]
        assert layer["samples"] == want["samples"], (name, layer["samples"])
        for field in ("mean", "mean_square", "max_abs", "second_moment"):
            if field not in layer:
                print(name, field, "missing")
                continue
            diff = np.abs(np.array(layer[field]) - want[field]).max()
            assert diff < 1e-5 * (1 + np.abs(want[field]).max()), (name, field,
                                                                    diff)
            print(name, field, "ok")


main()
