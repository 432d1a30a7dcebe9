// RUN: tern-opt %s --tern-cpu-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp \
// RUN: | FileCheck %s

// Sherry's 3:4 packing through the add/sub kernels: the identity as
// activations reads the weights back, y = I Ŵᵀ = Ŵᵀ. The blob is the
// hand-packed one of constant-layouts.mlir (rows 1 0 -1 1 -1 -1 0 1 and
// 0 1 1 1 1 -1 -1 0), with scales 1 and 2.

func.func @main() {
  %x = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                             [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<8x8xf32>
  %w = tern.constant #tern.packing<sherry> dense_resource<sherry>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x1xf32>) group_size = 0
         : tensor<8x8xf32>, tensor<2x8x!tern.trit> -> tensor<8x2xf32>
  %u = tensor.cast %y : tensor<8x2xf32> to tensor<*xf32>
  // CHECK: sizes = [8, 2]
  // CHECK-NEXT: {{\[\[}}1, 0],
  // CHECK-NEXT: [0, 2],
  // CHECK-NEXT: [-1, 2],
  // CHECK-NEXT: [1, 2],
  // CHECK-NEXT: [-1, 2],
  // CHECK-NEXT: [-1, -2],
  // CHECK-NEXT: [0, -2],
  // CHECK-NEXT: [1, 0]]
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)

{-#
  dialect_resources: {
    builtin: {
      sherry: "0x01000000C9016003"
    }
  }
#-}
