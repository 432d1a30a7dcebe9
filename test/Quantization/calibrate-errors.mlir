// RUN: rm -rf %t && mkdir -p %t/empty %t/sets/a %t/files
// RUN: %python -c "import numpy as np; np.save('%t/sets/a/x.npy', np.zeros((3, 8), np.float32)); np.save('%t/files/x.npy', np.zeros((3, 8), np.float32)); np.save('%t/files/y.npy', np.zeros((3, 8), np.float64))"
// RUN: not tern-opt %s --split-input-file --tern-calibrate 2>&1 | FileCheck %s --check-prefix=OPTIONS
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/none stats=%t/s.json" 2>&1 | FileCheck %s --check-prefix=NODIR
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/empty stats=%t/s.json" 2>&1 | FileCheck %s --check-prefix=EMPTY
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/sets stats=%t/s.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/files stats=%t/s.json" 2>&1 | FileCheck %s --check-prefix=FILES
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/sets stats=%t/s.json cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/files stats=%t/s.json" 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/sets layers=nothing" 2>&1 | FileCheck %s --check-prefix=LAYERS
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/sets layers=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not tern-opt %s --split-input-file --tern-calibrate="inputs=%t/sets convolutions=some" 2>&1 | FileCheck %s --check-prefix=CONVS

// OPTIONS: error: tern-calibrate: needs inputs=DIR (the calibration input sets)
// NODIR: error: tern-calibrate: calibration inputs '{{.*}}none' is not a directory
// EMPTY: error: tern-calibrate: calibration inputs '{{.*}}empty' holds no input sets (subdirectories or .npy files)
// MISSING: error: tern-calibrate: cannot open '{{.*}}sets/a/img.npy'
// FILES: error: tern-calibrate: '{{.*}}files/x.npy' is a file, but the model has 2 inputs: give each input set as a directory of NAME.npy files
// LAYERS: error: tern-calibrate: no layer matches layers=nothing
// REGEX: error: tern-calibrate: bad layers regular expression: {{.+}}
// CONVS: error: tern-calibrate: convolutions must be pointwise, ungrouped or all, got 'some'
// CPU: error: tern-calibrate: unknown CPU 'pentium9'

func.func @main(%x: tensor<3x8xf32> {onnx.name = "x"}, %img: tensor<1x2x2x3xf32> {onnx.name = "img"}) -> tensor<3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32> loc("proj")
  return %y : tensor<3x4xf32>
}

// -----

// A one-input model: every file is a set, checked against the input.
// ONE: error: tern-calibrate: input 'x' from '{{.*}}files/y.npy' is float64, the model expects float32

func.func @main(%x: tensor<3x8xf32> {onnx.name = "x"}) -> tensor<3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32> loc("proj")
  return %y : tensor<3x4xf32>
}

// -----

// ONE: error: tern-calibrate: the module has no layer to calibrate (MatMul, Gemm or 1x1 Conv with constant weights)
func.func @main(%x: tensor<3x8xf32> {onnx.name = "x"}) -> tensor<3x8xf32> {
  return %x : tensor<3x8xf32>
}

// -----

// ONE: error: tern-calibrate: the module has no function @main to run
func.func @other(%x: tensor<3x8xf32>) -> tensor<3x8xf32> {
  return %x : tensor<3x8xf32>
}
