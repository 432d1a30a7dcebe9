// Layers left out of the ternary set are stored as keep= says: int8 codes
// with a scale per output channel (the default), f16, or f32 as imported.
// RUN: tern-opt %s --tern-ternarize="exclude=head report=%t.json" 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: tern-opt %s --tern-ternarize="exclude=head keep=f16" 2>/dev/null | FileCheck %s --check-prefix=F16
// RUN: tern-opt %s --tern-ternarize="exclude=head keep=f32" 2>/dev/null | FileCheck %s --check-prefix=F32
// RUN: tern-opt %s --tern-ternarize="include=proj keep=f16 report=%t.f16.json" -o /dev/null 2>&1 | FileCheck %s --check-prefix=F16-TABLE
// RUN: not tern-opt %s --tern-ternarize="exclude=head keep=int4" 2>&1 | FileCheck %s --check-prefix=BAD

// The report counts the kept layer at its stored bits: 8 a code plus a
// 16-bit scale per row of 8 (10 bits a weight).
// CHECK: layer N K planes group bits/w rel.error
// CHECK: proj 4 8 2 0
// CHECK: head 4 8 int8 0 10.000 0.0008
// CHECK: 2 layers: 256 float bytes -> {{[0-9]+}} bytes

// CHECK-LABEL: func.func @f
// CHECK: tern.matmul
// CHECK: %[[CODES:.+]] = arith.constant dense_resource<head.int8> : tensor<8x4xi8>
// CHECK: %[[PRODUCTS:.+]] = linalg.matmul ins(%{{.+}}, %[[CODES]] : tensor<2x8xf32>, tensor<8x4xi8>)
// CHECK: %[[SCALES:.+]] = arith.constant dense<3.936770e-03> : tensor<4xf16>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[PRODUCTS]], %[[SCALES]] : tensor<2x4xf32>, tensor<4xf16>)
// CHECK: arith.extf
// CHECK: arith.mulf
// The codes, K x N, at scale 0.5 / 127 in every column: 0.5 is 127 (7F),
// -0.5 is -127 (81), and 0.25 is 63.5, rounded to even: 64 (40).
// CHECK: head.int8: "0x010000007F00817F007F7F81817F00007F817F7F0000817F7F7F008181007F007F7F8140"

// JSON: "float_layers": []
// JSON: "bits_per_weight": 10,
// JSON: "format": "int8",
// JSON: "method": "kept",
// JSON: "name": "head",

// F16: %[[W:.+]] = arith.constant dense_resource<head.f16> : tensor<8x4xf16>
// F16: linalg.matmul ins(%{{.+}}, %[[W]] : tensor<2x8xf32>, tensor<8x4xf16>)
// F16-NOT: linalg.generic

// F32: %[[W:.+]] = arith.constant dense<{{.+}}> : tensor<8x4xf32>
// F32: tern.matmul
// F32: linalg.matmul ins(%{{.+}}, %[[W]] : tensor<2x8xf32>, tensor<8x4xf32>)

// F16-TABLE: head 4 8 f16 0 16.000 0.0000

// BAD: for the --keep option: Cannot find option named 'int4'!

func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5], [0.0, 0.5, 0.5, -0.5],
                             [-0.5, 0.5, 0.0, 0.0], [0.5, -0.5, 0.5, 0.5],
                             [0.0, 0.0, -0.5, 0.5], [0.5, 0.5, 0.0, -0.5],
                             [-0.5, 0.0, 0.5, 0.0], [0.5, 0.5, -0.5, 0.25]]> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("proj")
  %h = tensor.empty() : tensor<2x8xf32>
  %hz = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %pad = tensor.pad %p low[0, 0] high[0, 4] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<2x4xf32> to tensor<2x8xf32>
  %y = linalg.matmul ins(%pad, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%hz : tensor<2x4xf32>) -> tensor<2x4xf32> loc("head")
  return %y : tensor<2x4xf32>
}
