"""Evaluation harnesses: the quality of float and ternarized models, run on
tern (tern-compile'd libraries, in process) and, for comparison, on ONNX
Runtime (the ternarized model exported back to ONNX with dequantized
weights).

- Language models (the Austen decoder of tern.lm): perplexity on windows
  of the held-out novel.
- OCR (PP-OCRv4's recognizer): character error rate on rendered lines of
  a novel, greedy CTC decoding.

A configuration is NAME=OPTIONS, OPTIONS being tern-ptq-pipeline's
(e.g. 'ptqtp2=method=ptqtp planes=2'), or 'float'; `{calibration}` in
OPTIONS is replaced by the folder of calibration inputs (e.g.
'cal=method=bt threshold=calibrated calibration={calibration}').
Each result records the configuration, its bits per weight (over the
ternarized layers), the number of layers ternarized and the quality on
every backend.
"""

import json
import os
import subprocess
import time

import numpy as np

from tern import api

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
ORT_RUNNER = os.path.join(ROOT, "tools", "ort-reference", "run-ort.mjs")


def ort_available():
    """Whether ONNX Runtime for Node is installed (scripts/fetch-ort.sh)."""
    return os.path.isdir(os.path.join(ROOT, "tools", "ort-reference",
                                      "node_modules", "onnxruntime-node"))


def run_ort(model, inputs, folder, threads=1):
    """Runs an ONNX model once with ONNX Runtime on {name: array};
    returns {output name: array}."""
    os.makedirs(folder, exist_ok=True)
    args = ["node", ORT_RUNNER, os.fspath(model), folder]
    for name, path in api.write_inputs(folder, inputs).items():
        args.append(f"{name}={path}")
    args += ["--threads", str(threads)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        raise api.TernError("onnxruntime", done.returncode,
                            done.stderr.strip(), args)
    outputs = {}
    for line in done.stdout.splitlines():
        if line.startswith("wrote "):
            path = line.split()[1]
            outputs[os.path.basename(path)[:-4]] = np.load(path)
    return outputs


def log_line(text):
    """Progress lines, flushed: evaluations take minutes."""
    print(text, flush=True)


def parse_config(config):
    """(name, options or None for the float model) of NAME=OPTIONS."""
    name, _, options = config.partition("=")
    if name == "float" and not options:
        return name, None
    if not options:
        raise ValueError(f"configuration '{config}': expected NAME=OPTIONS "
                         "or 'float'")
    return name, options


class Workspace:
    """One configuration's files: the ternarized model, its report, its
    compiled library and its ONNX export, in folder/NAME."""

    def __init__(self, folder, name):
        self.folder = os.path.join(folder, name)
        os.makedirs(self.folder, exist_ok=True)

    def path(self, leaf):
        return os.path.join(self.folder, leaf)


def prepare(model, name, options, folder, input_shapes, calibration):
    """Ternarizes `model` for one configuration (or not, for float);
    returns (model to compile, Quantized or None, seconds)."""
    if options is None:
        return model, None, 0.0
    if "{calibration}" in options:
        if calibration is None:
            raise ValueError(f"{name}: {{calibration}} needs calibration "
                             "inputs")
        options = options.replace("{calibration}", calibration)
    work = Workspace(folder, name)
    start = time.time()
    quantized = api.quantize(model, pipeline=options,
                             out=work.path("model.mlirbc"),
                             input_shapes=input_shapes,
                             report=work.path("report.json"))
    return quantized.path, quantized, time.time() - start


def result_entry(name, options, quantized, seconds):
    entry = {"name": name, "options": options, "layers": 0,
             "bits_per_weight": 32.0, "quantize_seconds": round(seconds, 1)}
    if quantized is not None:
        entry["layers"] = len(quantized.report["layers"])
        entry["bits_per_weight"] = round(quantized.bits_per_weight, 4)
    return entry


# --- Language models ---------------------------------------------------------

def lm_data(model_dir, windows, calibration_windows):
    """Held-out windows [windows, context] of the held-out novel, and
    calibration windows from the training novels, with the model's
    tokenizer."""
    from tern import lm

    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    tokenizer = os.path.join(model_dir, "tokenizer.model")
    context = config["context"]
    held_out = lm.windows(lm.token_stream(tokenizer, (lm.HELD_OUT_NOVEL,)),
                          context, windows)
    train = lm.windows(lm.token_stream(tokenizer, lm.TRAIN_NOVELS), context,
                       calibration_windows)
    return held_out, train


def chunked_perplexity(run, tokens, batch):
    """Perplexity over tokens [n, context] scored `batch` windows at a time
    by run(chunk) -> logits."""
    from tern import lm

    nll, count = 0.0, 0
    for i in range(0, len(tokens), batch):
        chunk = tokens[i:i + batch]
        _, n, c = lm.perplexity(run(chunk), chunk)
        nll, count = nll + n, count + c
    return float(np.exp(nll / count))


def lm_perplexity_tern(model, tokens, batch, folder, **kernel_options):
    """Perplexity of `model` (batch `batch`) on tokens [n, context], n a
    multiple of `batch`, compiled by tern-compile and called in process."""
    library = api.compile(model, os.path.join(folder, "libmodel.so"),
                          name="model", input_shapes={
                              "tokens": (batch, tokens.shape[1])},
                          **kernel_options)
    return chunked_perplexity(lambda c: library(tokens=c)["logits"], tokens,
                              batch)


def lm_perplexity_ort(onnx_model, tokens, batch, folder, threads=1):
    """The same with ONNX Runtime (the model's batch dimension is
    symbolic)."""
    ort = os.path.join(folder, "ort")
    return chunked_perplexity(
        lambda c: run_ort(onnx_model, {"tokens": c}, ort, threads)["logits"],
        tokens, batch)


def evaluate_lm(model_dir, configs, folder, backends=("tern",), windows=256,
                calibration_windows=128, batch=16, log=log_line,
                **kernel_options):
    """Perplexity on the held-out novel of the model of `model_dir`
    (tern.lm's layout) for every configuration; returns the results."""
    onnx_model = os.path.join(model_dir, "model.onnx")
    windows -= windows % batch
    calibration_windows -= calibration_windows % batch
    held_out, train = lm_data(model_dir, windows, calibration_windows)
    os.makedirs(folder, exist_ok=True)
    calibration = os.path.join(folder, "calibration")
    os.makedirs(calibration, exist_ok=True)
    np.save(os.path.join(calibration, "tokens.npy"), train)
    shapes = {"tokens": (batch, held_out.shape[1])}
    log(f"{len(held_out)} held-out windows of {held_out.shape[1]} tokens "
        f"({len(held_out) * (held_out.shape[1] - 1)} predictions), "
        f"calibration: {len(train)} training windows")
    results = []
    for config in configs:
        name, options = parse_config(config)
        results.append(guarded(name, options, log, lambda: score_lm(
            onnx_model, name, options, folder, shapes, calibration, held_out,
            batch, backends, log, kernel_options)))
    return results


def score_lm(onnx_model, name, options, folder, shapes, calibration,
             held_out, batch, backends, log, kernel_options):
    """One configuration of evaluate_lm."""
    compiled, quantized, seconds = prepare(onnx_model, name, options,
                                           folder, shapes, calibration)
    entry = result_entry(name, options, quantized, seconds)
    work = Workspace(folder, name)
    if "tern" in backends:
        entry["tern"] = round(lm_perplexity_tern(
            compiled, held_out, batch, work.folder, **kernel_options), 4)
    if "ort" in backends:
        exported = onnx_model if quantized is None else api.export_onnx(
            compiled, onnx_model, work.path("model.onnx"))
        entry["ort"] = round(lm_perplexity_ort(exported, held_out, batch,
                                               work.folder), 4)
    log(format_row(entry, backends, "perplexity"))
    return entry


def guarded(name, options, log, score):
    """score() for one configuration; a tool's failure is recorded in the
    entry (`error`) and the evaluation goes on with the next one."""
    try:
        return score()
    except api.TernError as error:
        lines = error.message.splitlines()
        first = next((l for l in lines if "error" in l), lines[0])
        log(f"{name}: {error.tool} failed: {first}")
        return {"name": name, "options": options, "layers": 0,
                "bits_per_weight": None, "error": error.message}


# --- OCR ---------------------------------------------------------------------

FONT = "/usr/share/consolefonts/Lat15-Terminus20x10.psf.gz"
RECOGNIZER = "ch_PP-OCRv4_rec_infer.onnx"


def ocr_lines(novel, width, lines, skip, font=FONT):
    """`lines` lines of `novel` that fit `width` pixels, rendered as the
    recognizer's input batch [lines, 3, 48, width]."""
    from tern import ocr
    from tern.lm import AUSTEN
    from tern.rdata import LazyLoadDB

    font = ocr.PSFFont(font)
    limit = int(width / (font.width * 48 / font.height))
    texts = ocr.text_lines(LazyLoadDB(AUSTEN)[novel], limit, lines, skip)
    batch = np.concatenate([ocr.recognizer_input(font.render(t), 48, width)
                            for t in texts])
    return texts, batch


def character_error_rate(scores, texts, charset):
    """Corpus CER of greedy CTC decoding of `scores` against `texts`."""
    from tern import ocr

    edits = sum(ocr.edit_distance(ocr.ctc_greedy_decode(scores[i], charset),
                                  truth) for i, truth in enumerate(texts))
    return edits / sum(len(t) for t in texts)


def evaluate_ocr(models, configs, folder, backends=("tern",), novel="emma",
                 lines=300, width=320, skip=40, calibration_novel="persuasion",
                 calibration_lines=0, threads=2, log=log_line,
                 **kernel_options):
    """CER of PP-OCRv4's recognizer (folder `models`) on `lines` rendered
    lines of `novel`, for every configuration; returns the results."""
    from tern import ocr

    if calibration_lines and calibration_novel == novel:
        raise ValueError("calibrate on another novel than the one scored")
    model = os.path.join(models, RECOGNIZER)
    charset = ocr.load_charset(os.path.join(models, "ppocr_keys_v1.txt"))
    texts, batch = ocr_lines(novel, width, lines, skip)
    os.makedirs(folder, exist_ok=True)
    calibration = None
    if calibration_lines:
        calibration = os.path.join(folder, "calibration")
        os.makedirs(calibration, exist_ok=True)
        _, cal = ocr_lines(calibration_novel, width, calibration_lines, skip)
        np.save(os.path.join(calibration, "x.npy"), cal)
    log(f"{len(texts)} lines of {novel}, {sum(len(t) for t in texts)} "
        "characters")
    shapes = {"x": (1, 3, 48, width)}
    results = []
    for config in configs:
        name, options = parse_config(config)
        results.append(guarded(name, options, log, lambda: score_ocr(
            model, name, options, folder, shapes, calibration, batch, texts,
            charset, backends, threads, log, kernel_options)))
    return results


def score_ocr(model, name, options, folder, shapes, calibration, batch,
              texts, charset, backends, threads, log, kernel_options):
    """One configuration of evaluate_ocr."""
    compiled, quantized, seconds = prepare(model, name, options, folder,
                                           shapes, calibration)
    entry = result_entry(name, options, quantized, seconds)
    work = Workspace(folder, name)
    if "tern" in backends:
        # Compiled for a batch of 1 (calibration sets are single lines),
        # run line by line.
        library = api.compile(compiled, work.path("libmodel.so"),
                              name="model", input_shapes=shapes,
                              **kernel_options)
        output = library.outputs[0][0]
        scores = np.concatenate([library(batch[i:i + 1])[output]
                                 for i in range(len(batch))])
        entry["tern"] = round(character_error_rate(scores, texts, charset),
                              6)
    if "ort" in backends:
        exported = model if quantized is None else api.export_onnx(
            compiled, model, work.path("model.onnx"))
        outputs = run_ort(exported, {"x": batch}, work.path("ort"), threads)
        scores = next(iter(outputs.values()))
        entry["ort"] = round(character_error_rate(scores, texts, charset), 6)
    log(format_row(entry, backends, "CER"))
    return entry


# --- Reports -----------------------------------------------------------------

def format_row(entry, backends, metric):
    if "error" in entry:
        return f"{entry['name']:<24} failed"
    values = "  ".join(f"{b}={entry[b]:.4g}" for b in backends if b in entry)
    return (f"{entry['name']:<24} layers={entry['layers']:<3} "
            f"bits/w={entry['bits_per_weight']:<6.3g} {metric}: {values}")
