// RUN: tern-opt %s --tern-reference-to-llvm | FileCheck %s
// RUN: tern-opt %s --tern-reference-to-llvm="emit-c-interface=1" | FileCheck %s --check-prefix=CIFACE
// RUN: not tern-opt %s --tern-reference-to-llvm="emit-c-interface=maybe" 2>&1 | FileCheck %s --check-prefix=BADOPT

// The pipeline leaves only the LLVM dialect, keeps packed weights as a
// resource-backed global, and adds C wrappers on request.

// CHECK: llvm.mlir.global private constant @{{.*}}(dense_resource<w> : tensor<4xi8>)
// CHECK-LABEL: llvm.func @linear(
// CHECK-NOT: tern.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK: w: "0x04000000C5435555"
// CIFACE: llvm.func @_mlir_ciface_linear(
// BADOPT: for the --emit-c-interface option: 'maybe' is invalid value for boolean argument

func.func @linear(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<[[1.0, 2.0], [0.5, 0.25]]> : tensor<2x2xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x2xf32>) group_size = 4
         : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555"
    }
  }
#-}
