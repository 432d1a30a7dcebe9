#!/usr/bin/env python3
"""Character error rate of PP-OCRv4's recognizer, float and ternarized.

Lines of a Jane Austen novel (janeaustenr's data) are rendered with a
Debian console font and recognized as one batch by tern-run, once per
configuration: `float` (the imported model) or NAME=OPTIONS, where OPTIONS
are tern-ternarize's (e.g. 'ptqtp2=method=ptqtp planes=2'). Prints, per
configuration, the corpus CER (edit distance over reference characters)
against the novel's text, and the number of layers ternarized.

With --calibration-lines N, N lines of another novel (--calibration-novel)
are rendered the same way and tern-calibrate records their statistics
(with second moments) once; `{stats}` in OPTIONS names that file, e.g.
'cal=method=ptqtp planes=2 stats={stats}', and `{calibration}` the folder
of their inputs, e.g. 'seq=method=ptqtp calibration={calibration} sequential=1' (the
model is imported with a batch of --lines: make --calibration-lines a
multiple of it).
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tern import api, evaluate, ocr  # noqa: E402


def render(font, novel, width, lines, skip):
    """`lines` lines of `novel` that fit `width` pixels, and their batch."""
    return evaluate.ocr_lines(novel, width, lines, skip, font)


def calibrate(args, font):
    """Records calibration statistics on lines of the calibration novel;
    returns the statistics file."""
    folder = os.path.join(args.out, "calibration")
    os.makedirs(folder, exist_ok=True)
    texts, batch = render(font, args.calibration_novel, args.width,
                          args.calibration_lines, args.skip)
    np.save(os.path.join(folder, "x.npy"), batch)
    stats = os.path.join(args.out, "stats.json")
    model = os.path.join(args.models, "ch_PP-OCRv4_rec_infer.onnx")
    subprocess.run([os.path.join(args.bin, "tern-opt"), model, "--input-shape",
                    f"x=1x3x48x{args.width}", "-o", os.devnull,
                    f"--tern-calibrate=inputs={folder} stats={stats} "
                    "second-moment=1"], check=True)
    print(f"calibrated on {len(texts)} lines of {args.calibration_novel}")
    return stats, folder


def run(args, name, options, x, shape, texts, charset):
    """Ternarizes (unless `options` is None), runs, and scores one
    configuration; returns (CER, layers ternarized)."""
    model = os.path.join(args.models, "ch_PP-OCRv4_rec_infer.onnx")
    folder = os.path.join(args.out, name)
    os.makedirs(folder, exist_ok=True)
    compiled = os.path.join(folder, "model.mlirbc")
    report = os.path.join(folder, "report.json")
    command = [os.path.join(args.bin, "tern-opt"), model, "--input-shape",
               shape, "-o", compiled]
    if options is not None:
        command.append(f"--tern-ternarize={options} report={report}")
    # tern-ternarize prints its report table on stderr: keep it for errors.
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{name}: tern-opt failed:\n{done.stderr}")
    layers = 0
    if options is not None:
        with open(report) as f:
            layers = len(api.ternary_layers(json.load(f)))
    subprocess.run([os.path.join(args.bin, "tern-run"), compiled, "--input",
                    "x=" + x, "--output-dir", folder, "--num-threads",
                    str(args.threads), "--ternary-activations",
                    args.ternary_activations],
                   check=True, stdout=subprocess.DEVNULL)
    scores = np.load(os.path.join(folder, "softmax_11.tmp_0.npy"))
    return evaluate.character_error_rate(scores, texts, charset), layers


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", required=True, help="the ppocr folder")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--novel", default="emma")
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--skip", type=int, default=40)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ternary-activations", default="f32",
                        choices=["f32", "int8"],
                        help="activations of the ternary kernels in tern-run")
    parser.add_argument("--calibration-novel", default="persuasion")
    parser.add_argument("--calibration-lines", type=int, default=0)
    parser.add_argument("config", nargs="+",
                        help="'float' or NAME=TERN_TERNARIZE_OPTIONS")
    args = parser.parse_args()

    if args.calibration_lines and args.calibration_novel == args.novel:
        sys.exit("calibrate on another novel than the one scored")
    font = evaluate.FONT
    texts, batch = render(font, args.novel, args.width, args.lines, args.skip)
    os.makedirs(args.out, exist_ok=True)
    stats, folder = (calibrate(args, font) if args.calibration_lines else
                     (None, None))
    x = os.path.join(args.out, "x.npy")
    np.save(x, batch)
    shape = f"x={len(texts)}x3x48x{args.width}"
    charset = ocr.load_charset(os.path.join(args.models, "ppocr_keys_v1.txt"))

    print(f"{len(texts)} lines of {args.novel}, "
          f"{sum(len(t) for t in texts)} characters")
    print(f"{'configuration':<16} {'layers':>6} {'CER':>8}")
    for config in args.config:
        name, _, options = config.partition("=")
        if "{stats}" in options:
            if not stats:
                sys.exit(f"{name}: {{stats}} needs --calibration-lines")
            options = options.replace("{stats}", stats)
        if "{calibration}" in options:
            if not folder:
                sys.exit(f"{name}: {{calibration}} needs --calibration-lines")
            options = options.replace("{calibration}", folder)
        cer, layers = run(args, name, None if name == "float" else options, x,
                          shape, texts, charset)
        print(f"{name:<16} {layers:>6} {100 * cer:>7.2f}%", flush=True)


if __name__ == "__main__":
    main()
