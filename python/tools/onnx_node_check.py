#!/usr/bin/env python3
"""Runs one of ONNX's backend node tests through tern and checks the numbers.

The test's inputs become initializers of the model, tern-translate imports
it, an @entry function prints every output, and the reference pipeline
(tern-opt --tern-reference-to-llvm, then mlir-runner) runs it. The printed
numbers must match the test's expected outputs.

  onnx_node_check.py TEST_DIR --bin BUILD/bin --runner-libs A.so,B.so

Exit status: 0 when the outputs match, 1 on a mismatch or any other
failure, 2 when tern refuses the model with a diagnostic that says it does
not support it (or the test feeds types this harness cannot), which the
suite counts as unsupported rather than failed.
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


def load_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def mlir_type(array):
    if array.dtype not in (np.dtype(t) for t in ("float32", "float64", "float16", "int64", "int32", "int8", "int16", "bool")):
        unsupported(f"{array.dtype} outputs")
    kinds = {np.dtype("float32"): "f32", np.dtype("float64"): "f64",
             np.dtype("float16"): "f16", np.dtype("int64"): "i64",
             np.dtype("int32"): "i32", np.dtype("int8"): "i8",
             np.dtype("int16"): "i16", np.dtype("bool"): "i1"}
    element = kinds[array.dtype]
    shape = "x".join(str(d) for d in array.shape)
    return f"tensor<{shape}x{element}>" if shape else f"tensor<{element}>", element


def driver(outputs):
    """An @entry that calls @main and prints every output as f32."""
    types = [mlir_type(o) for o in outputs]
    lines = ["  func.func @entry() {"]
    results = ", ".join(t for t, _ in types)
    names = ", ".join(f"%r{i}" for i in range(len(outputs)))
    lines.append(f"    {names} = func.call @main() : () -> ({results})")
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


# Diagnostics by which tern declines a model it does not support.
REFUSALS = ("unsupported", "not supported", "supports ", "training mode",
            "does not produce", "only positive", "needs constant weights")


def unsupported(message):
    print("unsupported: " + message)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("test")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--runner-libs", required=True)
    parser.add_argument("--pipeline", choices=["reference", "cpu"],
                        default="reference",
                        help="lowering: the reference pipeline or "
                             "tern-cpu-pipeline (tiled, vectorized, OpenMP; "
                             "--runner-libs must then include libomp)")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-4)
    args = parser.parse_args()

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
    # Inputs become initializers: the function under test has no arguments.
    graph_inputs = [i for i in model.graph.input
                    if i.name not in {t.name for t in model.graph.initializer}]
    for info, value in zip(graph_inputs, inputs):
        model.graph.initializer.append(numpy_helper.from_array(value, info.name))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        onnx.save(model, path)
        imported = subprocess.run(
            [os.path.join(args.bin, "tern-translate"), "--import-onnx", path],
            capture_output=True, text=True)
        if imported.returncode:
            if any(r in imported.stderr for r in REFUSALS):
                unsupported(imported.stderr.strip().splitlines()[-1])
            sys.exit("import failed:\n" + imported.stderr)
        module = insert_driver(imported.stdout, driver(outputs))
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
    for i, (got, want) in enumerate(zip(printed, outputs)):
        want = want.astype(np.float64)
        if got.shape != want.shape:
            sys.exit(f"output {i}: shape {got.shape}, expected {want.shape}")
        if not np.allclose(got, want, rtol=args.rtol, atol=args.atol,
                           equal_nan=True):
            worst = np.nanmax(np.abs(got - want))
            sys.exit(f"output {i}: max abs difference {worst}")
    print(f"{os.path.basename(args.test.rstrip('/'))}: {len(outputs)} outputs match")


if __name__ == "__main__":
    main()
