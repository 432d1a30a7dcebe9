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


def _ort_written(model, folder, inputs, threads):
    """Runs run-ort.mjs on `model` with input arguments `inputs`, writing
    into `folder`; returns the paths of the .npy files it wrote."""
    os.makedirs(folder, exist_ok=True)
    args = (["node", ORT_RUNNER, os.fspath(model), folder] + inputs +
            ["--threads", str(threads)])
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        raise api.TernError("onnxruntime", done.returncode,
                            done.stderr.strip(), args)
    return [line.split()[1] for line in done.stdout.splitlines()
            if line.startswith("wrote ")]


def run_ort(model, inputs, folder, threads=1):
    """Runs an ONNX model once with ONNX Runtime on {name: array};
    returns {output name: array}."""
    os.makedirs(folder, exist_ok=True)
    paths = _ort_written(model, folder, [
        f"{name}={path}"
        for name, path in api.write_inputs(folder, inputs).items()], threads)
    return {os.path.basename(path)[:-4]: np.load(path) for path in paths}


def run_ort_sets(model, sets, folder, threads=1):
    """Runs an ONNX model with ONNX Runtime on every input set of `sets` (a
    list of {name: array}; shapes may differ from set to set) in one
    session; returns the first output of every set, in order."""
    inputs = api.write_calibration(os.path.join(folder, "inputs"), sets)
    first = {}
    for path in _ort_written(model, folder, ["--sets", inputs], threads):
        first.setdefault(os.path.dirname(path), path)
    return [np.load(first[os.path.join(folder, f"{i:05d}")])
            for i in range(len(sets))]


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
        entry["layers"] = len(quantized.ternary_layers)
        entry["bits_per_weight"] = round(quantized.bits_per_weight, 4)
    return entry


# --- Language models ---------------------------------------------------------

def lm_data(model_dir, windows, calibration_windows, texts):
    """Held-out windows [windows, context] of every text of `texts`
    (tern.corpora sources), and calibration windows from the training
    novels, with the model's tokenizer."""
    from tern import lm

    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    tokenizer = os.path.join(model_dir, "tokenizer.model")
    context = config["context"]
    held_out = {}
    for text in texts:
        if text in lm.TRAIN_NOVELS:
            raise ValueError(f"text '{text}': the model was trained on it")
        held_out[text] = lm.windows(lm.token_stream(tokenizer, (text,)),
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


def evaluate_lm(model_dir, configs, folder, backends=("tern",), windows=256,
                calibration_windows=128, batch=16, texts=None, log=log_line,
                **kernel_options):
    """Perplexity of the model of `model_dir` (tern.lm's layout) on every
    held-out text of `texts` (default: the held-out novel and another
    author's text, lm.HELD_OUT_NOVEL and lm.OTHER_AUTHOR) for every
    configuration; returns the evaluation (texts, calibration, results)."""
    from tern import corpora, lm

    texts = list(texts or (lm.HELD_OUT_NOVEL, lm.OTHER_AUTHOR))
    onnx_model = os.path.join(model_dir, "model.onnx")
    windows -= windows % batch
    calibration_windows -= calibration_windows % batch
    held_out, train = lm_data(model_dir, windows, calibration_windows, texts)
    os.makedirs(folder, exist_ok=True)
    calibration = os.path.join(folder, "calibration")
    os.makedirs(calibration, exist_ok=True)
    np.save(os.path.join(calibration, "tokens.npy"), train)
    context = train.shape[1]
    data = {"task": "lm", "metric": "perplexity", "log_scale": True,
            "texts": [], "calibration": {
                "description": f"{len(train)} windows of {context} tokens of "
                               "the five training novels (Jane Austen)",
                "size": len(train)}}
    for text, tokens in held_out.items():
        tokens = tokens[:len(tokens) - len(tokens) % batch]
        held_out[text] = tokens
        data["texts"].append({
            "name": text, "description": corpora.describe(text),
            "size": f"{len(tokens)} windows of {context} tokens",
            "predictions": int(len(tokens) * (context - 1))})
        log(f"{text}: {len(tokens)} held-out windows of {context} tokens "
            f"({len(tokens) * (context - 1)} predictions), "
            f"{corpora.describe(text)}")
    log(f"calibration: {data['calibration']['description']}")
    shapes = {"tokens": (batch, context)}
    data["results"] = []
    for config in configs:
        name, options = parse_config(config)
        data["results"].append(guarded(name, options, log, lambda: score_lm(
            onnx_model, name, options, folder, shapes, calibration, held_out,
            batch, backends, log, kernel_options)))
    return data


def score_lm(onnx_model, name, options, folder, shapes, calibration,
             held_out, batch, backends, log, kernel_options):
    """One configuration of evaluate_lm."""
    compiled, quantized, seconds = prepare(onnx_model, name, options,
                                           folder, shapes, calibration)
    entry = result_entry(name, options, quantized, seconds)
    work = Workspace(folder, name)
    runs = {}
    if "tern" in backends:
        library = api.compile(compiled, work.path("libmodel.so"),
                              name="model", input_shapes=shapes,
                              **kernel_options)
        runs["tern"] = lambda c: library(tokens=c)["logits"]
    if "ort" in backends:
        exported = onnx_model if quantized is None else api.export_onnx(
            compiled, onnx_model, work.path("model.onnx"))
        ort = work.path("ort")
        runs["ort"] = lambda c: run_ort(exported, {"tokens": c}, ort)[
            "logits"]
    for text, tokens in held_out.items():
        for backend, run in runs.items():
            record(entry, text, backend,
                   round(chunked_perplexity(run, tokens, batch), 4))
    log(format_row(entry, backends, "perplexity"))
    return entry


def record(entry, text, backend, value):
    """Stores one score: per text in entry['texts'], and the first text's
    as entry[backend] too (what one-text readers of the results use)."""
    scores = entry.setdefault("texts", {})
    if text == next(iter(scores), text):
        entry[backend] = value
    scores.setdefault(text, {})[backend] = value


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


def ocr_lines(text, width, lines, skip, font=FONT):
    """`lines` chunks of whole words of `text` (a tern.corpora source) that
    fit `width` pixels, rendered as the recognizer's input batch [lines, 3,
    48, width] (the 'chunks' layout); returns (strings, batch)."""
    from tern import corpora, ocr

    font = ocr.PSFFont(font)
    limit = int(width / (font.width * 48 / font.height))
    texts = ocr.text_lines(corpora.printed_lines(text), limit, lines, skip)
    batch = np.concatenate([ocr.recognizer_input(font.render(t), 48, width)
                            for t in texts])
    return texts, batch


def ocr_page_lines(text, lines, charset, font=FONT, seed=0):
    """`lines` whole lines of `text` as a page prints them (paragraphs
    wrapped at 30 to 80 characters, tern.corpora.page_lines), each rendered
    at its natural width, 48 pixels high (the 'lines' layout): returns
    (strings, list of [1, 3, 48, width] inputs). Lines with a character the
    font cannot draw or the recognizer cannot read are left out."""
    from tern import corpora, ocr

    font = ocr.PSFFont(font)
    readable = set(charset)

    def keep(line):
        return all(c in readable and c in font.glyph_index for c in line)

    texts = corpora.page_lines(text, lines, keep=keep, seed=seed)
    inputs = []
    for t in texts:
        image = font.render(t)
        width = int(np.ceil(image.shape[1] * 48 / image.shape[0]))
        inputs.append(ocr.recognizer_input(image, 48, width))
    return texts, inputs


def character_error_rate(scores, texts, charset):
    """Corpus CER of greedy CTC decoding of `scores` (one [1, T, C] or
    [T, C] array per line) against `texts`."""
    from tern import ocr

    edits = sum(ocr.edit_distance(ocr.ctc_greedy_decode(scores[i], charset),
                                  truth) for i, truth in enumerate(texts))
    return edits / sum(len(t) for t in texts)


def evaluate_ocr(models, configs, folder, backends=("tern",), texts=("emma",),
                 layout="chunks", lines=300, width=320, skip=40,
                 calibration_text="persuasion", calibration_lines=0,
                 threads=2, log=log_line, **kernel_options):
    """CER of PP-OCRv4's recognizer (folder `models`) on `lines` rendered
    lines of every text of `texts`, for every configuration; returns the
    evaluation (texts, calibration, results). Layout 'chunks' renders
    chunks of words that fit `width` pixels into a model of that width
    (skipping `skip` lines of each text); 'lines' renders whole lines of a
    page at their natural widths into a model whose width is dynamic, and
    calibrates on such lines too."""
    from tern import corpora, ocr

    if layout not in ("chunks", "lines"):
        raise ValueError(f"layout '{layout}': expected chunks or lines")
    texts = list(texts)
    if calibration_lines and calibration_text in texts:
        raise ValueError("calibrate on another text than the ones scored")
    model = os.path.join(models, RECOGNIZER)
    charset = ocr.load_charset(os.path.join(models, "ppocr_keys_v1.txt"))

    def render(text, count):
        if layout == "chunks":
            return ocr_lines(text, width, count, skip)
        return ocr_page_lines(text, count, charset)

    data = {"task": "ocr", "metric": "CER", "percent": True,
            "layout": layout, "texts": []}
    scored = {}
    for text in texts:
        strings, inputs = render(text, lines)
        scored[text] = (strings, inputs)
        size = (f"{len(strings)} chunks of at most {width} pixels"
                if layout == "chunks" else
                f"{len(strings)} lines of {min(map(len, strings))}-"
                f"{max(map(len, strings))} characters at natural widths")
        data["texts"].append({"name": text,
                              "description": corpora.describe(text),
                              "size": size, "lines": len(strings),
                              "characters": sum(map(len, strings))})
        log(f"{len(strings)} lines of {text}, "
            f"{sum(len(t) for t in strings)} characters "
            f"({corpora.describe(text)}; {size})")
    os.makedirs(folder, exist_ok=True)
    calibration = None
    data["calibration"] = {"description": "none", "size": 0}
    if calibration_lines:
        calibration = os.path.join(folder, "calibration")
        os.makedirs(calibration, exist_ok=True)
        strings, cal = render(calibration_text, calibration_lines)
        if layout == "chunks":
            np.save(os.path.join(calibration, "x.npy"), cal)
        else:
            api.write_calibration(calibration, [{"x": x} for x in cal])
        data["calibration"] = {
            "description": f"{len(strings)} {layout} of "
                           f"{corpora.describe(calibration_text)}",
            "size": len(strings)}
    log(f"calibration: {data['calibration']['description']}")
    shapes = {"x": (1, 3, 48, width)} if layout == "chunks" else None
    data["results"] = []
    for config in configs:
        name, options = parse_config(config)
        data["results"].append(guarded(name, options, log, lambda: score_ocr(
            model, name, options, folder, shapes, calibration, scored,
            charset, backends, threads, log, kernel_options)))
    return data


def score_ocr(model, name, options, folder, shapes, calibration, scored,
              charset, backends, threads, log, kernel_options):
    """One configuration of evaluate_ocr."""
    compiled, quantized, seconds = prepare(model, name, options, folder,
                                           shapes, calibration)
    entry = result_entry(name, options, quantized, seconds)
    work = Workspace(folder, name)
    if "tern" in backends:
        # Compiled for one line (of a fixed or a dynamic width), run line by
        # line.
        library = api.compile(compiled, work.path("libmodel.so"),
                              name="model", input_shapes=shapes,
                              **kernel_options)
        output = library.outputs[0][0]
        for text, (strings, inputs) in scored.items():
            scores = [library(inputs[i:i + 1] if shapes else inputs[i])[output]
                      for i in range(len(inputs))]
            record(entry, text, "tern",
                   round(character_error_rate(scores, strings, charset), 6))
    if "ort" in backends:
        exported = model if quantized is None else api.export_onnx(
            compiled, model, work.path("model.onnx"))
        for text, (strings, inputs) in scored.items():
            out = work.path(os.path.join("ort", text.replace(":", "_")))
            if shapes:
                outputs = run_ort(exported, {"x": inputs}, out, threads)
                scores = next(iter(outputs.values()))
            else:
                scores = run_ort_sets(exported, [{"x": x} for x in inputs],
                                      out, threads)
            record(entry, text, "ort",
                   round(character_error_rate(scores, strings, charset), 6))
    log(format_row(entry, backends, "CER"))
    return entry


# --- Reports -----------------------------------------------------------------

def format_row(entry, backends, metric):
    if "error" in entry:
        return f"{entry['name']:<24} failed"
    scores = entry.get("texts") or {"": {b: entry[b] for b in backends
                                          if b in entry}}
    values = "  ".join(
        (f"{text} " if len(scores) > 1 else "") +
        " ".join(f"{b}={v:.4g}" for b, v in by.items())
        for text, by in scores.items())
    return (f"{entry['name']:<24} layers={entry['layers']:<3} "
            f"bits/w={entry['bits_per_weight']:<6.3g} {metric}: {values}")
