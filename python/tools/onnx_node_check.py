#!/usr/bin/env python3
"""Runs one of ONNX's backend node tests through tern and checks the numbers.

Two ways, chosen with --inputs:

- initializers (the default): the test's inputs become initializers of the
  model, tern-translate imports it, an @entry function prints every output,
  and the pipeline (tern-opt --tern-reference-to-llvm or
  --tern-cpu-pipeline, then mlir-runner) runs it. The importer folds values
  it knows on the host (elementwise and data-movement ops of up to 65536
  elements, in double), so this mode mostly tests that host folder.
- arguments: the model keeps its graph inputs, the test's input .pb files
  are written as .npy, and `tern-run MODEL --input NAME=PATH.npy ...
  --pipeline reference|cpu` imports, lowers, JIT-compiles and runs it, so
  every op goes through its IR lowering. Inputs whose model type has
  unknown dimensions get --input-shape from the test data. An input tern
  needs at import time (a Reshape shape, Slice starts, Clip bounds, ...:
  it says so in a diagnostic) becomes an initializer, and the success line
  names it; the node's data input stays a runtime argument.

With --pipeline compile (arguments only), tern-compile builds the model
into a shared library (the CPU pipeline, ahead of time) and the inputs are
passed to its C entry point through ctypes (tern.api.Library), as an
application would call it.

Either way the outputs must match the test's expected outputs (same
--rtol/--atol).

  onnx_node_check.py TEST_DIR --bin BUILD/bin --runner mlir-runner \
      --runner-libs A.so,B.so [--pipeline cpu] [--inputs arguments]

Exit status: 0 when the outputs match, 1 on a mismatch or any other
failure, 2 when tern refuses the model at import with a diagnostic that says
it does not support it (or the test feeds types this harness or tern-run
cannot), which the suite counts as unsupported rather than failed.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from tern import api  # noqa: E402


def load_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


# Element types of outputs tern returns (and the MLIR names of them).
KINDS = {np.dtype("float32"): "f32", np.dtype("float64"): "f64",
         np.dtype("float16"): "f16", np.dtype("int64"): "i64",
         np.dtype("int32"): "i32", np.dtype("int8"): "i8",
         np.dtype("int16"): "i16", np.dtype("bool"): "i1"}


def check_output_types(outputs):
    for array in outputs:
        if array.dtype not in KINDS:
            unsupported(f"{array.dtype} outputs")


def mlir_type(array):
    element = KINDS[array.dtype]
    shape = "x".join(str(d) for d in array.shape)
    return f"tensor<{shape}x{element}>" if shape else f"tensor<{element}>", element


def declared_results(module):
    """The result types of @main in the printed `module`, or None."""
    match = re.search(r"func\.func @main\(\)[^\n]*", module)
    if not match or "->" not in match.group(0):
        return None
    return re.findall(r"tensor<[^>]*>", match.group(0).split("->", 1)[1])


def driver(outputs, declared=None):
    """An @entry that calls @main and prints every output as f32. Results
    @main declares with `?` dimensions (a Loop's stacked rows, say) are cast
    to the shapes of the expected outputs."""
    types = [mlir_type(o) for o in outputs]
    if not declared or len(declared) != len(types):
        declared = [t for t, _ in types]
    lines = ["  func.func @entry() {"]
    results = ", ".join(declared)
    names = ", ".join(f"%d{i}" for i in range(len(outputs)))
    lines.append(f"    {names} = func.call @main() : () -> ({results})")
    for i, (have, (ttype, _)) in enumerate(zip(declared, types)):
        if have == ttype:
            lines.append(f"    %r{i} = tensor.cast %d{i} : {have} to {have}")
        else:
            lines.append(f"    %r{i} = tensor.cast %d{i} : {have} to {ttype}")
    for i, ((ttype, element), out) in enumerate(zip(types, outputs)):
        value = f"%r{i}"
        if element != "f32":
            shape = "x".join(str(d) for d in out.shape)
            ftype = f"tensor<{shape}xf32>" if shape else "tensor<f32>"
            op = ("arith.extf" if element == "f16" else
                  "arith.truncf" if element == "f64" else
                  "arith.uitofp" if element == "i1" else "arith.sitofp")
            lines.append(f"    %e{i} = tensor.empty() : {ftype}")
            lines.append(f"    %f{i} = linalg.map {{ {op} }} ins({value} : {ttype})"
                         f" outs(%e{i} : {ftype})")
            value, ttype = f"%f{i}", ftype
        lines.append(f"    %u{i} = tensor.cast {value} : {ttype} to tensor<*xf32>")
        lines.append(f"    func.call @printMemrefF32(%u{i}) : (tensor<*xf32>) -> ()")
    lines.append("    return")
    lines.append("  }")
    lines.append("  func.func private @printMemrefF32(tensor<*xf32>)")
    return "\n".join(lines) + "\n"


def insert_driver(module, text):
    """Inserts `text` before the brace that closes the module."""
    end = module.find("\n{-#")
    body, tail = (module, "") if end < 0 else (module[:end], module[end:])
    close = body.rstrip().rfind("}")
    return body[:close] + text + body[close:] + tail


def parse_printed(text):
    """The arrays printMemrefF32 printed, in order."""
    arrays = []
    for block in text.split("Unranked Memref")[1:]:
        sizes = re.search(r"sizes = \[([^\]]*)\]", block).group(1)
        shape = [int(s) for s in sizes.split(",") if s.strip()]
        data = block.split("data =", 1)[1]
        if 0 in shape:
            arrays.append(np.zeros(shape))
            continue
        numbers = re.findall(r"[-+]?(?:nan|inf|\d+\.?\d*(?:e[-+]?\d+)?)", data)
        arrays.append(np.array([float(n) for n in numbers]).reshape(shape))
    return arrays


# Diagnostics by which tern declines a model it does not support. Only the
# importer's diagnostics are matched: a lowering or run failure is a failure
# whatever its words.
REFUSALS = ("unsupported", "not supported", "supports ", "training mode",
            "does not produce", "only positive")
# Diagnostics by which tern says an input of a node must be known at import
# time (static shapes, constant weights): a shape, axes, pads, Slice or Clip
# bounds, Resize scales, ConvTranspose or BatchNormalization weights. With
# --inputs arguments, the graph inputs that feed such a node (its inputs 1..,
# or input 0 when it has no other) become initializers and the import is
# retried; when that cannot help, these decline the model too.
NEEDS_CONSTANT = ("needs constant", "needs a constant", "to be a constant",
                  "known at import time")

# The .npy element types tern-run reads (tern/Support/Npy.h).
RUN_INPUT_TYPES = ("float32", "float64", "float16", "int64", "int32", "int16",
                   "int8", "bool")


def unsupported(message):
    print("unsupported: " + message)
    sys.exit(2)


def import_model(args, path, input_shapes=""):
    """tern-translate --import-onnx: the completed process."""
    command = [os.path.join(args.bin, "tern-translate"), "--import-onnx", path]
    if input_shapes:
        command.append("--input-shape=" + input_shapes)
    return subprocess.run(command, capture_output=True, text=True)


def import_failed(stderr):
    """Exits 2 when the importer declined the model, else 1."""
    if any(r in stderr for r in REFUSALS + NEEDS_CONSTANT):
        unsupported(stderr.strip().splitlines()[-1])
    sys.exit("import failed:\n" + stderr)


def inputs_needed_constant(model, stderr, runtime):
    """The graph inputs in `runtime` that feed the node a NEEDS_CONSTANT
    diagnostic names ("node 'Reshape_0' (Reshape): needs its target shape
    (input 1) to be known at import time")."""
    found = re.search(r"node '([^']*)' \(([^)]*)\): ", stderr)
    if not found:
        return []
    name, op = found.groups()
    nodes = [n for n in model.graph.node if n.name == name]
    if not nodes:  # unnamed nodes are called OpType_index
        index = name.rsplit("_", 1)[-1]
        nodes = [n for n in model.graph.node if n.op_type == op]
        if index.isdigit() and int(index) < len(model.graph.node) and \
           model.graph.node[int(index)].op_type == op:
            nodes = [model.graph.node[int(index)]]
    needed = []
    for node in nodes:
        fed = [i for i in node.input[1:] if i in runtime] or \
              [i for i in node.input[:1] if i in runtime]
        needed += [i for i in fed if i not in needed]
    return needed


def run_with_initializers(args, model, graph_inputs, inputs, outputs, tmp):
    """The inputs become initializers: @main has no arguments. Returns the
    printed outputs (as f32, read into float64)."""
    if not args.runner or not args.runner_libs:
        sys.exit("--inputs initializers needs --runner and --runner-libs")
    for info, value in zip(graph_inputs, inputs):
        model.graph.initializer.append(numpy_helper.from_array(value, info.name))
    path = os.path.join(tmp, "model.onnx")
    onnx.save(model, path)
    imported = import_model(args, path)
    if imported.returncode:
        import_failed(imported.stderr)
    check_output_types(outputs)
    module = insert_driver(imported.stdout,
                           driver(outputs, declared_results(imported.stdout)))
    lowered = subprocess.run(
        [os.path.join(args.bin, "tern-opt"),
         "--tern-reference-to-llvm" if args.pipeline == "reference"
         else "--tern-cpu-pipeline"],
        input=module, capture_output=True, text=True)
    if lowered.returncode:
        sys.exit("lowering failed:\n" + lowered.stderr[:4000])
    run = subprocess.run(
        [args.runner, "-e", "entry", "-entry-point-result=void",
         "-shared-libs=" + args.runner_libs],
        input=lowered.stdout, capture_output=True, text=True)
    if run.returncode:
        sys.exit("execution failed:\n" + run.stderr[:4000])
    printed = parse_printed(run.stdout)
    if len(printed) != len(outputs):
        sys.exit(f"{len(printed)} outputs printed, {len(outputs)} expected")
    return printed, ""


def run_with_arguments(args, model, graph_inputs, inputs, outputs, tmp):
    """The inputs stay inputs of @main and tern-run feeds them from .npy
    files, except those tern needs at import time (NEEDS_CONSTANT). Returns
    the outputs tern-run wrote, in their own dtypes, and a note naming the
    inputs that became initializers."""
    values = {info.name: value for info, value in zip(graph_inputs, inputs)}
    runtime = [info for info in graph_inputs]
    path = os.path.join(args.test, "model.onnx")
    while True:
        # Static shapes for inputs whose model type leaves dimensions unknown.
        shapes = []
        for info in runtime:
            tensor, value = info.type.tensor_type, values[info.name]
            if tensor.HasField("shape") and all(
                    d.HasField("dim_value") for d in tensor.shape.dim):
                continue
            if value.ndim == 0 or 0 in value.shape or \
               re.search(r"[,=]", info.name):
                unsupported(f"--input-shape cannot give input '{info.name}' "
                            f"shape {value.shape}")
            shapes.append(info.name + "=" + "x".join(str(d) for d in value.shape))
        # Import on its own first so that declines are classified exactly as
        # in the initializers mode (a tern-run failure is never unsupported).
        imported = import_model(args, path, ",".join(shapes))
        if not imported.returncode:
            break
        constant = inputs_needed_constant(
            model, imported.stderr, {info.name for info in runtime})
        if not constant or not any(c in imported.stderr for c in NEEDS_CONSTANT):
            import_failed(imported.stderr)
        for name in constant:
            model.graph.initializer.append(
                numpy_helper.from_array(values[name], name))
        runtime = [info for info in runtime if info.name not in constant]
        path = os.path.join(tmp, "model.onnx")
        onnx.save(model, path)
    check_output_types(outputs)
    fixed = [info.name for info in graph_inputs
             if info.name not in {r.name for r in runtime}]
    note = (f" ({', '.join(fixed)} as initializers: needed at import time)"
            if fixed else "")
    if args.pipeline == "compile":
        return run_compiled(args, path, shapes, runtime, values, outputs,
                            tmp), note
    command = [os.path.join(args.bin, "tern-run"), path,
               "--pipeline=" + args.pipeline,
               "--output-dir=" + os.path.join(tmp, "out")]
    if shapes:
        command.append("--input-shape=" + ",".join(shapes))
    for i, info in enumerate(runtime):
        value = values[info.name]
        if value.dtype.name not in RUN_INPUT_TYPES:
            unsupported(f"tern-run takes no {value.dtype} inputs "
                        f"('{info.name}')")
        if "=" in info.name:
            unsupported(f"tern-run --input cannot name '{info.name}'")
        npy = os.path.join(tmp, f"input_{i}.npy")
        np.save(npy, value.copy(order="C"))  # (ascontiguousarray makes 0-d 1-d)
        command.append(f"--input={info.name}={npy}")
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode:
        sys.exit("tern-run failed:\n" + run.stderr[:4000])
    # "wrote PATH DTYPE (SHAPE)", one line per output in @main's order.
    written = [line[len("wrote "):].rsplit(" (", 1)[0].rsplit(" ", 1)[0]
               for line in run.stdout.splitlines() if line.startswith("wrote ")]
    return checked_outputs("tern-run wrote", [np.load(npy) for npy in written],
                           outputs), note


def checked_outputs(source, arrays, outputs):
    """`arrays`, what `source` produced in @main's order, if they are as many
    as the test's `outputs` and each in its output's dtype; else exits."""
    if len(arrays) != len(outputs):
        sys.exit(f"{source} {len(arrays)} outputs, {len(outputs)} expected")
    for i, (array, want) in enumerate(zip(arrays, outputs)):
        if array.dtype != want.dtype:
            sys.exit(f"output {i}: dtype {array.dtype}, expected {want.dtype}")
    return list(arrays)


def run_compiled(args, path, shapes, runtime, values, outputs, tmp):
    """tern-compile builds `path` into a library whose entry point gets
    the `runtime` inputs through ctypes: the outputs, in @main's order."""
    os.environ["TERN_BIN_DIR"] = os.path.abspath(args.bin)
    library = os.path.join(tmp, "libmodel.so")
    try:
        lib = api.compile(path, library, name="model", input_shapes=dict(
            shape.split("=", 1) for shape in shapes))
    except api.TernError as e:
        if "has no C type" in str(e):  # f16 inputs (docs/CABI.md)
            unsupported(str(e).strip().splitlines()[-1])
        sys.exit(f"tern-compile failed:\n{str(e)[:4000]}")
    types = {name: dtype for name, dtype, _ in lib.inputs}
    for info in runtime:
        if values[info.name].dtype != types[info.name]:
            unsupported(f"the library takes input '{info.name}' as another "
                        f"type than the test's {values[info.name].dtype}")
    try:
        got = lib(**{info.name: values[info.name] for info in runtime})
    except api.TernError as e:
        sys.exit(f"the compiled model failed:\n{e}")
    return checked_outputs("the library returned", list(got.values()),
                           outputs)


def main(argv=None):
    """Checks one test; exits (SystemExit) with the status above. The suite
    calls it in its worker processes with `argv`."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("test")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runner",
                        help="mlir-runner (--inputs initializers)")
    parser.add_argument("--runner-libs",
                        help="shared libraries for mlir-runner, comma-"
                             "separated (--inputs initializers)")
    parser.add_argument("--pipeline", choices=["reference", "cpu",
                                               "compile"],
                        default="reference",
                        help="lowering: the reference pipeline, "
                             "tern-cpu-pipeline (tiled, vectorized, OpenMP; "
                             "with --inputs initializers, --runner-libs "
                             "must then include libomp), or tern-compile's "
                             "library called through ctypes (--inputs "
                             "arguments)")
    parser.add_argument("--inputs", choices=["initializers", "arguments"],
                        default="initializers",
                        help="how the test's inputs reach the model: as "
                             "initializers (constants the importer may fold "
                             "on the host) or as runtime arguments of "
                             "tern-run (every op is lowered)")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-4)
    args = parser.parse_args(argv)
    if args.pipeline == "compile" and args.inputs != "arguments":
        parser.error("--pipeline compile takes --inputs arguments")

    model = onnx.load(os.path.join(args.test, "model.onnx"))
    data = os.path.join(args.test, "test_data_set_0")
    for value in list(model.graph.input) + list(model.graph.output):
        if not value.type.HasField("tensor_type"):
            unsupported(f"'{value.name}' is not a tensor")
        if value.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16:
            unsupported(f"'{value.name}' is bfloat16, which numpy cannot hold")
    try:
        inputs = [load_pb(os.path.join(data, f"input_{i}.pb"))
                  for i in range(len([f for f in os.listdir(data) if f.startswith("input_")]))]
        outputs = [load_pb(os.path.join(data, f"output_{i}.pb"))
                   for i in range(len([f for f in os.listdir(data) if f.startswith("output_")]))]
    except Exception as e:  # strings, sequences, optionals
        unsupported(f"test data this harness cannot read ({e})")
    for array in inputs + outputs:
        if array.dtype.kind in "USOc" or array.dtype == np.uint16:
            unsupported(f"{array.dtype} test data")
    graph_inputs = [i for i in model.graph.input
                    if i.name not in {t.name for t in model.graph.initializer}]
    run = (run_with_initializers if args.inputs == "initializers"
           else run_with_arguments)
    with tempfile.TemporaryDirectory() as tmp:
        results, note = run(args, model, graph_inputs, inputs, outputs, tmp)
    for i, (got, want) in enumerate(zip(results, outputs)):
        got, want = got.astype(np.float64), want.astype(np.float64)
        if got.shape != want.shape:
            sys.exit(f"output {i}: shape {got.shape}, expected {want.shape}")
        if not np.allclose(got, want, rtol=args.rtol, atol=args.atol,
                           equal_nan=True):
            worst = np.nanmax(np.abs(got - want))
            sys.exit(f"output {i}: max abs difference {worst}")
    print(f"{os.path.basename(args.test.rstrip('/'))}: {len(outputs)} outputs match{note}")


if __name__ == "__main__":
    main()
