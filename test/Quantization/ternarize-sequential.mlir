// Sequential calibration on a chain of two layers: `out` is fitted to
// reproduce the float model's output from the activations that the
// ternarized `hidden` gives it, so the model output is closer to the float
// one than when both layers are fitted on the float model's statistics.
// The report's output cosine of `out` (from E[x xᵀ], E[x x̃ᵀ] and E[x̃ x̃ᵀ],
// x̃ the received activations) is what running the models measures.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/sequential.py make %t/sets
// RUN: tern-opt %s --mlir-print-debuginfo -o %t/float.mlir
// RUN: tern-opt %t/float.mlir --tern-calibrate="inputs=%t/sets second-moment=1" --tern-ternarize="method=bt threshold=calibrated gptq=1 bias-correction=1" -o %t/once.mlir 2>/dev/null
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 bias-correction=1 calibration=%t/sets sequential=1 report=%t/seq.json" -o %t/seq.mlir 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: %python %S/Inputs/sequential.py compare %t/sets tern-run %t/float.mlir %t/once.mlir %t/seq.mlir %t/seq.json | FileCheck %s
// Rotated (rotate=1): the statistics each layer receives, rotated with it,
// still predict what the compiled model (with its tern.rotate) does.
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=bt threshold=calibrated gptq=1 bias-correction=1 calibration=%t/sets sequential=1 rotate=1 report=%t/rot.json" -o %t/rot.mlir 2>/dev/null
// RUN: FileCheck %s --check-prefix=ROTATED < %t/rot.mlir
// RUN: %python %S/Inputs/sequential.py compare %t/sets tern-run %t/float.mlir %t/once.mlir %t/rot.mlir %t/rot.json | FileCheck %s --check-prefix=ROTATED-COSINE

// The other fits take the same statistics (tequila: its bias from E[x̃]).
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=tequila threshold=calibrated calibration=%t/sets sequential=1" 2>/dev/null | FileCheck %s --check-prefix=TEQUILA
// RUN: tern-opt %t/float.mlir --tern-ternarize="method=ptqtp planes=2 refit-scales=1 calibration=%t/sets sequential=1" 2>/dev/null | FileCheck %s --check-prefix=PTQTP

// Errors: sequential needs its inputs, and takes no other statistics.
// RUN: not tern-opt %t/float.mlir --tern-ternarize="sequential=1" 2>&1 | FileCheck %s --check-prefix=NODIR
// RUN: tern-opt %t/float.mlir --tern-calibrate="inputs=%t/sets stats=%t/stats.json" -o /dev/null 2>/dev/null
// RUN: not tern-opt %t/float.mlir --tern-ternarize="calibration=%t/sets sequential=1 stats=%t/stats.json" 2>&1 | FileCheck %s --check-prefix=SEQSTATS
// RUN: not tern-opt %t/float.mlir --tern-ternarize="calibration=%t/missing sequential=1" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: mkdir -p %t/wrong && %python -c "import numpy as np; np.save('%t/wrong/a.npy', np.zeros((16, 5), np.float32))"
// RUN: not tern-opt %t/float.mlir --tern-ternarize="calibration=%t/wrong sequential=1" 2>&1 | FileCheck %s --check-prefix=WRONG

// TABLE: layer N K planes group bits/w rel.error h.error cosine
// TABLE-NEXT: hidden 6 8 1 0
// TABLE-NEXT: out 4 6 1 0

// CHECK: once cosine [[ONCE:0\.[0-9]+]]
// CHECK: sequential cosine
// CHECK: sequential closer to float: True
// CHECK: reported cosine of out matches

// ROTATED: tern.rotate %{{.+}} by(%{{.+}}, %{{.+}} : tensor<2x2xf32>, tensor<4x4xf32>) : tensor<16x8xf32>
// ROTATED: tern.rotate %{{.+}} by(%{{.+}}, %{{.+}} : tensor<2x2xf32>, tensor<3x3xf32>) : tensor<16x6xf32>
// ROTATED-COSINE: reported cosine of out matches

// TEQUILA-COUNT-2: tern.matmul {{.*}} bias(
// PTQTP-COUNT-2: tern.matmul {{.*}} : tensor<16x{{[0-9]}}xf32>, tensor<2x{{[0-9]}}x{{[0-9]}}x!tern.trit>

// NODIR: error: tern-ternarize: sequential needs calibration=DIR
// SEQSTATS: error: tern-ternarize: sequential calibrates as it goes; it takes no other statistics ('{{.*}}stats.json')
// MISSING: error: tern-ternarize: sequential: calibration inputs '{{.*}}missing' is not a directory
// WRONG: error: tern-ternarize: sequential: input 'x' from '{{.*}}a.npy' has shape (16, 5), the model expects (16, 8)

func.func @main(%x: tensor<16x8xf32> {onnx.name = "x"}) -> (tensor<16x4xf32> {onnx.name = "y"}) {
  %w1 = arith.constant dense<[[1.02, -1.28, 0.21, -0.28, -0.23, -0.11], [-1.01, -0.12, -0.43, 1.66, 0.11, -0.18],
                              [-0.14, -0.33, -0.53, -0.20, 0.24, -0.12], [0.48, -0.10, 0.01, 0.77, 0.27, -0.25],
                              [-0.09, 0.27, 0.97, -0.13, -0.12, 0.50], [-0.44, -0.15, 0.44, 0.29, 0.05, 0.34],
                              [-1.41, 0.51, -0.48, -0.83, 0.14, 0.35], [-0.22, -0.54, 0.01, -0.03, 0.70, 0.37]]> : tensor<8x6xf32>
  %w2 = arith.constant dense<[[0.10, 0.56, -0.10, -0.46], [0.29, 0.29, -0.11, -0.39], [0.11, -1.25, 0.35, 0.25],
                              [-0.82, 0.03, -0.48, 0.38], [-1.02, -0.46, 0.35, 0.58], [-1.08, -0.25, 0.16, -0.30]]> : tensor<6x4xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16x6xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x6xf32>) -> tensor<16x6xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<16x8xf32>, tensor<8x6xf32>)
                     outs(%z1 : tensor<16x6xf32>) -> tensor<16x6xf32> loc("hidden")
  %r = linalg.map { arith.maximumf } ins(%h, %z1 : tensor<16x6xf32>, tensor<16x6xf32>)
                                     outs(%e1 : tensor<16x6xf32>)
  %e2 = tensor.empty() : tensor<16x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<16x4xf32>) -> tensor<16x4xf32>
  %y = linalg.matmul ins(%r, %w2 : tensor<16x6xf32>, tensor<6x4xf32>)
                     outs(%z2 : tensor<16x4xf32>) -> tensor<16x4xf32> loc("out")
  return %y : tensor<16x4xf32>
}
