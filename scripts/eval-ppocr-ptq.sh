#!/usr/bin/env bash
# Prints the character error rate of PP-OCRv4's recognizer on rendered lines
# of Jane Austen's Emma, float and ternarized by tern-ternarize with the
# data-free configurations of docs/Quantization.md. An evaluation, not a
# test: it takes minutes. LINES=300 WIDTH=320 by default; extra arguments
# are more configurations (NAME=TERN_TERNARIZE_OPTIONS).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
models=${TERN_MODELS_DIR:-$root/models}/ppocr
"$root/scripts/fetch-models.sh" >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 "$root/python/tools/ppocr_ptq_eval.py" --models "$models" \
  --bin "$build/bin" --out "$out" --lines "${LINES:-300}" \
  --width "${WIDTH:-320}" \
  float \
  "twn-matmul=method=bt threshold=twn include=MatMul" \
  "mse-matmul=method=bt threshold=mse include=MatMul" \
  "ptqtp2-matmul=method=ptqtp planes=2 include=MatMul" \
  "ptqtp2-all=method=ptqtp planes=2" \
  "$@"
