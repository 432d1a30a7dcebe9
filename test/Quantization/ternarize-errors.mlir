// RUN: not tern-opt %s --tern-ternarize="method=gptq" 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not tern-opt %s --tern-ternarize="threshold=median" 2>&1 | FileCheck %s --check-prefix=THRESHOLD
// RUN: not tern-opt %s --tern-ternarize="method=ptqtp planes=7" 2>&1 | FileCheck %s --check-prefix=PLANES
// RUN: not tern-opt %s --tern-ternarize="group-size=-2" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not tern-opt %s --tern-ternarize="group-size=3" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not tern-opt %s --tern-ternarize="include=(" 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not tern-opt %s --tern-ternarize="method=bt threshold=calibrated" 2>&1 | FileCheck %s --check-prefix=CALIBRATED
// RUN: not tern-opt %s --tern-ternarize="method=tequila" 2>&1 | FileCheck %s --check-prefix=TEQUILA
// RUN: not tern-opt %s --tern-ternarize="gptq=1" 2>&1 | FileCheck %s --check-prefix=GPTQ
// RUN: not tern-opt %s --tern-ternarize="refit-scales=1" 2>&1 | FileCheck %s --check-prefix=REFIT
// RUN: not tern-opt %s --tern-ternarize="refine-codes=2" 2>&1 | FileCheck %s --check-prefix=REFINE
// RUN: not tern-opt %s --tern-ternarize="refine-codes=-1" 2>&1 | FileCheck %s --check-prefix=REFINERANGE
// RUN: not tern-opt %s --tern-ternarize="method=sherry refine-codes=1" 2>&1 | FileCheck %s --check-prefix=REFINESHERRY
// RUN: not tern-opt %s --tern-ternarize="bias-correction=1" 2>&1 | FileCheck %s --check-prefix=BIAS
// RUN: sed 's/^module {/module attributes {tern.calibration = {input_sets = 1, layers = {proj = {channels = 8, samples = 1}}}} {/' %s | not tern-opt --tern-ternarize 2>&1 | FileCheck %s --check-prefix=ATTR
// RUN: not tern-opt %s --tern-ternarize="dampening=0" 2>&1 | FileCheck %s --check-prefix=DAMPENING
// RUN: not tern-opt %s --tern-ternarize="method=szt packing=base3" 2>&1 | FileCheck %s --check-prefix=BASE3SZT
// RUN: not tern-opt %s --tern-ternarize="method=sherry packing=base3" 2>&1 | FileCheck %s --check-prefix=BASE3SHERRY
// RUN: not tern-opt %s --tern-ternarize="packing=sherry" 2>&1 | FileCheck %s --check-prefix=PACKING
// RUN: not tern-opt %s --tern-ternarize="stats=%t.none" 2>&1 | FileCheck %s --check-prefix=NOFILE
// RUN: echo '{"format": "tern-calibration", "version": 1, "layers": {' > %t.bad
// RUN: not tern-opt %s --tern-ternarize="stats=%t.bad" 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: echo '{"layers": {}}' > %t.other
// RUN: not tern-opt %s --tern-ternarize="stats=%t.other" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: echo '{"format": "tern-calibration", "version": 1, "layers": {"other": {"channels": 2, "samples": 1, "mean": [0, 0], "mean_square": [1, 1], "max_abs": [1, 1]}}}' > %t.missing
// RUN: not tern-opt %s --tern-ternarize="stats=%t.missing" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: echo '{"format": "tern-calibration", "version": 1, "layers": {"proj": {"channels": 2, "samples": 1, "mean": [0, 0], "mean_square": [1, 1], "max_abs": [1, 1]}}}' > %t.channels
// RUN: not tern-opt %s --tern-ternarize="stats=%t.channels" 2>&1 | FileCheck %s --check-prefix=CHANNELS
// RUN: echo '{"format": "tern-calibration", "version": 1, "layers": {"proj": {"channels": 8, "samples": 1, "mean": [0, 0, 0, 0, 0, 0, 0, 0], "mean_square": [1, 1, 1, 1, 1, 1, 1, 1], "max_abs": [1, 1, 1, 1, 1, 1, 1, 1]}}}' > %t.first
// RUN: not tern-opt %s --tern-ternarize="gptq=1 stats=%t.first" 2>&1 | FileCheck %s --check-prefix=SECOND
// RUN: not tern-opt %s --tern-ternarize="refit-scales=1 stats=%t.first" 2>&1 | FileCheck %s --check-prefix=REFITSECOND
// RUN: not tern-opt %s --tern-ternarize="refine-codes=3 stats=%t.first" 2>&1 | FileCheck %s --check-prefix=REFINESECOND
// RUN: echo '{"format": "tern-calibration", "version": 1, "layers": {"proj": {"channels": 8, "samples": 1, "mean": [0, 0], "mean_square": [1, 1, 1, 1, 1, 1, 1, 1], "max_abs": [1, 1, 1, 1, 1, 1, 1, 1]}}}' > %t.short
// RUN: not tern-opt %s --tern-ternarize="stats=%t.short" 2>&1 | FileCheck %s --check-prefix=SHORT

// METHOD: for the --method option: Cannot find option named 'gptq'!
// THRESHOLD: for the --threshold option: Cannot find option named 'median'!
// PLANES: error: tern-ternarize: planes must be between 1 and 4, got 7
// NEGATIVE: error: tern-ternarize: group-size must be >= 0, got -2
// GROUP: error: {{.*}}tern-ternarize: layer 'proj': group size 3 does not divide K = 8
// REGEX: error: tern-ternarize: bad include or exclude regular expression: {{.+}}
// CALIBRATED: error: tern-ternarize: threshold=calibrated needs calibration statistics (stats=FILE, or tern-calibrate earlier in the pipeline)
// TEQUILA: error: tern-ternarize: method=tequila needs calibration statistics for its bias (stats=FILE, or tern-calibrate earlier in the pipeline)
// GPTQ: error: tern-ternarize: gptq needs calibration statistics with second moments (stats=FILE, or tern-calibrate earlier in the pipeline)
// REFIT: error: tern-ternarize: refit-scales needs calibration statistics with second moments (stats=FILE, or tern-calibrate earlier in the pipeline)
// REFINE: error: tern-ternarize: refine-codes needs calibration statistics with second moments (stats=FILE, or tern-calibrate earlier in the pipeline)
// REFINERANGE: error: tern-ternarize: refine-codes must be between 0 and 1000 sweeps, got -1
// REFINESHERRY: error: tern-ternarize: refine-codes moves codes one at a time, which method=sherry's 3:4 codes do not allow
// BIAS: error: tern-ternarize: bias-correction needs calibration statistics (stats=FILE, or tern-calibrate earlier in the pipeline)
// DAMPENING: error: tern-ternarize: dampening must be > 0, got 0
// BASE3SZT: error: tern-ternarize: packing=base3 holds three values a code: method=szt's signed zeros need packing=sign_magnitude
// BASE3SHERRY: error: tern-ternarize: method=sherry packs its own 1.25-bit layout: packing=base3 does not apply
// PACKING: for the --packing option: Cannot find option named 'sherry'!
// NOFILE: error: tern-ternarize: calibration statistics '{{.*}}.none': cannot read: {{.+}}
// JSON: error: tern-ternarize: calibration statistics '{{.*}}.bad': not JSON: {{.+}}
// FORMAT: error: tern-ternarize: calibration statistics '{{.*}}.other': not a tern-calibration file (written by tern-calibrate)
// MISSING: error: {{.*}}tern-ternarize: layer 'proj': no calibration statistics for it in '{{.*}}.missing' (calibrated on another model?)
// CHANNELS: error: {{.*}}tern-ternarize: layer 'proj': its statistics have 2 channels, the layer has K = 8
// SECOND: error: {{.*}}tern-ternarize: layer 'proj': gptq needs second moments, and '{{.*}}.first' has none (run tern-calibrate with second-moment=1)
// REFITSECOND: error: {{.*}}tern-ternarize: layer 'proj': refit-scales needs second moments, and '{{.*}}.first' has none (run tern-calibrate with second-moment=1)
// REFINESECOND: error: {{.*}}tern-ternarize: layer 'proj': refine-codes needs second moments, and '{{.*}}.first' has none (run tern-calibrate with second-moment=1)
// ATTR: error: tern-ternarize: tern.calibration: layer 'proj' has no mean
// SHORT: error: tern-ternarize: calibration statistics '{{.*}}.short': layer 'proj': 'mean' has 2 values, expected 8

module {
func.func @f(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<1x4xf32>) -> tensor<1x4xf32> loc("proj")
  return %y : tensor<1x4xf32>
}
}
