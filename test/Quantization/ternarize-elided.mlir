// A layer whose weights were elided when the IR was printed
// (--mlir-elide-resource-strings-if-larger) cannot be ternarized: an error
// naming it, not a layer silently left float.
// RUN: not tern-opt %s --tern-ternarize 2>&1 | FileCheck %s
// CHECK: error: {{.*}}tern-ternarize: layer 'proj': its weights cannot be read (an elided or non-f32 constant)

func.func @main(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense_resource<__elided__> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x4xf32>) outs(%init : tensor<1x4xf32>) -> tensor<1x4xf32> loc("proj")
  return %y : tensor<1x4xf32>
}
