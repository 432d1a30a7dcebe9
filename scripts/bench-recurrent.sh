#!/usr/bin/env bash
# Prints tern-run and ONNX Runtime latency on recurrent models, one thread,
# the same inputs: Silero VAD v5 on a 512-sample frame at 16 kHz (an If on
# the sample rate, which --input-value folds, around a single-step LSTM)
# and its v4-style export ("legacy": a 2-layer LSTM), and a synthetic
# bidirectional LSTM (hidden 256, input 128, 100 steps, batch 1, the shape
# of a small speech or keyword model) and a GRU of the same shape. Also
# tern's compile time (import to machine code, no compile cache). A
# benchmark, not a test: run it on an otherwise idle machine. CPU=x86-64-v4
# (or native) compiles for AVX-512 instead of the default AVX2.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
models=${TERN_MODELS_DIR:-$root/models}
runs=${RUNS:-50}
cpu=${CPU:-x86-64-v3}
"$root/scripts/fetch-models.sh" >/dev/null
"$root/scripts/fetch-ort.sh" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import sys
import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh
d = sys.argv[1]
rng = np.random.default_rng(0)
np.save(f"{d}/frame.npy", (0.3 * rng.standard_normal((1, 512))).astype(np.float32))
np.save(f"{d}/state.npy", np.zeros((2, 1, 128), np.float32))
np.save(f"{d}/h.npy", np.zeros((2, 1, 64), np.float32))
np.save(f"{d}/sr.npy", np.array(16000, np.int64))
np.save(f"{d}/x.npy", rng.standard_normal((100, 1, 128)).astype(np.float32))
for op, gates in (("LSTM", 4), ("GRU", 3)):
    w = nh.from_array((0.05 * rng.standard_normal((2, gates * 256, 128))).astype(np.float32), "w")
    r = nh.from_array((0.05 * rng.standard_normal((2, gates * 256, 256))).astype(np.float32), "r")
    b = nh.from_array((0.05 * rng.standard_normal((2, 2 * gates * 256))).astype(np.float32), "b")
    node = h.make_node(op, ["x", "w", "r", "b"], ["y"], hidden_size=256,
                       direction="bidirectional", name=op.lower())
    graph = h.make_graph([node], op.lower(),
                         [h.make_tensor_value_info("x", T.FLOAT, [100, 1, 128])],
                         [h.make_tensor_value_info("y", T.FLOAT, [100, 2, 1, 256])],
                         [w, r, b])
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 14)]),
              f"{d}/{op.lower()}.onnx")
PY
median() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }
# bench NAME MODEL "TERN ARGS" "ORT INPUTS"
bench() {
  local name=$1 model=$2 tern_args=$3 ort_inputs=$4
  local start end tern ort
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$build/bin/tern-run" "$model" $tern_args --output-dir "$tmp/out" \
    --cpu "$cpu" --compile-cache none >/dev/null
  end=$(date +%s.%N)
  # shellcheck disable=SC2086
  tern=$("$build/bin/tern-run" "$model" $tern_args --output-dir "$tmp/out" \
    --cpu "$cpu" --benchmark "$runs" | tail -1)
  # shellcheck disable=SC2086
  ort=$(node "$root/tools/ort-reference/run-ort.mjs" "$model" "$tmp/ort" \
    $ort_inputs --threads 1 --benchmark "$runs" | tail -1)
  printf '%s: tern-run (%s, compile and first run %.1f s): %s\n' "$name" "$cpu" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$tern"
  printf '%s: onnxruntime-node 1.30.0: %s\n' "$name" "$ort"
  awk -v t="$(echo "$tern" | median)" -v o="$(echo "$ort" | median)" \
    -v n="$name" 'BEGIN { printf "%s: tern / onnxruntime %.2fx (medians)\n", n, t / o }'
}
bench "silero v5, 512 samples" "$models/silero/silero_vad_v5.onnx" \
  "--input-value sr=16000 --input-shape input=1x512,state=2x1x128 --input input=$tmp/frame.npy --input state=$tmp/state.npy" \
  "input=$tmp/frame.npy sr=$tmp/sr.npy state=$tmp/state.npy"
bench "silero legacy, 512 samples" "$models/silero/silero_vad_legacy.onnx" \
  "--input-shape input=1x512,h=2x1x64,c=2x1x64 --input input=$tmp/frame.npy --input sr=$tmp/sr.npy --input h=$tmp/h.npy --input c=$tmp/h.npy" \
  "input=$tmp/frame.npy sr=$tmp/sr.npy h=$tmp/h.npy c=$tmp/h.npy"
bench "LSTM 256, 100 steps, bidirectional" "$tmp/lstm.onnx" "--input x=$tmp/x.npy" "x=$tmp/x.npy"
bench "GRU 256, 100 steps, bidirectional" "$tmp/gru.onnx" "--input x=$tmp/x.npy" "x=$tmp/x.npy"
