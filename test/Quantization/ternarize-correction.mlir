// salient=S keeps the residual of each layer's S most salient input columns
// (gathered from x, int8) and low-rank=R a rank-R correction U Vᵀ of the
// rest (x Vᵀᵀ then Uᵀ, int8), both added to the ternary product; keep=f16
// stores them as f16. Data-free here (columns by Σ W², unweighted SVD);
// test/Target/ONNX/export-correction.test runs them and checks the numbers
// against ONNX Runtime, unittests/Quant/CorrectionTest.cpp the fits.
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1 salient=2 low-rank=1 exclude=head report=%t.json" 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1 low-rank=2 keep=f16 include=q" 2>/dev/null | FileCheck %s --check-prefix=F16
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1 include=q" 2>/dev/null | FileCheck %s --check-prefix=PLAIN
// RUN: not tern-opt %s --tern-ternarize="salient=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not tern-opt %s --tern-ternarize="salient=7 include=q" 2>&1 | FileCheck %s --check-prefix=SALIENT
// RUN: not tern-opt %s --tern-ternarize="low-rank=3 include=q" 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not tern-opt %s --tern-ternarize="low-rank=two" 2>&1 | FileCheck %s --check-prefix=BADVALUE
// RUN: not tern-opt %s --tern-ternarize="low-rank=1 low-rank-weight=hessian" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not tern-opt %s --tern-ternarize="low-rank=1 low-rank-weight=svd" 2>&1 | FileCheck %s --check-prefix=BADWEIGHT
// RUN: not tern-opt %s --tern-ternarize="method=tequila salient=1" 2>&1 | FileCheck %s --check-prefix=TEQUILA
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1 low-rank=1 low-rank-weight=none include=q" 2>/dev/null | FileCheck %s --check-prefix=NONE
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=1 low-rank=1 low-rank-weight=diagonal include=q" 2>/dev/null | FileCheck %s --check-prefix=NONE

// CHECK-LABEL: func.func @f
// CHECK: %[[P:.+]] = tern.matmul %arg0, %{{.+}} -> tensor<2x4xf32>
// The salient columns: the two with the largest Σ_n W[n, k]².
// CHECK: %[[COLS:.+]] = arith.constant dense<[2, 3]> : tensor<2xi64>
// CHECK: %[[G:.+]] = linalg.generic {{.+}} ins(%[[COLS]] : tensor<2xi64>) outs(%{{.+}} : tensor<2x2xf32>)
// CHECK: tensor.extract %arg0[
// CHECK: %[[SW:.+]] = arith.constant dense_resource<q.salient.int8> : tensor<2x4xi8>
// CHECK: linalg.matmul ins(%[[G]], %[[SW]] : tensor<2x2xf32>, tensor<2x4xi8>)
// CHECK: %[[S:.+]] = linalg.generic {{.+}} : tensor<2x4xf32>, tensor<4xf16>)
// CHECK: %[[DW:.+]] = arith.constant dense_resource<q.lowrank_down.int8> : tensor<12x1xi8>
// CHECK: linalg.matmul ins(%arg0, %[[DW]] : tensor<2x12xf32>, tensor<12x1xi8>)
// CHECK: %[[D:.+]] = linalg.generic {{.+}} : tensor<2x1xf32>, tensor<1xf16>)
// CHECK: %[[UW:.+]] = arith.constant dense_resource<q.lowrank_up.int8> : tensor<1x4xi8>
// CHECK: linalg.matmul ins(%[[D]], %[[UW]] : tensor<2x1xf32>, tensor<1x4xi8>)
// CHECK: %[[U:.+]] = linalg.generic {{.+}} : tensor<2x4xf32>, tensor<4xf16>)
// CHECK: %[[SUM:.+]] = linalg.add ins(%[[P]], %[[S]] :
// CHECK: linalg.add ins(%[[SUM]], %[[U]] :
// CHECK: dense_resource<k.salient.int8>
// The kept layer has no correction.
// CHECK-NOT: head.salient
// CHECK-NOT: head.lowrank

// Bits: 2 + 16/12 for the plane, 2 x (8 + 16/2) / 12 for the salient
// columns and 64 bits of indices, (12 x 8 + 16) + (4 x 8 + 4 x 16) for the
// rank-1 factors: 11.67 bits per weight over 4 x 12 weights.
// JSON: "bits_per_weight": 11.66666
// JSON: "low_rank": 1,
// JSON: "name": "q",
// JSON: "salient_columns": 2,
// JSON: "low_rank": 0,
// JSON: "name": "head",
// JSON: "salient_columns": 0,

// F16: arith.constant dense_resource<q.lowrank_down.f16> : tensor<12x2xf16>
// F16: arith.constant dense_resource<q.lowrank_up.f16> : tensor<2x4xf16>
// F16-NOT: salient

// PLAIN-NOT: salient
// PLAIN-NOT: lowrank

// NEGATIVE: error: tern-ternarize: salient and low-rank must be >= 0, got -1 and 0
// SALIENT: error: loc("q"): tern-ternarize: layer 'q': salient=7 keeps more than half of its K = 12 input columns
// RANK: error: loc("q"): tern-ternarize: layer 'q': low-rank=3 is more than half of min(N, K) = 4
// BADVALUE: for the --low-rank option: 'two' value invalid for long argument
// NOSTATS: error: tern-ternarize: low-rank-weight=hessian needs calibration statistics with second moments
// BADWEIGHT: for the --low-rank-weight option: Cannot find option named 'svd'
// TEQUILA: error: tern-ternarize: method=tequila's dead-zone bias counts the salient columns' and the low-rank part's weights again: use method=bt with bias-correction=1, which accounts for the corrections
// Data-free, diagonal is unweighted: the same factors as none.
// NONE: dense_resource<q.lowrank_down.int8> : tensor<12x1xi8>

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
