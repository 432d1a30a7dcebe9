// RUN: rm -rf %t && mkdir -p %t/sets
// RUN: %python %S/Inputs/calibration.py make %t/sets
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets stats=%t/stats.json second-moment=1" 2>%t/log | FileCheck %s --check-prefix=UNCHANGED
// RUN: FileCheck %s --check-prefix=LOG < %t/log
// RUN: %python %S/Inputs/calibration.py check %t/sets %t/stats.json | FileCheck %s --check-prefix=STATS
// Without second moments the file has none; the rest is the same.
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets stats=%t/first.json" -o /dev/null 2>/dev/null
// RUN: %python %S/Inputs/calibration.py check %t/sets %t/first.json | FileCheck %s --check-prefix=FIRST
// Deterministic: the same inputs give the same file.
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets stats=%t/again.json second-moment=1" -o /dev/null 2>/dev/null
// RUN: cmp %t/stats.json %t/again.json

// The module is left as it was.
// UNCHANGED: linalg.matmul
// UNCHANGED: linalg.conv_2d_nchw_fchw
// UNCHANGED: return {{.*}} : tensor<3x4xf32>, tensor<1x4x2x3xf32>

// LOG: tern-calibrate: 2 layers, 3 input sets -> {{.*}}stats.json

// STATS-DAG: proj mean ok
// STATS-DAG: proj mean_square ok
// STATS-DAG: proj max_abs ok
// STATS-DAG: proj second_moment ok
// STATS-DAG: pw mean ok
// STATS-DAG: pw mean_square ok
// STATS-DAG: pw max_abs ok
// STATS-DAG: pw second_moment ok

// FIRST: proj second_moment missing

func.func @main(%x: tensor<3x8xf32> {onnx.name = "x"}, %img: tensor<1x2x2x3xf32> {onnx.name = "img"})
    -> (tensor<3x4xf32> {onnx.name = "y"}, tensor<1x4x2x3xf32> {onnx.name = "c"}) {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32> loc("proj")
  %f = arith.constant dense<0.25> : tensor<4x2x1x1xf32>
  %ce = tensor.empty() : tensor<1x4x2x3xf32>
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%img, %f : tensor<1x2x2x3xf32>, tensor<4x2x1x1xf32>)
         outs(%cz : tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32> loc("pw")
  return %y, %c : tensor<3x4xf32>, tensor<1x4x2x3xf32>
}
