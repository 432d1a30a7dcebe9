// RUN: not tern-opt %s --tern-ternarize="method=gptq" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not tern-opt %s --tern-ternarize="threshold=median" 2>&1 | FileCheck %s --check-prefix=THRESHOLD
// RUN: not tern-opt %s --tern-ternarize="method=ptqtp planes=7" 2>&1 | FileCheck %s --check-prefix=PLANES
// RUN: not tern-opt %s --tern-ternarize="group-size=-2" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not tern-opt %s --tern-ternarize="group-size=3" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not tern-opt %s --tern-ternarize="include=(" 2>&1 | FileCheck %s --check-prefix=REGEX

// METHOD: error: tern-ternarize: unknown method 'gptq' (expected bt, szt, ptqtp or dlt)
// THRESHOLD: error: tern-ternarize: unknown threshold 'median' (expected sigma, twn, absmean or mse)
// PLANES: error: tern-ternarize: planes must be between 1 and 4, got 7
// NEGATIVE: error: tern-ternarize: group-size must be >= 0, got -2
// GROUP: error: {{.*}}tern-ternarize: layer 'proj': group size 3 does not divide K = 8
// REGEX: error: tern-ternarize: bad include or exclude regular expression: {{.+}}

func.func @f(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32> loc("proj")
  return %y : tensor<1x4xf32>
}
