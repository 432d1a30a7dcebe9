// Block targets on convolutions: s = x + conv_a(x), y = s + conv_b(relu(s)),
// NCHW 1x1 convolutions whose results are added as they are. The stream
// (an image) is observed as pixels x channels, the rows of the
// convolution's products: `b` corrects what the ternarized `a` left in s.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/sequential.py make %t/sets 2x6x4x4
// RUN: tern-opt %s -o %t/float.mlir
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1" -o %t/layer.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1 sequential-target=block" -o %t/block.mlir 2>/dev/null
// RUN: %python %S/Inputs/sequential.py errors %t/sets tern-run %t/float.mlir %t/layer.mlir %t/block.mlir | FileCheck %s

// CHECK: layer.mlir error
// CHECK: block.mlir error
// CHECK: each closer to float than the one before: True

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @main(%x: tensor<2x6x4x4xf32> {onnx.name = "x"}) -> (tensor<2x6x4x4xf32> {onnx.name = "y"}) {
  %wa = arith.constant dense<[[[[1.02]], [[-1.28]], [[0.21]], [[-0.28]], [[-0.23]], [[-0.11]]], [[[-1.01]], [[-0.12]], [[-0.43]], [[1.66]], [[0.11]], [[-0.18]]], [[[-0.14]], [[-0.33]], [[-0.53]], [[-0.20]], [[0.24]], [[-0.12]]], [[[0.48]], [[-0.10]], [[0.01]], [[0.77]], [[0.27]], [[-0.25]]], [[[-0.09]], [[0.27]], [[0.97]], [[-0.13]], [[-0.12]], [[0.50]]], [[[-0.44]], [[-0.15]], [[0.44]], [[0.29]], [[0.05]], [[0.34]]]]> : tensor<6x6x1x1xf32>
  %wb = arith.constant dense<[[[[-1.41]], [[0.51]], [[-0.48]], [[-0.83]], [[0.14]], [[0.35]]], [[[-0.22]], [[-0.54]], [[0.01]], [[-0.03]], [[0.70]], [[0.37]]], [[[0.10]], [[0.56]], [[-0.10]], [[-0.46]], [[0.29]], [[0.29]]], [[[-0.11]], [[-0.39]], [[0.11]], [[-1.25]], [[0.35]], [[0.25]]], [[[-0.82]], [[0.03]], [[-0.48]], [[0.38]], [[-1.02]], [[-0.46]]], [[[0.35]], [[0.58]], [[-1.08]], [[-0.25]], [[0.16]], [[-0.30]]]]> : tensor<6x6x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6x4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %wa : tensor<2x6x4x4xf32>, tensor<6x6x1x1xf32>) outs(%z : tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32> loc("a")
  %s = linalg.add ins(%x, %a : tensor<2x6x4x4xf32>, tensor<2x6x4x4xf32>) outs(%e : tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32>
  %r = linalg.map { arith.maximumf } ins(%s, %z : tensor<2x6x4x4xf32>, tensor<2x6x4x4xf32>) outs(%e : tensor<2x6x4x4xf32>)
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%r, %wb : tensor<2x6x4x4xf32>, tensor<6x6x1x1xf32>) outs(%z : tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32> loc("b")
  %y = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b, %s : tensor<2x6x4x4xf32>, tensor<2x6x4x4xf32>) outs(%e : tensor<2x6x4x4xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %sum = arith.addf %in, %in_1 : f32
    linalg.yield %sum : f32
  } -> tensor<2x6x4x4xf32>
  return %y : tensor<2x6x4x4xf32>
}
