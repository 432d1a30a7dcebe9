// RUN: tern-opt %s --split-input-file --tern-ternarize="method=bt" | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=ptqtp planes=2 group-size=4" | FileCheck %s --check-prefix=PTQTP
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=dlt group-size=4" | FileCheck %s --check-prefix=DLT
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=szt" | FileCheck %s --check-prefix=SZT
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=bt exclude=^head$" | FileCheck %s --check-prefix=EXCLUDE
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=bt include=proj" | FileCheck %s --check-prefix=INCLUDE
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=bt group-size=16" | FileCheck %s --check-prefix=WIDE
// RUN: tern-opt %s --split-input-file --tern-ternarize="method=ptqtp planes=2 packing=base3" | FileCheck %s --check-prefix=BASE3

// Weights that are exactly 0.5 * {-1, 0, +1} per output channel: the
// exact-MSE threshold recovers codes and scales. Scales and shifts are
// stored as f16 (docs/Quantization.md, "Storage formats").

// CHECK-LABEL: func.func @exact
// CHECK:       %[[W:.*]] = tern.constant #tern.packing<sign_magnitude> dense_resource<proj.codes> : tensor<8xi8> -> tensor<4x8x!tern.trit>
// CHECK:       %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<4x1xf16>
// CHECK:       tern.matmul %{{.*}}, %[[W]] scales(%[[S]] : tensor<4x1xf16>) group_size = 0
// CHECK-NOT:   linalg.matmul

// PTQTP-LABEL: func.func @exact
// PTQTP:       tern.constant {{.*}} -> tensor<2x4x8x!tern.trit>
// PTQTP:       tern.matmul {{.*}} scales(%{{.*}} : tensor<2x4x2xf16>) group_size = 4
// DLT:         tern.matmul {{.*}} scales(%{{.*}} : tensor<4x2xf16>) shifts(%{{.*}} : tensor<4x2xf16>) group_size = 4
// SZT:         tern.constant {{.*}} -> tensor<4x8x!tern.szt>
// Base 3: 5 codes a byte, rows on byte boundaries: 2 bytes a row of 8.
// BASE3-LABEL: func.func @exact
// BASE3:       tern.constant #tern.packing<base3> dense_resource<proj.codes> : tensor<16xi8> -> tensor<2x4x8x!tern.trit>
// A layer no wider than a group (K = 8 <= 16) is one group per channel.
// WIDE-LABEL:  func.func @exact
// WIDE:        tern.matmul {{.*}} scales(%{{.*}} : tensor<4x1xf16>) group_size = 0
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

// Weights of magnitude 1e-6: their scales lie below f16's normal range
// (2^-14), so the layer keeps f32 scales (and the report counts 32 bits).

// CHECK-LABEL: func.func @tiny
// CHECK:       %[[S:.*]] = arith.constant dense<9.99999997E-7> : tensor<2x1xf32>
// CHECK:       tern.matmul %{{.*}}, %{{.*}} scales(%[[S]] : tensor<2x1xf32>) group_size = 0
func.func @tiny(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0e-6, -1.0e-6], [0.0, 1.0e-6],
                             [-1.0e-6, 0.0], [1.0e-6, 1.0e-6]]> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>)
                     outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32> loc("tiny")
  return %y : tensor<1x2xf32>
}

// -----

// Layers are chosen by name; one that accumulates into something other than
// zeros adds it to the product; one whose weights are not constant stays
// float.

// EXCLUDE-LABEL: func.func @named
// EXCLUDE:       tern.matmul
// EXCLUDE:       linalg.matmul
// EXCLUDE:       tern.matmul
// EXCLUDE:       linalg.add
// EXCLUDE:       linalg.matmul
// INCLUDE-LABEL: func.func @named
// INCLUDE:       tern.matmul
// INCLUDE-COUNT-3: linalg.matmul
// CHECK-LABEL: func.func @named
// CHECK-COUNT-3: tern.matmul
// CHECK:         linalg.add ins(%{{.*}}, %arg2 : tensor<1x4xf32>, tensor<1x4xf32>)
// CHECK:         linalg.matmul ins(%arg0, %arg1
func.func @named(%x: tensor<1x4xf32>, %v: tensor<4x4xf32>, %acc: tensor<1x4xf32>)
    -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %w = arith.constant dense<[[1.0, 0.0, -1.0, 2.0], [0.5, 1.0, 1.0, -2.0],
                             [-1.0, 0.25, 0.0, 1.0], [1.0, -1.0, 0.5, 0.0]]> : tensor<4x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %a = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x4xf32>)
                     outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32> loc("proj")
  %b = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x4xf32>)
                     outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32> loc("head")
  %c = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x4xf32>)
                     outs(%acc : tensor<1x4xf32>) -> tensor<1x4xf32> loc("accumulate")
  %d = linalg.matmul ins(%x, %v : tensor<1x4xf32>, tensor<4x4xf32>)
                     outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32> loc("dynamic")
  return %a, %b, %c, %d : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}

// -----

// Only 1x1 convolutions with stride 1 are matmuls over channels.

// CHECK-LABEL: func.func @not_pointwise
// CHECK:       linalg.conv_2d_nchw_fchw
// CHECK:       linalg.conv_2d_nchw_fchw
// CHECK-NOT:   tern.matmul
func.func @not_pointwise(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w3 = arith.constant dense<0.5> : tensor<2x2x3x3xf32>
  %w1 = arith.constant dense<0.5> : tensor<2x2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %a = linalg.conv_2d_nchw_fchw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w3 : tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>)
         outs(%z : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %b = linalg.conv_2d_nchw_fchw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%x, %w1 : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>)
         outs(%z : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %a, %b : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
