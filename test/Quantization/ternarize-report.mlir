// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=2 group-size=4 report=%t.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: not tern-opt %s --tern-ternarize="report=%t.missing/report.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERROR

// TABLE: layer N K planes group bits/w rel.error
// TABLE: proj 4 8 2 4 12.000 0.0000
// TABLE: 1 layers: 128 float bytes -> 48 bytes (2.7x smaller)

// JSON: "float_bytes": 128,
// JSON: "bits_per_weight": 12,
// JSON: "cols": 8,
// JSON: "group_size": 4,
// JSON: "method": "ptqtp",
// JSON: "name": "proj",
// JSON: "planes": 2,
// JSON: "relative_error": 0,
// JSON: "rows": 4,
// JSON: "ternary_bytes": 48

// ERROR: error: tern-ternarize: cannot write the report '{{.*}}report.json': {{.+}}

func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
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
