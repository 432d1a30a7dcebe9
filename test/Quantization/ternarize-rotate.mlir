// rotate=1 fits each layer in its input space rotated by Q = L ⊗ R and
// computes x Q (tern.rotate) before the product; layers that read the same
// activations share one rotation. Data-free here; the statistics' rotation
// is checked in ternarize-calibrated.mlir and ternarize-sequential.mlir, the
// numbers in test/Integration/rotate-vs-numpy.test.
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1 rotate=1 exclude=head report=%t.json" 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1" 2>/dev/null | FileCheck %s --check-prefix=PLAIN
// RUN: not tern-opt %s --tern-ternarize="rotate=maybe" 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @f
// K = 12 = 3 x 4: a 3 x 3 and a 4 x 4 factor, shared by q and k.
// CHECK: %[[L:.+]] = arith.constant dense<{{.+}}> : tensor<3x3xf32>
// CHECK: %[[R:.+]] = arith.constant dense<{{.+}}> : tensor<4x4xf32>
// CHECK: %[[X:.+]] = tern.rotate %arg0 by(%[[L]], %[[R]] : tensor<3x3xf32>, tensor<4x4xf32>) : tensor<2x12xf32>
// CHECK: tern.matmul %[[X]], %{{.+}} : tensor<2x12xf32>, tensor<4x12x!tern.trit> -> tensor<2x4xf32>
// CHECK-NOT: tern.rotate
// CHECK: tern.matmul %[[X]], %{{.+}} : tensor<2x12xf32>, tensor<4x12x!tern.trit> -> tensor<2x4xf32>
// The kept layer reads x as it is.
// CHECK: linalg.matmul ins(%arg0, %{{.+}} : tensor<2x12xf32>, tensor<12x4xi8>)

// JSON: "name": "q",
// JSON: "rotated": true,
// JSON: "name": "k",
// JSON: "rotated": true,
// JSON: "name": "head",
// JSON: "rotated": false,

// PLAIN-NOT: tern.rotate

// BAD: for the --rotate option: 'maybe' is invalid value for boolean argument

func.func @f(%x: tensor<2x12xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<[[0.31, -0.12, 0.05, 0.44], [-0.27, 0.18, 0.02, -0.09],
                             [0.08, 0.36, -0.41, 0.11], [0.52, -0.03, 0.14, -0.22],
                             [-0.15, 0.29, 0.07, 0.33], [0.01, -0.47, 0.26, 0.06],
                             [0.19, 0.04, -0.11, -0.38], [-0.06, 0.23, 0.35, 0.12],
                             [0.21, -0.32, 0.15, 0.04], [-0.17, 0.08, 0.12, -0.19],
                             [0.18, 0.26, -0.31, 0.21], [0.42, -0.13, 0.24, -0.12]]> : tensor<12x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %q = linalg.matmul ins(%x, %w : tensor<2x12xf32>, tensor<12x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("q")
  %k = linalg.matmul ins(%x, %w : tensor<2x12xf32>, tensor<12x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("k")
  %h = linalg.matmul ins(%x, %w : tensor<2x12xf32>, tensor<12x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("head")
  return %q, %k, %h : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
