// Ternarizing with calibration statistics: the calibrated threshold,
// Tequila's dead-zone bias and GPTQ error feedback. The report's output
// cosine (computed from E[x xᵀ]) is what running both models on the
// calibration sets measures.
// RUN: rm -rf %t && mkdir -p %t/sets
// RUN: %python %S/Inputs/calibration.py make %t/sets
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets stats=%t/stats.json second-moment=1" --mlir-print-debuginfo -o %t/float.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=tequila threshold=calibrated stats=%t/stats.json report=%t/tequila.json" -o %t/tequila.mlir 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: FileCheck %s --check-prefix=TEQUILA < %t/tequila.mlir
// RUN: %python %S/Inputs/calibration.py cosine %t/sets tern-run %t/float.mlir %t/tequila.mlir %t/tequila.json | FileCheck %s --check-prefix=COSINE
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt gptq=1 stats=%t/stats.json report=%t/gptq.json" -o %t/gptq.mlir 2>/dev/null
// RUN: %python %S/Inputs/calibration.py cosine %t/sets tern-run %t/float.mlir %t/gptq.mlir %t/gptq.json | FileCheck %s --check-prefix=COSINE
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=ptqtp planes=2 stats=%t/stats.json report=%t/ptqtp.json" -o %t/ptqtp.mlir 2>/dev/null
// RUN: %python %S/Inputs/calibration.py cosine %t/sets tern-run %t/float.mlir %t/ptqtp.mlir %t/ptqtp.json | FileCheck %s --check-prefix=COSINE
// rotate=1 fits in the rotated space, with the statistics rotated: the
// cosine the report predicts from them is what the compiled model (x Q,
// then the codes) gives.
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 bias-correction=1 rotate=1 stats=%t/stats.json report=%t/rotated.json" -o %t/rotated.mlir 2>/dev/null
// RUN: %python %S/Inputs/calibration.py cosine %t/sets tern-run %t/float.mlir %t/rotated.mlir %t/rotated.json | FileCheck %s --check-prefix=COSINE
// RUN: FileCheck %s --check-prefix=ROTATED-JSON < %t/rotated.json
// With corrections (salient=, low-rank=) the bias cancels the mean error
// Ŵ + C leaves, and the report predicts the compiled model's cosine.
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=ptqtp planes=1 gptq=1 bias-correction=1 salient=1 low-rank=1 stats=%t/stats.json report=%t/corrected.json" -o %t/corrected.mlir 2>/dev/null
// RUN: %python %S/Inputs/calibration.py cosine %t/sets tern-run %t/float.mlir %t/corrected.mlir %t/corrected.json | FileCheck %s --check-prefix=COSINE
// Rotating statistics needs their second moments.
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets stats=%t/first.json" -o /dev/null 2>/dev/null
// RUN: not tern-opt %t/float.mlir --tern-ternarize="rotate=1 stats=%t/first.json" 2>&1 | FileCheck %s --check-prefix=NO-MOMENTS

// Without stats=, tern-calibrate leaves the statistics on the module, where
// tern-ternarize finds (and removes) them: one tern-opt run does both.
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets" 2>/dev/null | FileCheck %s --check-prefix=ATTACHED
// RUN: tern-opt %s --tern-calibrate="inputs=%t/sets second-moment=1" --tern-ternarize="method=tequila threshold=calibrated report=%t/piped.json" 2>/dev/null | FileCheck %s --check-prefix=PIPED
// RUN: %python -c "import json, sys; a, b = (json.load(open(f))['layers'] for f in sys.argv[1:]); assert a == b, (a, b); print('same report')" %t/tequila.json %t/piped.json | FileCheck %s --check-prefix=SAME

// ATTACHED: module attributes {tern.calibration = {input_sets = 3 : i64, layers = {proj = {channels = 8 : i64, max_abs = dense<{{.*}}> : tensor<8xf64>, mean = dense<{{.*}}> : tensor<8xf64>, mean_square = dense<{{.*}}> : tensor<8xf64>, samples = 9 : i64}, pw = {channels = 2 : i64,
// PIPED-NOT: tern.calibration
// PIPED: tern.matmul {{.*}} bias(
// SAME: same report

// TABLE: layer N K planes group bits/w rel.error h.error cosine
// TABLE-NEXT: proj 4 8 1 0 {{[0-9.]+}} {{[0-9.]+}} {{[0-9.]+}} 0.9{{[0-9]+}}
// TABLE-NEXT: pw 4 2 1 0 {{[0-9.]+}} {{[0-9.]+}} {{[0-9.]+}} {{[0-9.]+}}

// TEQUILA: tern.matmul {{.*}} bias({{.*}} : tensor<4xf32>)

// COSINE: proj cosine 0.{{[0-9]+}} matches

// ROTATED-JSON: "name": "proj",
// ROTATED-JSON: "rotated": true,
// NO-MOMENTS: error: loc("proj"): tern-ternarize: layer 'proj': rotate needs second moments to rotate the statistics, and '{{.*}}first.json' has none (run tern-calibrate with second-moment=1)

func.func @main(%x: tensor<3x8xf32> {onnx.name = "x"}, %img: tensor<1x2x2x3xf32> {onnx.name = "img"})
    -> (tensor<3x4xf32> {onnx.name = "y"}, tensor<1x4x2x3xf32> {onnx.name = "c"}) {
  %w = arith.constant dense<[[0.31, -0.12, 0.05, 0.44], [-0.27, 0.18, 0.02, -0.09],
                             [0.08, 0.36, -0.41, 0.11], [0.52, -0.03, 0.14, -0.22],
                             [-0.15, 0.29, 0.07, 0.33], [0.01, -0.47, 0.26, 0.06],
                             [0.19, 0.04, -0.11, -0.38], [-0.06, 0.23, 0.35, 0.12]]> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<3x4xf32>) -> tensor<3x4xf32> loc("proj")
  %f = arith.constant dense<[[[[0.5]], [[-0.25]]], [[[0.125]], [[0.75]]],
                             [[[-0.5]], [[0.3]]], [[[0.2]], [[-0.1]]]]> : tensor<4x2x1x1xf32>
  %ce = tensor.empty() : tensor<1x4x2x3xf32>
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%img, %f : tensor<1x2x2x3xf32>, tensor<4x2x1x1xf32>)
         outs(%cz : tensor<1x4x2x3xf32>) -> tensor<1x4x2x3xf32> loc("pw")
  return %y, %c : tensor<3x4xf32>, tensor<1x4x2x3xf32>
}
