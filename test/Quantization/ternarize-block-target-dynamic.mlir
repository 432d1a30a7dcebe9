// Block targets on a model with dynamic rows, shaped as the ONNX importer
// writes it: the layers' results reshaped through tensor.reshape on sizes
// that tensor.dim reads, biases added apart. Each layer's result has one
// reader besides those size queries, so `b`'s stream is found and the
// output moves closer to the float one than with layer targets.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/sequential.py make %t/sets
// RUN: tern-opt %s -o %t/float.mlir
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1" -o %t/layer.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 calibration=%t/sets sequential=1 sequential-target=block" -o %t/block.mlir 2>/dev/null
// RUN: %python %S/Inputs/sequential.py errors %t/sets tern-run %t/float.mlir %t/layer.mlir %t/block.mlir | FileCheck %s

// CHECK: layer.mlir error
// CHECK: block.mlir error
// CHECK: each closer to float than the one before: True

#map = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @main(%x: tensor<?x8xf32> {onnx.name = "x"}) -> (tensor<?x8xf32> {onnx.name = "y"}) {
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
  %bias = arith.constant dense<[0.1, -0.2, 0.05, 0.3, -0.1, 0.0, 0.2, -0.05]> : tensor<8xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %m = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%m) : tensor<?x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<?x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<?x8xf32>) -> tensor<?x8xf32> loc("a")
  %shape = tensor.from_elements %m, %c8 : tensor<2xindex>
  %hr = tensor.reshape %h(%shape) : (tensor<?x8xf32>, tensor<2xindex>) -> tensor<?x8xf32>
  %mh = tensor.dim %hr, %c0 : tensor<?x8xf32>
  %eh = tensor.empty(%mh) : tensor<?x8xf32>
  %hb = linalg.generic {indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel"]}
      ins(%hr, %bias : tensor<?x8xf32>, tensor<8xf32>) outs(%eh : tensor<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %sum = arith.addf %in, %in_1 : f32
    linalg.yield %sum : f32
  } -> tensor<?x8xf32>
  %s = linalg.add ins(%x, %hb : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %r = linalg.map { arith.maximumf } ins(%s, %z : tensor<?x8xf32>, tensor<?x8xf32>)
                                     outs(%e : tensor<?x8xf32>)
  %g = linalg.matmul ins(%r, %w2 : tensor<?x8xf32>, tensor<8x8xf32>)
                     outs(%z : tensor<?x8xf32>) -> tensor<?x8xf32> loc("b")
  %gr = tensor.reshape %g(%shape) : (tensor<?x8xf32>, tensor<2xindex>) -> tensor<?x8xf32>
  %mg = tensor.dim %gr, %c0 : tensor<?x8xf32>
  %eg = tensor.empty(%mg) : tensor<?x8xf32>
  %gb = linalg.generic {indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel"]}
      ins(%gr, %bias : tensor<?x8xf32>, tensor<8xf32>) outs(%eg : tensor<?x8xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %sum = arith.addf %in, %in_1 : f32
    linalg.yield %sum : f32
  } -> tensor<?x8xf32>
  %y = linalg.add ins(%s, %gb : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
