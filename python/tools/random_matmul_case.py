#!/usr/bin/env python3
"""Writes a random tern.matmul test case and its expected result.

The case is an MLIR module with a packed tern.constant (layout, planes,
groups, shifts, bias and scale type drawn from --seed) whose @main prints the
product with printMemrefF32; the expected product, computed by
tern.reference in float64, goes to --expected as one number per line.
Values are small dyadic numbers so that f32 (and f16 scales) hold them
exactly and the comparison can be tight.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from tern import packing, reference  # noqa: E402


def literal(array):
    """A dense<...> literal body."""
    return np.array2string(np.asarray(array), separator=", ",
                           threshold=sys.maxsize, max_line_width=sys.maxsize,
                           formatter={"float_kind": lambda v: repr(float(v))})


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--mlir", required=True, help="output MLIR file")
    parser.add_argument("--expected", required=True, help="output numbers")
    parser.add_argument("--planes", type=int, help="P (default: random)")
    parser.add_argument("--rows", type=int, help="N (default: random)")
    parser.add_argument("--group-size", type=int, help="G (default: random)")
    parser.add_argument("--groups", type=int, help="K / G (default: random)")
    parser.add_argument("--batch", type=int, help="M (default: random)")
    parser.add_argument("--k", type=int,
                        help="K when --group-size is 0 (default: random)")
    parser.add_argument("--layout", choices=packing.LAYOUTS,
                        help="packing (default: random, not sherry); sherry "
                        "draws one zero in every quad of 4 codes and needs K "
                        "and G multiples of 4")
    parser.add_argument("--int8-exact", action="store_true",
                        help="activations that per-row int8 quantization "
                        "holds exactly: multiples of 2^-6 with a largest "
                        "magnitude of 127 * 2^-6 in every row")
    args = parser.parse_args()

    def pick(value, draw):
        return value if value is not None else int(draw)

    rng = np.random.default_rng(args.seed)
    planes = pick(args.planes, rng.integers(1, 4))
    rows = pick(args.rows, rng.integers(1, 10))
    group_size = pick(args.group_size, rng.choice([0, 1, 3, 4, 8, 16]))
    groups = pick(args.groups, rng.integers(1, 5))
    k = int(rng.integers(1, 40)) if group_size == 0 else group_size * groups
    if args.k is not None and group_size == 0:
        k = args.k
    groups = 1 if group_size == 0 else groups
    batch = pick(args.batch, rng.integers(1, 6))
    szt = bool(rng.integers(0, 2))
    layout = "sign_magnitude" if szt else str(
        rng.choice(list(packing.CODES_PER_BYTE)))
    if args.layout is not None:
        layout = args.layout
        szt = szt and layout == "sign_magnitude"
    scale_type = str(rng.choice(["f16", "f32"]))
    has_shifts = bool(rng.integers(0, 2))
    has_bias = bool(rng.integers(0, 2))

    values = rng.integers(-1, 2, size=(planes, rows, k))
    if layout == "sherry":
        szt = False
        values = rng.choice([-1, 1], size=(planes, rows, k // 4, 4))
        zero = rng.integers(0, 4, size=(planes, rows, k // 4))
        np.put_along_axis(values, zero[..., None], 0, axis=-1)
        values = values.reshape(planes, rows, k)
    negative_zero = rng.integers(0, 2, size=values.shape).astype(bool) if szt else None
    codes = packing.codes_of(values, negative_zero)
    blob = packing.pack(codes, layout)
    dyadic = np.array([0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0])
    scales = rng.choice(dyadic, size=(planes, rows, groups))
    shifts = rng.choice(dyadic - 1.0, size=(rows, groups)) if has_shifts else None
    bias = rng.choice(dyadic - 1.0, size=(rows,)) if has_bias else None
    x = rng.choice(np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]),
                   size=(batch, k))
    if args.int8_exact:
        x = rng.integers(-127, 128, size=(batch, k)).astype(np.float64)
        x[np.arange(batch), rng.integers(0, k, size=batch)] = 127.0
        x *= 2.0 ** -6
    y = reference.matmul(x, codes, scales, shifts, bias, group_size)

    elem = "!tern.szt" if szt else "!tern.trit"
    wshape = f"{planes}x{rows}x{k}" if planes > 1 else f"{rows}x{k}"
    sshape = f"{planes}x{rows}x{groups}" if planes > 1 else f"{rows}x{groups}"
    byte_type = "ui8" if rng.integers(0, 2) else "i8"
    lines = [
        f"// seed {args.seed}: P={planes} N={rows} K={k} G={group_size} "
        f"M={batch} {elem} {layout} scales {scale_type} "
        f"shifts={has_shifts} bias={has_bias}",
        "func.func @main() {",
        f"  %x = arith.constant dense<{literal(x)}> : tensor<{batch}x{k}xf32>",
        f"  %w = tern.constant #tern.packing<{layout}> dense_resource<w>"
        f" : tensor<{len(blob)}x{byte_type}> -> tensor<{wshape}x{elem}>",
        f"  %a = arith.constant dense<{literal(scales if planes > 1 else scales[0])}>"
        f" : tensor<{sshape}x{scale_type}>",
    ]
    operands = f"scales(%a : tensor<{sshape}x{scale_type}>)"
    if has_shifts:
        lines.append(f"  %g = arith.constant dense<{literal(shifts)}>"
                     f" : tensor<{rows}x{groups}xf32>")
        operands += f" shifts(%g : tensor<{rows}x{groups}xf32>)"
    if has_bias:
        lines.append(f"  %b = arith.constant dense<{literal(bias)}>"
                     f" : tensor<{rows}xf32>")
        operands += f" bias(%b : tensor<{rows}xf32>)"
    lines += [
        f"  %y = tern.matmul %x, %w {operands} group_size = {group_size}"
        f" : tensor<{batch}x{k}xf32>, tensor<{wshape}x{elem}>"
        f" -> tensor<{batch}x{rows}xf32>",
        f"  %u = tensor.cast %y : tensor<{batch}x{rows}xf32> to tensor<*xf32>",
        "  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()",
        "  return",
        "}",
        "func.func private @printMemrefF32(tensor<*xf32>)",
        "{-#",
        "  dialect_resources: {",
        "    builtin: {",
        f"      w: \"{packing.resource_hex(blob)}\"",
        "    }",
        "  }",
        "#-}",
    ]
    with open(args.mlir, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(args.expected, "w") as f:
        f.write("\n".join(repr(float(v)) for v in y.ravel()) + "\n")


if __name__ == "__main__":
    main()
