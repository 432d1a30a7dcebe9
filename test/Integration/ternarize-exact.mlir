// RUN: tern-opt %s --tern-cpu-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=bt" --tern-cpu-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=2 group-size=4" --tern-reference-to-llvm | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// Weights that are exactly ternary up to a scale per output channel: the
// float model and its ternarized forms (one plane; two planes in groups)
// compute the same numbers (numpy: x @ w).

// CHECK: sizes = [2, 4]
// CHECK-NEXT: {{\[\[}}4.5, 7.5, -0.5, 5],
// CHECK-NEXT: [2.875, 1.875, 1.25, 0.25]]

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                             [-1.0, 0.5, 0.25, 2.0, -3.0, 1.0, 0.0, 4.0]]> : tensor<2x8xf32>
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5], [0.0, 0.5, 0.5, -0.5],
                             [-0.5, 0.5, 0.0, 0.0], [0.5, -0.5, 0.5, 0.5],
                             [0.0, 0.0, -0.5, 0.5], [0.5, 0.5, 0.0, -0.5],
                             [-0.5, 0.0, 0.5, 0.0], [0.5, 0.5, -0.5, 0.5]]> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32>
  %u = tensor.cast %y : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
