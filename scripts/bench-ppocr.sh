#!/usr/bin/env bash
# Prints tern-run and ONNX Runtime latency for PP-OCRv4's recognizer on the
# same input (1x3x48x320), with 1 and 2 threads, and their ratio; then the
# same for the ternarized recognizer in tern-run (TERNARY= tern-ternarize
# options, default every MatMul and 1x1 Conv as 2 trit planes), whose
# matmuls run as add/sub kernels, against the float model. A benchmark, not
# a test: run it on an otherwise idle machine. CPU=x86-64-v4 (or native)
# compiles for AVX-512 instead of the default AVX2.
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
# The median of a "latency over N runs: ... median X ms, ..." line.
median() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }
cpu=${CPU:-x86-64-v3}
ternary=${TERNARY:-method=ptqtp planes=2}
"$build/bin/tern-opt" "$model" --input-shape x=1x3x48x320 \
  --tern-ternarize="$ternary" -o "$tmp/ternary.mlirbc" 2>/dev/null
declare -A float_median
for threads in 1 2; do
  tern=$("$build/bin/tern-run" "$model" --input-shape x=1x3x48x320 \
    --input x="$tmp/x.npy" --output-dir "$tmp/tern" --num-threads "$threads" \
    --cpu "$cpu" --benchmark "$runs" | tail -1)
  ort=$(node "$root/tools/ort-reference/run-ort.mjs" "$model" "$tmp/ort" \
    x="$tmp/x.npy" --threads "$threads" --benchmark "$runs" | tail -1)
  printf 'tern-run (cpu pipeline, %s), %d thread(s): %s\n' "$cpu" "$threads" "$tern"
  printf 'onnxruntime-node 1.30.0, %d thread(s): %s\n' "$threads" "$ort"
  float_median[$threads]=$(echo "$tern" | median)
  awk -v t="$(echo "$tern" | median)" -v o="$(echo "$ort" | median)" \
    -v n="$threads" 'BEGIN { printf "tern / onnxruntime, %d thread(s): %.2fx (medians)\n", n, t / o }'
done
# Kernels: f32 activations; int8 activations summed in 16-bit lanes by
# add/sub (int8-dot none); int8 activations in dot products, with the best
# instruction --cpu has (auto).
for kernel in f32:auto int8:none int8:auto; do
  activations=${kernel%%:*} dot=${kernel#*:}
  for threads in 1 2; do
    ternarized=$("$build/bin/tern-run" "$tmp/ternary.mlirbc" \
      --input x="$tmp/x.npy" --output-dir "$tmp/ternary" \
      --num-threads "$threads" --cpu "$cpu" \
      --ternary-activations "$activations" --ternary-int8-dot "$dot" \
      --benchmark "$runs" | tail -1)
    label=$activations
    [ "$activations" = int8 ] && label="int8 (int8-dot $dot)"
    printf 'tern-run, ternarized (%s), %s activations, %d thread(s): %s\n' \
      "$ternary" "$label" "$threads" "$ternarized"
    awk -v t="$(echo "$ternarized" | median)" \
      -v f="${float_median[$threads]}" -v n="$threads" \
      'BEGIN { printf "ternarized / float tern-run, %d thread(s): %.2fx (medians)\n", n, t / f }'
  done
done
printf 'tern-run (reference pipeline), 1 thread: '
"$build/bin/tern-run" "$model" --input-shape x=1x3x48x320 \
  --input x="$tmp/x.npy" --output-dir "$tmp/ref" --pipeline reference \
  --benchmark "$runs" | tail -1
