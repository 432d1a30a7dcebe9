"""The build-pipeline API: tern's tools driven from Python.

    import tern
    q = tern.quantize("model.onnx", method="ptqtp", planes=2,
                      calibration="calib/", out="model-ptq.mlirbc",
                      input_shapes={"x": (1, 3, 48, 320)})
    lib = tern.compile(q.path, out="libmodel.so")
    outputs = lib(x=batch)                    # in process, through ctypes
    outputs = tern.run(q.path, {"x": batch})  # or with tern-run's JIT

Each function runs one tool (tern-opt, tern-compile, tern-run) and raises
TernError, carrying the tool's own message, when the tool fails. The tools
are found in $TERN_BIN_DIR, else in the build folder next to this package
(build/bin), else on PATH.
"""

import ctypes
import json
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np


class TernError(RuntimeError):
    """A tool failed. `message` is what it printed on stderr (its
    diagnostics), `tool` its name, `returncode` its exit status and
    `command` the full command line."""

    def __init__(self, tool, returncode, message, command):
        self.tool, self.returncode = tool, returncode
        self.message, self.command = message, command
        super().__init__(f"{tool} failed (exit {returncode}): {message}")


def tool_path(name):
    """The path of tool `name` (see the module's documentation)."""
    folder = os.environ.get("TERN_BIN_DIR")
    if folder:
        candidate = os.path.join(folder, name)
        if not os.access(candidate, os.X_OK):
            raise TernError(name, 127, f"not found in TERN_BIN_DIR={folder}",
                            [candidate])
        return candidate
    here = os.path.dirname(os.path.abspath(__file__))
    candidate = os.path.join(here, "..", "..", "build", "bin", name)
    if os.access(candidate, os.X_OK):
        return os.path.normpath(candidate)
    found = shutil.which(name)
    if not found:
        raise TernError(name, 127, "not found: build tern, set TERN_BIN_DIR "
                        "or put the tools on PATH", [name])
    return found


def run_tool(name, args):
    """Runs tool `name` with `args`; returns its stdout and stderr. Raises
    TernError if it fails."""
    command = [tool_path(name)] + [str(a) for a in args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        message = done.stderr.strip() or done.stdout.strip() or "no message"
        raise TernError(name, done.returncode, message, command)
    return done.stdout, done.stderr


def _shape_option(input_shapes, input_values=None):
    """--input-shape's value for {name: shape} (a shape is a sequence of
    ints or a string 'DxD...'), and --input-value's for {name: number}."""
    args = []
    if input_shapes:
        parts = []
        for name, shape in input_shapes.items():
            if not isinstance(shape, str):
                shape = "x".join(str(int(d)) for d in shape)
            parts.append(f"{name}={shape}")
        args += ["--input-shape", ",".join(parts)]
    if input_values:
        args += ["--input-value", ",".join(
            f"{name}={float(value)!r}" for name, value in input_values.items())]
    return args


def _kernel_options(cpu, ternary_activations, int8_dot, kept_int8_dot):
    """The tools' kernel options; None leaves a tool's default."""
    args = []
    if cpu:
        args += ["--cpu", cpu]
    if ternary_activations:
        args += ["--ternary-activations", ternary_activations]
    if int8_dot:
        args += ["--ternary-int8-dot", int8_dot]
    if kept_int8_dot is not None:
        if not isinstance(kept_int8_dot, bool):
            raise TypeError("kept_int8_dot must be True, False or None, not "
                            f"{kept_int8_dot!r}")
        args += ["--ternary-kept-int8-dot=" + str(kept_int8_dot).lower()]
    return args


def write_inputs(folder, inputs):
    """Writes {name: array} as folder/name.npy; returns {name: path}.
    Paths (str) are passed through."""
    paths = {}
    for name, value in inputs.items():
        if isinstance(value, (str, os.PathLike)):
            paths[name] = os.fspath(value)
            continue
        path = os.path.join(folder, re.sub(r"[^A-Za-z0-9_.-]", "_", name)
                            + ".npy")
        np.save(path, np.asarray(value))
        paths[name] = path
    return paths


def write_calibration(folder, sets):
    """Writes calibration input sets (a list of {name: array}) in the layout
    tern-calibrate reads: one subfolder per set, one NAME.npy per input."""
    for i, inputs in enumerate(sets):
        sub = os.path.join(folder, f"{i:05d}")
        os.makedirs(sub, exist_ok=True)
        for name, value in inputs.items():
            np.save(os.path.join(sub, name + ".npy"), np.asarray(value))
    return folder


def write_decoder_calibration(folder, model, sequences):
    """Writes calibration sets for a decoder in tern-generate's layout
    (docs/Generation.md) from token sequences (lists of ids), one set each:
    input_ids [1, n], attention_mask of ones, position_ids 0..n-1, and every
    past_key_values input empty (past = 0), with the heads and head size
    `model` (an ONNX file) declares."""
    import onnx

    graph = onnx.load(os.fspath(model), load_external_data=False).graph
    names = [i.name for i in graph.input]
    sets = []
    for tokens in sequences:
        ids = np.asarray(tokens, dtype=np.int64).reshape(1, -1)
        n = ids.shape[1]
        inputs = {"input_ids": ids}
        if "attention_mask" in names:
            inputs["attention_mask"] = np.ones((1, n), np.int64)
        if "position_ids" in names:
            inputs["position_ids"] = np.arange(n, dtype=np.int64)[None]
        for value in graph.input:
            if value.name.startswith(("past_key_values.", "past.")):
                dims = [d.dim_value for d in
                        value.type.tensor_type.shape.dim]
                inputs[value.name] = np.zeros((1, dims[1], 0, dims[3]),
                                              np.float32)
        unknown = set(names) - set(inputs)
        if unknown:
            raise TernError("the decoder has inputs this layout does not "
                            f"fill: {', '.join(sorted(unknown))}")
        sets.append(inputs)
    return write_calibration(folder, sets)


class Quantized:
    """What quantize() made: `path` (the ternarized model) and `report`
    (tern-ternarize's report: every layer's shape, planes, group, bits per
    weight and relative weight error, and totals)."""

    def __init__(self, path, report):
        self.path, self.report = path, report

    @property
    def bits_per_weight(self):
        """Average bits per weight of the quantized layers (ternary, and
        those kept in int8, f16 or f32 by keep=), as stored."""
        return bits_per_weight(self.report)

    @property
    def ternary_layers(self):
        """The report's entries of the layers stored as ternary codes."""
        return ternary_layers(self.report)

    def __repr__(self):
        return (f"Quantized({self.path!r}, layers="
                f"{len(self.ternary_layers)}, "
                f"bits_per_weight={self.bits_per_weight:.3f})")


def ternary_layers(report):
    """The entries of a tern-ternarize report's ternary layers (the others
    are layers kept out of the ternary set, "method": "kept")."""
    return [l for l in report.get("layers", [])
            if l.get("method") != "kept"]


def bits_per_weight(report):
    """Average bits per weight over the layers of a tern-ternarize report
    (ternary and kept), weighted by their sizes (0 if it has none)."""
    layers = report.get("layers", [])
    weights = sum(l["rows"] * l["cols"] for l in layers)
    bits = sum(l["bits_per_weight"] * l["rows"] * l["cols"] for l in layers)
    return bits / weights if weights else 0.0


_PTQ_OPTIONS = None


def pipeline_options():
    """tern-ptq-pipeline's options and their defaults, {name: default text},
    as tern-opt itself declares them (tern-ternarize's option set, which the
    pipeline shares): read once from `tern-opt --dump-pass-pipeline`, so
    that this package cannot drift from the tool."""
    global _PTQ_OPTIONS
    if _PTQ_OPTIONS is None:
        command = [tool_path("tern-opt"), "-", "-o", os.devnull,
                   "--pass-pipeline=builtin.module(tern-ternarize)",
                   "--dump-pass-pipeline"]
        done = subprocess.run(command, input="", capture_output=True,
                              text=True)
        found = re.search(r"tern-ternarize\{(.*)\}", done.stdout + done.stderr)
        if done.returncode or not found:
            raise TernError("tern-opt", done.returncode or 1,
                            "cannot read tern-ternarize's options: " +
                            (done.stderr.strip() or "no pipeline printed"),
                            command)
        options = {}
        # name=value pairs; a value with spaces is printed in braces.
        for name, braced, plain in re.findall(
                r"([a-z0-9-]+)=(?:\{([^}]*)\}|(\S*))", found.group(1)):
            options[name] = braced if braced else plain
        _PTQ_OPTIONS = options
    return _PTQ_OPTIONS


def ptq_options(**options):
    """tern-ptq-pipeline's option string for quantize()'s keywords: each
    pipeline option NAME is keyword NAME with '-' as '_' (None values are
    left out, booleans become 0/1)."""
    known = pipeline_options()
    parts = []
    for key, value in options.items():
        if value is None:
            continue
        name = key.replace("_", "-")
        if name not in known:
            raise TypeError(f"unknown quantization option '{key}' (tern-opt's "
                            "tern-ptq-pipeline takes " +
                            ", ".join(n.replace("-", "_") for n in known) +
                            ")")
        if isinstance(value, bool):
            value = int(value)
        value = str(value)
        if re.search(r"[\s\"']", value):
            value = '"' + value.replace('"', '\\"') + '"'
        parts.append(f"{name}={value}")
    return " ".join(parts)


def quantize(model, method="ptqtp", calibration=None, out=None, *,
             input_shapes=None, input_values=None, report=None, pipeline=None,
             **options):
    """Ternarizes `model` (.onnx, .onnxtxt, .mlir or .mlirbc) with
    tern-ptq-pipeline and writes the result to `out` (.mlirbc or .mlir;
    default: next to the model, with suffix -tern.mlirbc).

    calibration: None (data-free), a folder of input sets as tern-calibrate
    reads them, or a list of {input name: array} sets.
    options: the pipeline's, as keywords (option NAME as NAME with '_' for
    '-': planes, threshold, group_size, include, exclude, bits, stats,
    sequential, sequential_target, gptq, bias_correction, refit_scales,
    refine_codes, dampening, cpu; see
    pipeline_options()); or `pipeline`, an option string as tern-opt's
    --tern-ptq-pipeline takes it (then `method` is ignored unless the
    string has none). report: where to keep the JSON report (a temporary
    file otherwise). input_values: {name: number} for scalar inputs fixed
    at import (tern's --input-value: an If on them imports only the branch
    taken). Returns a Quantized."""
    model = os.fspath(model)
    if out is None:
        out = re.sub(r"\.(onnx|onnxtxt|mlir|mlirbc)$", "", model) + \
            "-tern.mlirbc"
    with tempfile.TemporaryDirectory(prefix="tern-quantize-") as tmp:
        if calibration is not None and not isinstance(
                calibration, (str, os.PathLike)):
            calibration = write_calibration(os.path.join(tmp, "calibration"),
                                            list(calibration))
        report_path = os.fspath(report) if report else os.path.join(
            tmp, "report.json")
        if pipeline is None:
            pipeline = ptq_options(method=method, **options)
        else:
            if not re.search(r"(^|\s)method=", pipeline):
                pipeline = ptq_options(method=method) + " " + pipeline
            if options:
                pipeline += " " + ptq_options(**options)
        if calibration is not None:
            pipeline += " calibration=" + os.fspath(calibration)
        pipeline += " report=" + report_path
        run_tool("tern-opt", [model] +
                 _shape_option(input_shapes, input_values) +
                 ["-o", out, f"--tern-ptq-pipeline={pipeline}"])
        with open(report_path) as f:
            data = json.load(f)
    return Quantized(out, data)


def export_onnx(model, onnx_model, out, weights="fake-quant"):
    """Writes the ternarized `model` back into the ONNX model it was
    imported from (tern-translate --export-onnx): `weights` 'fake-quant'
    (dequantized float weights, for any ONNX runtime) or 'matmulnbits'.
    Returns `out`."""
    run_tool("tern-translate", ["--export-onnx", os.fspath(model),
                                f"--onnx-model={os.fspath(onnx_model)}",
                                f"--onnx-weights={weights}", "-o",
                                os.fspath(out)])
    return os.fspath(out)


def run(model, inputs, *, input_shapes=None, input_values=None,
        num_threads=None, cpu=None, pipeline=None, ternary_activations=None,
        int8_dot=None, kept_int8_dot=None):
    """Runs `model` once with tern-run (JIT) on `inputs` ({name: array or
    .npy path}); returns {output name: array}. input_values: {name: number}
    for scalar inputs fixed at import (--input-value), not given in
    `inputs`. cpu, ternary_activations, int8_dot and kept_int8_dot (a
    bool) are the tools' --cpu, --ternary-activations, --ternary-int8-dot
    and --ternary-kept-int8-dot; None leaves the tool's default."""
    with tempfile.TemporaryDirectory(prefix="tern-run-") as tmp:
        args = [os.fspath(model)] + _shape_option(input_shapes, input_values)
        for name, path in write_inputs(tmp, inputs).items():
            args += ["--input", f"{name}={path}"]
        out = os.path.join(tmp, "outputs")
        args += ["--output-dir", out]
        if num_threads:
            args += ["--num-threads", num_threads]
        if pipeline:
            args += ["--pipeline", pipeline]
        args += _kernel_options(cpu, ternary_activations, int8_dot,
                                kept_int8_dot)
        stdout, _ = run_tool("tern-run", args)
        # tern-run prints "wrote DIR/NAME.npy ..." per output, in order.
        names = re.findall(r"^wrote \S*/([^/\s]+)\.npy", stdout, re.M)
        return {n: np.load(os.path.join(out, n + ".npy")) for n in names}


def generate(model, prompt_ids, max_new_tokens=16, *, temperature=0.0,
             top_k=0, seed=0, num_threads=None, cpu=None, pipeline=None,
             ternary_activations=None, int8_dot=None, kept_int8_dot=None):
    """Generates `max_new_tokens` tokens after `prompt_ids` (a list of ids,
    or a list of such lists: a batch, padded on the left) with
    tern-generate: a decoder export with dynamic batch and sequence axes,
    with or without a key/value cache (docs/Generation.md). Greedy unless
    `temperature` > 0. Returns the new token ids (a list per prompt for a
    batch)."""
    batch = len(prompt_ids) > 0 and not np.isscalar(prompt_ids[0])
    prompts = prompt_ids if batch else [prompt_ids]
    args = [os.fspath(model)]
    for prompt in prompts:
        args += ["--prompt-ids", ",".join(str(int(i)) for i in prompt)]
    args += ["--max-new-tokens", str(int(max_new_tokens)),
             "--temperature", repr(float(temperature)),
             "--top-k", str(int(top_k)), "--seed", str(int(seed))]
    if num_threads:
        args += ["--num-threads", str(num_threads)]
    if pipeline:
        args += ["--pipeline", pipeline]
    args += _kernel_options(cpu, ternary_activations, int8_dot,
                            kept_int8_dot)
    stdout, _ = run_tool("tern-generate", args)
    rows = [[int(t) for t in line.split()] for line in stdout.splitlines()]
    return rows if batch else rows[0]


_CTYPES = {"float": np.float32, "double": np.float64, "int64_t": np.int64,
           "int32_t": np.int32, "int16_t": np.int16, "int8_t": np.int8,
           "bool": np.bool_}


class Library:
    """A model compiled by tern-compile, called in process through ctypes:
    `lib(name=array, ...)` or `lib(array, ...)` returns {output: array}.
    `inputs` and `outputs` list (name, dtype, shape) as the header states
    them (docs/CABI.md)."""

    def __init__(self, path, header, name):
        self.path, self.header, self.name = path, header, name
        self.inputs, self.outputs = [], []
        with open(header) as f:
            for kind, arg, ctype, shape in re.findall(
                    r"^ \*   (input|output) +(\w+): (\w+)\[([^\]]*)\]",
                    f.read(), re.M):
                dims = () if shape == "scalar" else tuple(
                    None if d == "?" else int(d) for d in shape.split("x"))
                (self.inputs if kind == "input" else self.outputs).append(
                    (arg, np.dtype(_CTYPES[ctype]), dims))
        # With dynamic dimensions (None), inputs come with their sizes and
        # outputs are allocated by the library (docs/CABI.md).
        self.dynamic = any(None in dims for _, _, dims in
                           self.inputs + self.outputs)
        self._lib = ctypes.CDLL(os.path.abspath(path))
        self._fn = getattr(self._lib, name + "_run")
        self._fn.restype = ctypes.c_int
        self._free = ctypes.CDLL(None).free
        self._free.argtypes = [ctypes.c_void_p]

    def __call__(self, *args, **kwargs):
        if len(args) > len(self.inputs):
            raise TypeError(f"{self.name} takes {len(self.inputs)} inputs")
        values = dict(zip((i[0] for i in self.inputs), args))
        values.update(kwargs)
        pointers, keep = [], []
        for name, dtype, shape in self.inputs:
            if name not in values:
                raise TypeError(f"{self.name}: missing input '{name}'")
            # (np.ascontiguousarray would make a scalar 1-D.)
            a = np.asarray(values.pop(name), dtype=dtype, order="C")
            if len(a.shape) != len(shape) or any(
                    d is not None and d != n for d, n in zip(shape, a.shape)):
                raise ValueError(f"{self.name}: input '{name}' has shape "
                                 f"{a.shape}, expected "
                                 f"{tuple('?' if d is None else d for d in shape)}")
            keep.append(a)
            pointers.append(a.ctypes.data_as(ctypes.c_void_p))
            if self.dynamic:
                sizes = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
                keep.append(sizes)
                pointers.append(ctypes.cast(sizes, ctypes.c_void_p))
        if values:
            raise TypeError(f"{self.name}: unknown inputs {sorted(values)}")
        if self.dynamic:
            return self._call_dynamic(pointers)
        outputs = {name: np.empty(shape, dtype)
                   for name, dtype, shape in self.outputs}
        pointers += [o.ctypes.data_as(ctypes.c_void_p)
                     for o in outputs.values()]
        status = self._fn(*pointers)
        if status:
            raise TernError(self.name, status, "the compiled model returned "
                            f"{status}", [self.path])
        return outputs

    def _call_dynamic(self, pointers):
        results = []
        for _, _, shape in self.outputs:
            data = ctypes.c_void_p()
            sizes = (ctypes.c_int64 * max(len(shape), 1))()
            results.append((data, sizes))
            pointers += [ctypes.cast(ctypes.pointer(data), ctypes.c_void_p),
                         ctypes.cast(sizes, ctypes.c_void_p)]
        status = self._fn(*pointers)
        outputs = {}
        for (name, dtype, shape), (data, sizes) in zip(self.outputs, results):
            dims = tuple(sizes[k] for k in range(len(shape)))
            if not status:
                count = int(np.prod(dims)) if dims else 1
                buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(
                    data.value)
                outputs[name] = np.frombuffer(buffer, dtype).reshape(
                    dims).copy()
            if data.value:
                self._free(data)
        if status:
            raise TernError(self.name, status, "the compiled model returned "
                            f"{status} (1: input sizes disagree with the "
                            "header or with each other)", [self.path])
        return outputs


    def generate(self, prompt_ids, max_new_tokens, logits=False):
        """Greedy generation with the library's generator (tern-compile
        --generator, docs/CABI.md): `prompt_ids` a list of ids, or a list of
        such lists (a batch, padded on the left). Returns the new ids (a
        list per prompt for a batch), and with logits=True also the logits
        each was chosen from, float32 [tokens, batch, vocabulary]."""
        if not hasattr(self._lib, self.name + "_generator_create"):
            raise TernError(self.name, 1, "the library has no generator "
                            "(compile it with generator=True)", [self.path])
        fn = {f: getattr(self._lib, f"{self.name}_generator_{f}") for f in
              ("create", "prefill", "step", "logits", "argmax", "free")}
        fn["create"].restype = ctypes.c_void_p
        fn["logits"].restype = ctypes.POINTER(ctypes.c_float)
        for f in ("prefill", "step", "logits", "argmax", "free"):
            fn[f].argtypes = [ctypes.c_void_p] + {
                "prefill": [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64],
                "step": [ctypes.c_void_p], "argmax": [ctypes.c_void_p]
            }.get(f, [])
        batch = len(prompt_ids) > 0 and not np.isscalar(prompt_ids[0])
        prompts = [np.ascontiguousarray(p, dtype=np.int64)
                   for p in (prompt_ids if batch else [prompt_ids])]
        rows = len(prompts)
        table = (ctypes.c_void_p * rows)(
            *[p.ctypes.data_as(ctypes.c_void_p) for p in prompts])
        lengths = np.array([len(p) for p in prompts], dtype=np.int64)
        vocabulary = self.outputs[0][2][2]
        next_ids = np.zeros(rows, dtype=np.int64)
        tokens, steps = [], []
        g = fn["create"]()
        if not g:
            raise TernError(self.name, 2, "out of memory", [self.path])
        try:
            for i in range(max_new_tokens):
                status = (fn["prefill"](g, table, lengths.ctypes.data, rows)
                          if i == 0 else fn["step"](g, next_ids.ctypes.data))
                if status:
                    raise TernError(self.name, status, "the generator "
                                    f"returned {status} (1: bad input)",
                                    [self.path])
                if logits:
                    steps.append(np.ctypeslib.as_array(
                        fn["logits"](g), (rows, vocabulary)).copy())
                fn["argmax"](g, next_ids.ctypes.data)
                tokens.append(next_ids.copy())
        finally:
            fn["free"](g)
        new = np.array(tokens).T.tolist() if tokens else [[] for _ in prompts]
        new = new if batch else new[0]
        return (new, np.array(steps, dtype=np.float32)) if logits else new


def compile(model, out, *, name=None, header=None, input_shapes=None,
            input_values=None, cpu=None, ternary_activations=None,
            int8_dot=None, kept_int8_dot=None, load=True, generator=False):
    """Compiles `model` ahead of time into the shared library `out` with
    tern-compile (C entry point NAME_run, header next to it; with
    generator=True, a decoder's generator object too: Library.generate).
    The kernel options are run's. Returns a Library (loaded unless
    load=False, then the header's path)."""
    out = os.fspath(out)
    if name is None:
        base = re.sub(r"^lib", "", os.path.basename(out).split(".")[0])
        name = re.sub(r"\W", "_", base) or "model"
    if header is None:
        header = os.path.splitext(out)[0] + ".h"
    run_tool("tern-compile", [os.fspath(model), "-o", out, "--name", name,
                              "--header", header] +
             (["--generator"] if generator else []) +
             _shape_option(input_shapes, input_values) +
             _kernel_options(cpu, ternary_activations, int8_dot,
                             kept_int8_dot))
    return Library(out, header, name) if load else header
