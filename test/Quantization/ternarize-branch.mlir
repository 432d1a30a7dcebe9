// A matmul inside a branch or loop (an imported ONNX If, Loop or Scan) is
// no layer: calibration observes a layer's activations from its function,
// which cannot see into the region. The pass says so and leaves it.
// RUN: tern-opt %s --tern-ternarize 2>&1 | FileCheck %s

// CHECK: warning: tern-ternarize: no layer is ternarized: none of its 1 matmuls and convolutions qualifies {{.*}}: 'inner': inside a branch or loop (ONNX If, Loop, Scan), which calibration cannot observe
// CHECK-LABEL: func.func @branch
// CHECK: linalg.matmul
// CHECK-NOT: tern.matmul
func.func @branch(%c: i1, %x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r = scf.if %c -> tensor<2x4xf32> {
    %w = arith.constant dense<0.5> : tensor<8x4xf32>
    %m = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                       outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("inner")
    scf.yield %m : tensor<2x4xf32>
  } else {
    scf.yield %z : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}
