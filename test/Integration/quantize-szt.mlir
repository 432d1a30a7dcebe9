// RUN: tern-opt %s --tern-reference-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

// Quantize to signed-zero ternary with groups of 2 and DLT shifts, show the
// raw 2-bit codes, then dequantize with the same scales and shifts.
//
// r = (w - γ) / α:  row 0: 0.6 -0.2 | 0.5 -0.75   row 1: -0.0 -0.52 | -1.9 2
// |r| > 1/2 gives ±1 (0.5 itself is a zero); zeros keep the sign of r, and
// -0.0 is 0+.

func.func @main() {
  %w = arith.constant dense<[[0.6, -0.2, 1.5, -1.0],
                             [-0.0, -0.26, -0.9, 3.0]]> : tensor<2x4xf32>
  %a = arith.constant dense<[[1.0, 2.0], [0.5, 1.0]]> : tensor<2x2xf32>
  %g = arith.constant dense<[[0.0, 0.5], [0.0, 1.0]]> : tensor<2x2xf32>
  %q = tern.quantize %w scales(%a : tensor<2x2xf32>) shifts(%g : tensor<2x2xf32>)
         group_size = 2 : tensor<2x4xf32> -> tensor<2x4x!tern.szt>

  // The reference lowering stores one sign/magnitude code per i8
  // (0 = 0+, 1 = +1, 2 = 0-, 3 = -1); look at them through a cast.
  %codes = builtin.unrealized_conversion_cast %q
             : tensor<2x4x!tern.szt> to tensor<2x4xi8>
  %init = tensor.empty() : tensor<2x4xi32>
  %wide = linalg.map { arith.extsi } ins(%codes : tensor<2x4xi8>)
            outs(%init : tensor<2x4xi32>)
  %uc = tensor.cast %wide : tensor<2x4xi32> to tensor<*xi32>
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[\[}}1, 2, 0, 3],
  // CHECK-NEXT: [0, 3, 3, 1]]
  call @printMemrefI32(%uc) : (tensor<*xi32>) -> ()

  %r = tern.dequantize %q scales(%a : tensor<2x2xf32>) shifts(%g : tensor<2x2xf32>)
         group_size = 2 : tensor<2x4x!tern.szt> -> tensor<2x4xf32>
  %ur = tensor.cast %r : tensor<2x4xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[\[}}1, 0, 0.5, -1.5],
  // CHECK-NEXT: [0, -0.5, 0, 2]]
  call @printMemrefF32(%ur) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)
