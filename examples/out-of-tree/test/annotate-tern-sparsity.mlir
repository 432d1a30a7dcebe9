// RUN: tern-sparsity-opt %s --split-input-file --tern-ternarize="method=bt" --annotate-tern-sparsity --verify-diagnostics | FileCheck %s
// The installed tern-opt's output, read by this project's tool.
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=bt" | tern-sparsity-opt --split-input-file --annotate-tern-sparsity 2> %t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// REMARK: remark: annotate-tern-sparsity: not annotated: its codes, scales, shifts and bias are not all constants
// tern-ternarize's options that run the model need the evaluator this tool
// does not register.
// RUN: mkdir -p %t && not tern-sparsity-opt %s --split-input-file --tern-ternarize="method=bt sequential=1 calibration=%t" 2>&1 | FileCheck %s --check-prefix=EVALUATOR

// Weights 0.5 * {-1, 0, +1} with 9 zeros in 32: tern-ternarize recovers
// the codes exactly.
// CHECK-LABEL: func.func @exact
// CHECK:         tern.matmul {{.*}} group_size = 0 {sparsity.codes = 32 : i64, sparsity.zeros = array<i64: 9>}
// EVALUATOR: error: tern-ternarize: sequential=true runs the model on calibration inputs, and no model evaluator is registered in this tool
func.func @exact(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5], [0.0, 0.5, 0.5, -0.5],
                             [-0.5, 0.5, 0.0, 0.0], [0.5, -0.5, 0.5, 0.5],
                             [0.0, 0.0, -0.5, 0.5], [0.5, 0.5, 0.0, -0.5],
                             [-0.5, 0.0, 0.5, 0.0], [0.5, 0.5, -0.5, 0.5]]> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("proj")
  return %y : tensor<2x4xf32>
}

// -----
// tern-ternarize finds no layer here, and says so (at the split's start).
// expected-warning@-2 {{tern-ternarize: no layer is ternarized: the module has no linalg.matmul and no NCHW convolution}}

// Two planes of sign/magnitude codes, one byte per row of four:
// plane 0: [+1 0 -1 0], [0 0 0 +1] (5 zeros); plane 1: [-1 -1 -1 -1],
// [0 +1 0 0] (3 zeros).
// CHECK-LABEL: func.func @planes
// CHECK:         tern.matmul {{.*}} {sparsity.codes = 8 : i64, sparsity.zeros = array<i64: 5, 3>}
func.func @planes(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<codes>
         : tensor<4xi8> -> tensor<2x2x4x!tern.trit>
  %s = arith.constant dense<1.0> : tensor<2x2x1xf32>
  %y = tern.matmul %x, %w scales(%s : tensor<2x2x1xf32>) group_size = 0
         : tensor<1x4xf32>, tensor<2x2x4x!tern.trit> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      codes: "0x010000003140FF04"
    }
  }
#-}

// -----
// tern-ternarize finds no layer here, and says so (at the split's start).
// expected-warning@-2 {{tern-ternarize: no layer is ternarized: the module has no linalg.matmul and no NCHW convolution}}

// Codes that are not constants are not counted.
// CHECK-LABEL: func.func @argument
// CHECK:         tern.matmul
// CHECK-NOT:     sparsity
func.func @argument(%x: tensor<1x4xf32>, %w: tensor<2x4x!tern.trit>,
                    %s: tensor<2x1xf32>) -> tensor<1x2xf32> {
  // expected-remark @below {{annotate-tern-sparsity: not annotated: its codes, scales, shifts and bias are not all constants}}
  %y = tern.matmul %x, %w scales(%s : tensor<2x1xf32>) group_size = 0
         : tensor<1x4xf32>, tensor<2x4x!tern.trit> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
