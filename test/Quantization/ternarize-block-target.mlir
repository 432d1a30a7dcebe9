// Block targets (sequential-target=block): a layer whose output is added
// to a residual stream is fitted to the float model's sum there, so it
// also takes out the error the stream carries from the blocks before it.
// Two residual blocks, s = x + (x W1 + c) and y = s + (relu(s) W2 + c),
// through reshapes and bias additions kept apart, as imported models have
// them: `b` corrects what the ternarized `a` left in s, and the model's
// output is closer to the float one than with each layer fitted to its
// own output.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/sequential.py make %t/sets
// RUN: tern-opt %s -o %t/float.mlir
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1" -o %t/layer.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1 sequential-target=block" -o %t/block.mlir 2>/dev/null
// Learned rounding of the codes (refine-codes) takes the error lower still.
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1 sequential-target=block refine-codes=8" -o %t/refined.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 bias-correction=1 calibration=%t/sets sequential=1" -o %t/layer-bc.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 bias-correction=1 calibration=%t/sets sequential=1 sequential-target=block" -o %t/block-bc.mlir 2>/dev/null
// RUN: %python %S/Inputs/sequential.py errors %t/sets tern-run %t/float.mlir %t/layer.mlir %t/block.mlir %t/refined.mlir | FileCheck %s
// RUN: %python %S/Inputs/sequential.py errors %t/sets tern-run %t/float.mlir %t/layer-bc.mlir %t/block-bc.mlir | FileCheck %s --check-prefix=BIAS
// Rotated too (the stream's moments rotate with the layer's input).
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1 rotate=1" -o %t/layer-rot.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1 sequential-target=block rotate=1" -o %t/block-rot.mlir 2>/dev/null
// RUN: %python %S/Inputs/sequential.py errors %t/sets tern-run %t/float.mlir %t/layer-rot.mlir %t/block-rot.mlir | FileCheck %s --check-prefix=ROTATED
// RUN: not tern-opt %t/float.mlir --tern-ternarize="sequential-target=block" 2>&1 | FileCheck %s --check-prefix=NOSEQ
// RUN: not tern-opt %t/float.mlir --tern-ternarize="sequential=1 calibration=%t/sets sequential-target=stream" 2>&1 | FileCheck %s --check-prefix=VALUE

// CHECK: layer.mlir error
// CHECK: block.mlir error
// CHECK: refined.mlir error
// CHECK: each closer to float than the one before: True
// BIAS: each closer to float than the one before: True
// ROTATED: each closer to float than the one before: True
// NOSEQ: error: tern-ternarize: sequential-target=block needs sequential=1
// VALUE: for the --sequential-target option: Cannot find option named 'stream'!

#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias = affine_map<(d0, d1, d2) -> (d2)>
#map2 = affine_map<(d0, d1) -> (d0, d1)>
#bias2 = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<16x8xf32> {onnx.name = "x"}) -> (tensor<16x8xf32> {onnx.name = "y"}) {
  %w1 = arith.constant dense<[[0.61, -0.52, 0.31, 0.08, -0.44, 0.12, 0.27, -0.19],
                              [-0.33, 0.47, 0.05, -0.61, 0.22, -0.08, 0.39, 0.14],
                              [0.18, -0.06, -0.72, 0.26, 0.09, 0.55, -0.21, 0.03],
                              [0.42, 0.11, -0.15, 0.37, -0.58, -0.24, 0.06, 0.49],
                              [-0.07, -0.39, 0.63, 0.02, 0.35, -0.46, 0.17, -0.28],
                              [0.25, 0.58, 0.13, -0.31, -0.04, 0.29, -0.66, 0.10],
                              [-0.51, 0.09, -0.27, 0.44, 0.16, 0.07, 0.32, -0.62],
                              [0.13, -0.24, 0.48, -0.09, 0.57, -0.35, -0.11, 0.21]]> : tensor<8x8xf32>
  %w2 = arith.constant dense<[[-0.28, 0.35, 0.52, -0.14, 0.09, -0.47, 0.23, 0.31],
                              [0.44, -0.12, 0.07, 0.59, -0.36, 0.18, -0.05, -0.27],
                              [0.06, 0.63, -0.29, -0.21, 0.15, 0.38, 0.49, -0.11],
                              [-0.55, -0.02, 0.26, 0.33, 0.47, -0.09, -0.38, 0.17],
                              [0.21, -0.46, -0.13, 0.08, -0.25, 0.61, 0.12, 0.42],
                              [0.37, 0.19, 0.41, -0.53, 0.04, -0.16, 0.28, -0.35],
                              [-0.09, 0.27, -0.58, 0.12, 0.34, 0.22, -0.43, 0.06],
                              [0.16, -0.31, 0.02, 0.45, -0.62, 0.11, 0.19, 0.54]]> : tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<16x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<16x8xf32>) -> tensor<16x8xf32> loc("a")
  %h3 = tensor.expand_shape %h [[0, 1], [2]] output_shape [2, 8, 8] : tensor<16x8xf32> into tensor<2x8x8xf32>
  %x3 = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 8, 8] : tensor<16x8xf32> into tensor<2x8x8xf32>
  %e3 = tensor.empty() : tensor<2x8x8xf32>
  %bias = arith.constant dense<[0.1, -0.2, 0.05, 0.3, -0.1, 0.0, 0.2, -0.05]> : tensor<8xf32>
  %hb = linalg.generic {indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h3, %bias : tensor<2x8x8xf32>, tensor<8xf32>) outs(%e3 : tensor<2x8x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %sum = arith.addf %in, %in_1 : f32
    linalg.yield %sum : f32
  } -> tensor<2x8x8xf32>
  %s3 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x3, %hb : tensor<2x8x8xf32>, tensor<2x8x8xf32>) outs(%e3 : tensor<2x8x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %sum = arith.addf %in, %in_1 : f32
    linalg.yield %sum : f32
  } -> tensor<2x8x8xf32>
  %s = tensor.collapse_shape %s3 [[0, 1], [2]] : tensor<2x8x8xf32> into tensor<16x8xf32>
  %r = linalg.map { arith.maximumf } ins(%s, %z : tensor<16x8xf32>, tensor<16x8xf32>)
                                     outs(%e : tensor<16x8xf32>)
  %g = linalg.matmul ins(%r, %w2 : tensor<16x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<16x8xf32>) -> tensor<16x8xf32> loc("b")
  %gb = linalg.generic {indexing_maps = [#map2, #bias2, #map2], iterator_types = ["parallel", "parallel"]}
      ins(%g, %bias : tensor<16x8xf32>, tensor<8xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %sum = arith.addf %in_1, %in : f32
    linalg.yield %sum : f32
  } -> tensor<16x8xf32>
  %y = linalg.add ins(%s, %gb : tensor<16x8xf32>, tensor<16x8xf32>) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}
