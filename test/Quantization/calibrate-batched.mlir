// A one-input model: every .npy file in the directory is an input set, or
// several when its leading dimension is a multiple of the model's (a.npy
// holds two sets of 3 rows, b.npy one).
// RUN: rm -rf %t && %python %S/Inputs/calibration.py make-batched %t
// RUN: tern-opt %s --tern-calibrate="inputs=%t stats=%t.json second-moment=1" -o /dev/null
// RUN: %python %S/Inputs/calibration.py check-batched %t %t.json | FileCheck %s

// CHECK: proj mean ok
// CHECK: proj second_moment ok

func.func @main(%x: tensor<3x8xf32> {onnx.name = "x"}) -> tensor<3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32> loc("proj")
  return %y : tensor<3x4xf32>
}
