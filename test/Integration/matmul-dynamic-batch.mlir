// RUN: tern-opt %s --tern-reference-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

// Plain ternary (one plane, groups of 4) behind a function boundary: the
// ternary weights are a function argument and the batch size M is dynamic.
// Codes: row 0 = +1 +1 0 -1 | -1 0 0 +1, row 1 = all +1.

func.func @linear(%x: tensor<?x8xf32>, %w: tensor<2x8x!tern.trit>,
                  %a: tensor<2x2xf32>) -> tensor<?x2xf32> {
  %y = tern.matmul %x, %w scales(%a : tensor<2x2xf32>) group_size = 4
         : tensor<?x8xf32>, tensor<2x8x!tern.trit> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

func.func @main() {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<[[1.0, 2.0], [0.5, 0.25]]> : tensor<2x2xf32>

  // M = 1.
  %x1 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  %d1 = tensor.cast %x1 : tensor<1x8xf32> to tensor<?x8xf32>
  %y1 = call @linear(%d1, %w, %a)
          : (tensor<?x8xf32>, tensor<2x8x!tern.trit>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %u1 = tensor.cast %y1 : tensor<?x2xf32> to tensor<*xf32>
  // CHECK: sizes = [1, 2]
  // CHECK-NEXT: {{\[\[}}5, 11.5]]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()

  // M = 3.
  %x3 = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0],
                              [-1.0, -1.0, -1.0, -1.0, 2.0, 2.0, 2.0, 2.0]]> : tensor<3x8xf32>
  %d3 = tensor.cast %x3 : tensor<3x8xf32> to tensor<?x8xf32>
  %y3 = call @linear(%d3, %w, %a)
          : (tensor<?x8xf32>, tensor<2x8x!tern.trit>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %u3 = tensor.cast %y3 : tensor<?x2xf32> to tensor<*xf32>
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[\[}}1, 0.5],
  // CHECK-NEXT: [-3, 0.75],
  // CHECK-NEXT: [-1, 0]]
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555"
    }
  }
#-}
