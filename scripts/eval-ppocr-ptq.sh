#!/usr/bin/env bash
# Prints the character error rate of PP-OCRv4's recognizer on rendered lines
# of Jane Austen's Emma, float and ternarized by tern-ternarize: the
# data-free configurations and the calibrated ones of docs/Quantization.md
# (the ablation table). Calibration uses lines of another novel
# (Persuasion). An evaluation, not a test: about 3.5 minutes per
# configuration, about 6 for a sequential one on the 9 MatMuls and 20 on
# all 30 layers.
# LINES=300 WIDTH=320 CALIBRATION_LINES=$LINES by default; SET=data-free or
# SET=calibrated runs half; SET=targets runs the two configurations that
# meet the PTQ issue's targets (one plane on the 9 MatMuls calibrated on
# 900 lines, and PTQTP 2 planes on all 30 layers, sequential, calibrated on
# 300; about 30 minutes); extra arguments are more configurations
# (NAME=TERN_TERNARIZE_OPTIONS, with {stats} and {calibration} as in
# python/tools/ppocr_ptq_eval.py). ACTIVATIONS=int8 runs the ternarized
# models with int8 activations (tern-run --ternary-activations).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
models=${TERN_MODELS_DIR:-$root/models}/ppocr
"$root/scripts/fetch-models.sh" >/dev/null

lines=${LINES:-300}
set=${SET:-all}
configs=()
if [[ $set == all || $set == data-free ]]; then
  configs+=(
    float
    "twn-matmul=method=bt threshold=twn include=MatMul"
    "mse-matmul=method=bt threshold=mse include=MatMul"
    "ptqtp2-matmul=method=ptqtp planes=2 include=MatMul"
    "ptqtp2-all=method=ptqtp planes=2"
  )
fi
if [[ $set == all || $set == calibrated ]]; then
  configs+=(
    "cal-bt-matmul=method=bt threshold=calibrated include=MatMul stats={stats}"
    "cal-bc-bt-matmul=method=bt threshold=calibrated include=MatMul stats={stats} bias-correction=1"
    "gptq-cal-bt-matmul=method=bt threshold=calibrated include=MatMul stats={stats} gptq=1"
    "gptq-bc-bt-matmul=method=bt include=MatMul stats={stats} gptq=1 bias-correction=1"
    "cal-ptqtp2-all=method=ptqtp planes=2 stats={stats}"
    "gptq-ptqtp2-all=method=ptqtp planes=2 stats={stats} gptq=1"
    "gptq-bc-ptqtp2-all=method=ptqtp planes=2 stats={stats} gptq=1 bias-correction=1"
    "cal-bc-refit=method=bt threshold=calibrated include=MatMul stats={stats} bias-correction=1 refit-scales=1"
    "cal-bc-g60=method=bt threshold=calibrated include=MatMul stats={stats} bias-correction=1 group-size=60"
    "gptq-refit-bc-ptqtp2-all=method=ptqtp planes=2 stats={stats} gptq=1 refit-scales=1 bias-correction=1"
    "seq-gptq-bc-ptqtp2-all=method=ptqtp planes=2 calibration={calibration} sequential=1 gptq=1 bias-correction=1"
  )
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
evaluate() { # CALIBRATION_LINES CONFIGURATION...
  local calibration=()
  [[ $1 == 0 ]] || calibration=(--calibration-lines "$1")
  shift
  /usr/bin/python3 "$root/python/tools/ppocr_ptq_eval.py" --models "$models" \
    --bin "$build/bin" --out "$out" --lines "$lines" --width "${WIDTH:-320}" \
    --ternary-activations "${ACTIVATIONS:-f32}" \
    "${calibration[@]}" "$@"
}
if [[ $set == targets ]]; then
  evaluate 900 float \
    "cal-bc-bt-matmul=method=bt threshold=calibrated include=MatMul stats={stats} bias-correction=1"
  evaluate "$lines" \
    "seq-gptq-bc-ptqtp2-all=method=ptqtp planes=2 calibration={calibration} sequential=1 gptq=1 bias-correction=1"
  exit
fi
calibration_lines=0
[[ $set == data-free ]] || calibration_lines=${CALIBRATION_LINES:-$lines}
evaluate "$calibration_lines" "${configs[@]}" "$@"
