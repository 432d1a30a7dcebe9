#!/usr/bin/env bash
# Prints tern-run and ONNX Runtime latency for PP-OCRv4's recognizer on the
# same input (1x3x48x320), with 1 and 2 threads. A benchmark, not a test:
# run it on an otherwise idle machine.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
models=${TERN_MODELS_DIR:-$root/models}/ppocr
runs=${RUNS:-20}
"$root/scripts/fetch-models.sh" >/dev/null
"$root/scripts/fetch-ort.sh" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c "import numpy as np; np.save('$tmp/x.npy', np.random.default_rng(0).uniform(-1, 1, (1, 3, 48, 320)).astype(np.float32))"
model=$models/ch_PP-OCRv4_rec_infer.onnx
for threads in 1 2; do
  printf 'tern-run (cpu pipeline), %d thread(s): ' "$threads"
  "$build/bin/tern-run" "$model" --input-shape x=1x3x48x320 \
    --input x="$tmp/x.npy" --output-dir "$tmp/tern" --num-threads "$threads" \
    --benchmark "$runs" | tail -1
  printf 'onnxruntime-node 1.30.0,  %d thread(s): ' "$threads"
  node "$root/tools/ort-reference/run-ort.mjs" "$model" "$tmp/ort" \
    x="$tmp/x.npy" --threads "$threads" --benchmark "$runs" | tail -1
done
printf 'tern-run (reference pipeline), 1 thread: '
"$build/bin/tern-run" "$model" --input-shape x=1x3x48x320 \
  --input x="$tmp/x.npy" --output-dir "$tmp/ref" --pipeline reference \
  --benchmark "$runs" | tail -1
