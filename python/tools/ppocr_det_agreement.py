"""How closely a ternarized PP-OCR detector agrees with the float one.

Pages of text (lines of --text, wrapped as a page prints them, rendered
with a Debian console font at 2x, black on white, at random places of a
--height x --width canvas) go through PP-OCRv4's detector as one batch,
float and once per configuration NAME=TERN_PTQ_PIPELINE_OPTIONS (`{calibration}`
names a folder of --calibration-pages pages of --calibration-text, one set
each). The detector's output is a text probability per pixel; PP-OCR
binarizes it at 0.3 (DB's threshold) before it finds boxes. Printed per
configuration: the mean over pages of the IoU of the binarized maps
(ternary against float), the IoU of the float map against the rendered
text's own boxes (for scale), and the mean absolute difference of the
probabilities.

  ppocr_det_agreement.py --models models/ppocr --bin build/bin --out DIR \
      [--pages 8] [--text sotu:barack_obama] \
      [--calibration-text persuasion] [--calibration-pages 8] \
      float "all2=method=ptqtp planes=2 calibration={calibration} convolutions=all"
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tern import corpora, ocr  # noqa: E402

FONT = "/usr/share/consolefonts/Lat15-Terminus20x10.psf.gz"
MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]


def pages(source, count, height, width, seed):
    """`count` detector inputs [count, 3, height, width] and the mask of
    the text's cells on each page."""
    font = ocr.PSFFont(FONT)
    rng = np.random.default_rng(seed)
    lines = corpora.page_lines(source, count * 12, columns=(20, 50), seed=seed,
                               keep=lambda l: all(c in font.glyph_index
                                                  for c in l))
    inputs = np.zeros((count, 3, height, width), np.float32)
    boxes = np.zeros((count, height, width), bool)
    at = 0
    for p in range(count):
        canvas = np.full((height, width), 255, np.uint8)
        y = int(rng.integers(8, 24))
        while at < len(lines):
            image = ocr.PSFFont.render(font, lines[at]).repeat(2, 0).repeat(2, 1)
            h, w = image.shape
            if y + h > height - 8:
                break
            x = int(rng.integers(8, max(9, width - w - 8)))
            w = min(w, width - x - 8)
            canvas[y:y + h, x:x + w] = image[:, :w]
            boxes[p, y:y + h, x:x + w] = True
            y += h + int(rng.integers(6, 30))
            at += 1
        rgb = np.repeat(canvas[None].astype(np.float32) / 255.0, 3, 0)
        inputs[p] = (rgb - MEAN) / STD
    return inputs, boxes


def iou(a, b):
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else np.logical_and(a, b).sum() / union


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stderr}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", required=True)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--text", default="sotu:barack_obama")
    parser.add_argument("--calibration-text", default="persuasion")
    parser.add_argument("--calibration-pages", type=int, default=8)
    parser.add_argument("--threshold", type=float, default=0.3)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("configs", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model = os.path.join(args.models, "ch_PP-OCRv4_det_infer.onnx")
    shape = f"x={args.pages}x3x{args.height}x{args.width}"
    x, boxes = pages(args.text, args.pages, args.height, args.width, seed=1)
    np.save(os.path.join(args.out, "x.npy"), x)
    calibration = os.path.join(args.out, "calibration")
    cal, _ = pages(args.calibration_text, args.calibration_pages, args.height,
                   args.width, seed=2)
    for i in range(0, args.calibration_pages - args.pages + 1, args.pages):
        os.makedirs(os.path.join(calibration, f"{i:03d}"), exist_ok=True)
        np.save(os.path.join(calibration, f"{i:03d}", "x.npy"),
                cal[i:i + args.pages])

    results, maps = [], {}
    for config in args.configs:
        name, _, options = config.partition("=")
        folder = os.path.join(args.out, name)
        os.makedirs(folder, exist_ok=True)
        start = time.time()
        compiled = model
        if options:
            compiled = os.path.join(folder, "model.mlirbc")
            options = options.replace("{calibration}", calibration)
            run([os.path.join(args.bin, "tern-opt"), model, "--input-shape",
                 shape, f"--tern-ptq-pipeline={options} quiet=1 "
                 f"report={os.path.join(folder, 'report.json')}",
                 "-o", compiled])
        quantize = time.time() - start
        run([os.path.join(args.bin, "tern-run"), compiled, "--input-shape",
             shape, "--input", f"x={os.path.join(args.out, 'x.npy')}",
             "--output-dir", folder, "--compile-cache", "none"])
        prob = np.load(os.path.join(folder, "sigmoid_0.tmp_0.npy"))[:, 0]
        maps[name] = prob
        entry = {"name": name, "options": options,
                 "quantize_seconds": round(quantize, 1)}
        if options:
            with open(os.path.join(folder, "report.json")) as f:
                layers = [l for l in json.load(f)["layers"]
                          if l["format"] == "ternary"]
            weights = sum(l["rows"] * l["cols"] for l in layers)
            entry["layers"] = len(layers)
            entry["bits_per_weight"] = round(sum(
                l["bits_per_weight"] * l["rows"] * l["cols"]
                for l in layers) / max(1, weights), 4)
        results.append(entry)
    reference = maps[args.configs[0].partition("=")[0]]
    print(f"{'configuration':<28} {'layers':>6} {'bits/w':>7} "
          f"{'IoU vs first':>12} {'IoU vs text':>11} {'mean |dp|':>9}")
    for entry in results:
        prob = maps[entry["name"]]
        agree = np.mean([iou(p > args.threshold, r > args.threshold)
                         for p, r in zip(prob, reference)])
        text = np.mean([iou(p > args.threshold, b)
                        for p, b in zip(prob, boxes)])
        entry.update(iou_vs_first=round(float(agree), 4),
                     iou_vs_text=round(float(text), 4),
                     mean_abs_diff=round(float(np.abs(prob - reference).mean()),
                                         5))
        bits = entry.get("bits_per_weight")
        print(f"{entry['name']:<28} {entry.get('layers', 0):>6} "
              f"{bits if bits else 32.0:>7.3f} {agree:>12.4f} {text:>11.4f} "
              f"{entry['mean_abs_diff']:>9.5f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"pages": args.pages, "text": args.text,
                       "calibration_text": args.calibration_text,
                       "calibration_pages": args.calibration_pages,
                       "size": [args.height, args.width],
                       "threshold": args.threshold, "results": results}, f,
                      indent=1)


if __name__ == "__main__":
    main()
