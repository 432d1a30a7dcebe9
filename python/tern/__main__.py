"""tern (or python3 -m tern) quantize|compile|run|eval|report|train-lm: the
package's functions from the command line (python/README.md). A tool's failure
prints the tool's own message and exits with status 1."""

import argparse
import json
import os
import sys
import tempfile

from tern import api


def parse_pairs(items, flag, form):
    """{NAME: VALUE} of NAME=VALUE items; ValueError names `flag`."""
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise ValueError(f"bad {flag} '{item}': expected {form}")
        pairs[name] = value
    return pairs


def parse_shapes(text):
    """NAME=DxD[,NAME=...] as tern's tools take it (shapes kept as
    strings); None without one."""
    if not text:
        return None
    return parse_pairs(text.split(","), "--input-shape", "NAME=DxDx...")


def parse_inputs(values):
    return parse_pairs(values or [], "--input", "NAME=PATH.npy")


def add_kernel_options(p):
    p.add_argument("--cpu", help="x86-64-v3 (default), x86-64-v4 or native")
    p.add_argument("--ternary-activations", choices=["f32", "int8"])
    p.add_argument("--ternary-int8-dot",
                   choices=["auto", "none", "generic", "pmaddubsw",
                            "vpdpbusd"])
    p.add_argument("--ternary-kept-int8-dot", choices=["true", "false"],
                   help="layers kept in int8 in the dot-product kernels "
                        "(the tools' default: true)")


def kernel_options(args):
    kept = args.ternary_kept_int8_dot
    return {"cpu": args.cpu, "ternary_activations": args.ternary_activations,
            "int8_dot": args.ternary_int8_dot,
            "kept_int8_dot": None if kept is None else kept == "true"}


def cmd_quantize(args):
    options = {k: getattr(args, k) for k in (
        "planes", "threshold", "group_size", "include", "exclude", "bits",
        "stats", "cpu", "refine_codes", "sequential_target")}
    for flag in ("sequential", "gptq", "bias_correction", "refit_scales"):
        if getattr(args, flag):
            options[flag] = True
    q = api.quantize(args.model, method=args.method,
                     calibration=args.calibration, out=args.output,
                     input_shapes=parse_shapes(args.input_shape),
                     report=args.report, pipeline=args.pipeline, **options)
    print(f"wrote {q.path}: {len(q.ternary_layers)} layers ternarized, "
          f"{q.bits_per_weight:.3f} bits per weight")


def cmd_compile(args):
    header = api.compile(args.model, args.output, name=args.name,
                         header=args.header,
                         input_shapes=parse_shapes(args.input_shape),
                         load=False, **kernel_options(args))
    print(f"wrote {args.output} and {header}")


def cmd_run(args):
    import numpy as np

    if args.compiled:
        if args.num_threads or args.pipeline:
            sys.exit("tern run: --compiled takes neither --num-threads "
                     "(OMP_NUM_THREADS sets the library's) nor --pipeline")
        with tempfile.TemporaryDirectory(prefix="tern-run-") as tmp:
            lib = api.compile(args.model, os.path.join(tmp, "libmodel.so"),
                              name="model",
                              input_shapes=parse_shapes(args.input_shape),
                              **kernel_options(args))
            outputs = lib(**{name: np.load(path) for name, path in
                             parse_inputs(args.input).items()})
    else:
        outputs = api.run(args.model, parse_inputs(args.input),
                          input_shapes=parse_shapes(args.input_shape),
                          num_threads=args.num_threads,
                          pipeline=args.pipeline, **kernel_options(args))
    os.makedirs(args.output_dir, exist_ok=True)
    for name, value in outputs.items():
        path = os.path.join(args.output_dir, name + ".npy")
        np.save(path, value)
        print(f"wrote {path} {value.dtype} {tuple(value.shape)}")


# The configurations of the quality tables (docs/LanguageModel.md,
# docs/Quantization.md): every method, data-free and calibrated, as
# (NAME=OPTIONS, sequential). Sequential fits run the model twice per layer
# over the calibration inputs: the OCR table leaves them out.
METHODS = [
    ("bt-sigma=method=bt threshold=sigma", False),
    ("bt-twn=method=bt threshold=twn", False),
    ("bt-absmean=method=bt threshold=absmean", False),
    ("bt-mse=method=bt threshold=mse", False),
    ("bt-calibrated=method=bt threshold=calibrated calibration={calibration}",
     False),
    ("bt-cal-gptq=method=bt threshold=calibrated gptq=1 "
     "calibration={calibration}", False),
    ("bt-cal-gptq-seq=method=bt threshold=calibrated gptq=1 sequential=1 "
     "calibration={calibration}", True),
    ("szt=method=szt threshold=mse", False),
    ("szt-gptq=method=szt threshold=calibrated gptq=1 "
     "calibration={calibration}", False),
    # Tequila's dead-zone bias is E[x]-weighted: it always calibrates.
    ("tequila=method=tequila threshold=mse calibration={calibration}",
     False),
    ("tequila-cal=method=tequila threshold=calibrated "
     "calibration={calibration}", False),
    ("sherry=method=sherry", False),
    # Sherry's 3:4 codes are chosen four weights at a time, so no GPTQ
    # (column-by-column error feedback): calibration weighs its fit.
    ("sherry-cal=method=sherry calibration={calibration}", False),
    ("dlt=method=dlt", False),
    ("dlt-gptq=method=dlt gptq=1 calibration={calibration}", False),
    ("ptqtp1-gptq-seq=method=ptqtp planes=1 gptq=1 sequential=1 "
     "calibration={calibration}", True),
    ("ptqtp2=method=ptqtp planes=2", False),
    ("ptqtp2-gptq=method=ptqtp planes=2 gptq=1 calibration={calibration}",
     False),
    ("ptqtp2-gptq-seq=method=ptqtp planes=2 gptq=1 sequential=1 "
     "calibration={calibration}", True),
    ("ptqtp3=method=ptqtp planes=3", False),
    ("ptqtp3-gptq=method=ptqtp planes=3 gptq=1 calibration={calibration}",
     False),
]


def method_table(layers, sequential=True):
    """'float' and every method, on the layers `layers` selects."""
    return ["float"] + [f"{c} {layers}" for c, seq in METHODS
                        if sequential or not seq]


# The language model's output head is kept out of the ternary set (int8,
# tern-ternarize's keep= default); its embedding, a Gather rather than a
# matmul, stays float. The recognizer's table ternarizes its 9 MatMuls (its
# other layers kept in int8).
LM_SETS = {"table": method_table("exclude=^/head/"), "float": ["float"]}
OCR_SETS = {"table": method_table("include=MatMul", sequential=False),
            "float": ["float"]}


def cmd_eval(args):
    from tern import evaluate, report

    backends = args.backends.split(",")
    for b in backends:
        if b not in ("tern", "ort"):
            sys.exit(f"tern eval: unknown backend '{b}' (tern or ort)")
    if "ort" in backends and not evaluate.ort_available():
        sys.exit("tern eval: ONNX Runtime is not installed "
                 "(scripts/fetch-ort.sh)")
    sets = LM_SETS if args.task == "lm" else OCR_SETS
    configs = list(sets[args.set]) if args.set else []
    configs += args.config
    if not configs:
        configs = ["float"]
    folder = args.work or os.path.join(
        os.environ.get("TMPDIR", "/tmp"), f"tern-eval-{args.task}")
    texts = args.text or None
    if args.task == "lm":
        data = evaluate.evaluate_lm(
            args.model_dir, configs, folder, backends, windows=args.windows,
            calibration_windows=args.calibration_windows, batch=args.batch,
            texts=texts, **kernel_options(args))
        data.update({"title": "Austen LM: held-out perplexity",
                     "model": args.model_dir, "windows": args.windows})
    else:
        data = evaluate.evaluate_ocr(
            args.models, configs, folder, backends,
            texts=texts or [args.novel], layout=args.layout,
            lines=args.lines, width=args.width,
            calibration_text=args.calibration_text,
            calibration_lines=args.calibration_lines,
            **kernel_options(args))
        data.update({"title": "PP-OCRv4 recognizer: character error rate",
                     "lines": args.lines})
    results = data["results"]
    print()
    print(report.results_table(data), end="")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(data, f, indent=1)
        print(f"wrote {args.out}")
    if args.plot:
        report.plot(data, args.plot)
        print(f"wrote {args.plot}")
    failed = [r["name"] for r in results if "error" in r]
    if failed:
        raise ValueError(f"{len(failed)} configuration(s) failed: "
                         f"{', '.join(failed)}")


def cmd_report(args):
    from tern import report

    data = report.load(args.file)
    kind = report.kind(data)
    if kind == "ptq":
        print(report.ptq_table(data, args.markdown), end="")
    else:
        print(report.results_table(data, args.markdown), end="")
    if args.plot:
        if kind != "results":
            sys.exit("tern report: --plot needs evaluation results "
                     "(python3 -m tern eval ... --out FILE)")
        report.plot(data, args.plot)
        print(f"wrote {args.plot}")


def cmd_train_lm(args):
    from tern import lm

    config = dict(lm.DEFAULT_CONFIG)
    for item in args.config or []:
        key, sep, value = item.partition("=")
        if not sep or key not in config:
            raise ValueError(f"bad --config '{item}': expected KEY=VALUE, "
                             f"KEY one of {', '.join(config)}")
        config[key] = type(config[key])(value)
    path = lm.train(args.out, steps=args.steps, batch=args.batch, lr=args.lr,
                    seed=args.seed, threads=args.threads, config=config,
                    log=lambda s: print(s, flush=True))
    print(f"wrote {path}")


def parser(prog="tern"):
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..",
                                         ".."))
    models = os.environ.get("TERN_MODELS_DIR", os.path.join(root, "models"))
    p = argparse.ArgumentParser(prog=prog, description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    q = sub.add_parser("quantize", help="ternarize a model (tern-opt "
                       "--tern-ptq-pipeline)")
    q.add_argument("model")
    q.add_argument("-o", "--output", help="default: MODEL-tern.mlirbc")
    q.add_argument("--method", default="ptqtp",
                   help="bt, szt, tequila, ptqtp, dlt or sherry")
    q.add_argument("--calibration", help="folder of calibration input sets")
    q.add_argument("--input-shape", help="NAME=DxD...[,NAME=...]")
    q.add_argument("--planes", type=int)
    q.add_argument("--threshold")
    q.add_argument("--group-size", type=int)
    q.add_argument("--include")
    q.add_argument("--exclude")
    q.add_argument("--bits", type=float)
    q.add_argument("--stats")
    q.add_argument("--cpu")
    q.add_argument("--sequential", action="store_true")
    q.add_argument("--gptq", action="store_true")
    q.add_argument("--bias-correction", action="store_true")
    q.add_argument("--refit-scales", action="store_true")
    q.add_argument("--refine-codes", type=int, metavar="SWEEPS",
                   help="learned rounding: sweeps of coordinate descent over "
                   "the codes on the output error (needs --calibration)")
    q.add_argument("--sequential-target", choices=["layer", "block"],
                   help="with --sequential: what each layer is fitted to "
                   "(block: a layer added to a residual stream, the float "
                   "model's sum there)")
    q.add_argument("--pipeline", help="a tern-ptq-pipeline option string "
                   "(instead of, or besides, the flags)")
    q.add_argument("--report", help="keep the JSON report here")
    q.set_defaults(run=cmd_quantize)

    c = sub.add_parser("compile", help="compile to a shared library "
                       "(tern-compile)")
    c.add_argument("model")
    c.add_argument("-o", "--output", required=True)
    c.add_argument("--name")
    c.add_argument("--header")
    c.add_argument("--input-shape")
    add_kernel_options(c)
    c.set_defaults(run=cmd_compile)

    r = sub.add_parser("run", help="run a model (tern-run)")
    r.add_argument("model")
    r.add_argument("--input", action="append", help="NAME=PATH.npy")
    r.add_argument("--input-shape")
    r.add_argument("--output-dir", required=True)
    r.add_argument("--num-threads", type=int)
    r.add_argument("--pipeline", choices=["cpu", "reference"])
    r.add_argument("--compiled", action="store_true",
                   help="compile the model with tern-compile and call the "
                        "library's C entry point in process, as an "
                        "application does (ctypes)")
    add_kernel_options(r)
    r.set_defaults(run=cmd_run)

    e = sub.add_parser("eval", help="quality of float and ternarized "
                       "models: 'lm' (perplexity) or 'ocr' (CER)")
    e.add_argument("task", choices=["lm", "ocr"])
    e.add_argument("config", nargs="*",
                   help="'float' or NAME=TERN_PTQ_PIPELINE_OPTIONS")
    e.add_argument("--set", choices=["table", "float"],
                   help="predefined configurations: 'table' (every method) "
                   "or 'float'")
    e.add_argument("--backends", default="tern", help="tern,ort")
    e.add_argument("--work", help="folder for the models made (default "
                   "$TMPDIR/tern-eval-TASK)")
    e.add_argument("--out", help="write the results as JSON")
    e.add_argument("--plot", help="write a PNG of quality against bits")
    e.add_argument("--model-dir", default=os.path.join(models, "austen-lm"),
                   help="lm: the trained model (train-lm)")
    e.add_argument("--windows", type=int, default=256,
                   help="lm: held-out windows")
    e.add_argument("--calibration-windows", type=int, default=128)
    e.add_argument("--batch", type=int, default=16)
    e.add_argument("--models", default=os.path.join(models, "ppocr"),
                   help="ocr: the PP-OCR models (scripts/fetch-models.sh)")
    e.add_argument("--text", action="append",
                   help="a text to score on, repeatable: a janeaustenr "
                   "novel ('emma') or sotu:PRESIDENT "
                   "('sotu:james_madison', scripts/fetch-models.sh); lm "
                   "default: persuasion and sotu:james_madison, ocr "
                   "default: --novel")
    e.add_argument("--novel", default="emma",
                   help="ocr: the text when no --text is given")
    e.add_argument("--layout", choices=["chunks", "lines"],
                   default="chunks",
                   help="ocr: 'chunks' of words that fit --width pixels, or "
                   "whole 'lines' of a page (30-80 characters) at their "
                   "natural widths, the recognizer's width left dynamic")
    e.add_argument("--lines", type=int, default=300)
    e.add_argument("--width", type=int, default=320)
    e.add_argument("--calibration-text", default="persuasion",
                   help="ocr: what calibration lines are rendered from")
    e.add_argument("--calibration-lines", type=int, default=0)
    add_kernel_options(e)
    e.set_defaults(run=cmd_eval)

    t = sub.add_parser("report", help="render a tern-ternarize report or "
                       "evaluation results as a table")
    t.add_argument("file")
    t.add_argument("--markdown", action="store_true")
    t.add_argument("--plot", help="results: write a PNG")
    t.set_defaults(run=cmd_report)

    m = sub.add_parser("train-lm", help="train the Austen test LM "
                       "(not part of CI: about 25 minutes on one core)")
    m.add_argument("--out", default=os.path.join(models, "austen-lm"))
    m.add_argument("--steps", type=int, default=1500)
    m.add_argument("--batch", type=int, default=32)
    m.add_argument("--lr", type=float, default=3e-3)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--threads", type=int, default=1)
    m.add_argument("--config", action="append", help="KEY=VALUE: a model "
                   "setting other than the default (vocab, dim, layers, "
                   "heads, hidden, context, ...)")
    m.set_defaults(run=cmd_train_lm)
    return p


def main(argv=None, prog="tern"):
    """The `tern` command (pip's console script), or `python3 -m tern`."""
    p = parser(prog)
    # Configurations may follow eval's options (argparse takes positionals
    # only in one run).
    args, extra = p.parse_known_args(argv)
    unknown = [e for e in extra if e.startswith("-")]
    if unknown or (extra and args.command != "eval"):
        p.error(f"unrecognized arguments: {' '.join(unknown or extra)}")
    if extra:
        args.config += extra
    try:
        args.run(args)
    except api.TernError as error:
        sys.stdout.flush()
        print(f"tern {args.command}: {error.tool} failed:\n{error.message}",
              file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        sys.stdout.flush()
        print(f"tern {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="python3 -m tern"))
