#!/usr/bin/env bash
# The LLM benchmark (docs/Generation.md, "Measured"): a LLaMA-shaped decoder
# in the decoder-with-past layout (scripts/make-llama.py --layout past;
# default TinyLlama-1.1B's shape, random weights in external data, 4.4 GB
# of float32) generates greedily from a prompt, run three ways in the same
# run on the same machine:
#
#   - ONNX Runtime on the float model (tools/ort-reference/generate-ort.mjs),
#   - tern-generate on the float model (FLOAT=1),
#   - tern-generate on the model ternarized with PTQTP (PLANES trit planes,
#     data-free; tern-opt --tern-ptq-pipeline), its KV cache in place.
#
# Prints compile (or session) time, prompt time, time per new token, tokens
# per second, and the weight bytes a token reads with the read bandwidth
# that means. A benchmark, not a test: run it on an otherwise idle machine.
#
#   scripts/bench-llm.sh [DIR]    (default /tmp/tern-llm; needs ~12 GB)
#
# Environment: MAKE_LLAMA (make-llama.py options, default "--preset
# tinyllama"), PROMPT (prompt length, 128), TOKENS (new tokens, 64),
# PLANES (1), THREADS (2), FLOAT=1 (also tern-generate on the float model:
# its 4.4 GB of weights are compiled into the code).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
dir=${1:-/tmp/tern-llm}
prompt_length=${PROMPT:-128}
tokens=${TOKENS:-64}
planes=${PLANES:-1}
threads=${THREADS:-2}
ort="$root/tools/ort-reference"
if [ ! -d "$ort/node_modules/onnxruntime-node" ]; then
  echo "bench-llm: ONNX Runtime is missing: run scripts/fetch-ort.sh" >&2
  exit 1
fi
"$root/scripts/build.sh" tern-opt tern-generate >/dev/null
mkdir -p "$dir"
if [ ! -f "$dir/model.onnx" ]; then
  # shellcheck disable=SC2086
  /usr/bin/python3 "$root/scripts/make-llama.py" "$dir" --layout past \
    ${MAKE_LLAMA:---preset tinyllama}
fi
weights=$(stat -c %s "$dir/weights.bin")
# The float weights a token reads: those of the MatMuls (the embedding is
# gathered a row at a time).
matmul_bytes=$(/usr/bin/python3 -c "
import sys, numpy as np, onnx
graph = onnx.load(sys.argv[1], load_external_data=False).graph
sizes = {t.name: 4 * int(np.prod(t.dims)) for t in graph.initializer}
print(sum(sizes.get(n.input[1], 0) for n in graph.node if n.op_type == 'MatMul'))
" "$dir/model.onnx")
ids=$(/usr/bin/python3 -c "
import sys, numpy as np, onnx
graph = onnx.load(sys.argv[1], load_external_data=False).graph
vocab = [i for i in graph.output if i.name == 'logits'][0] \
    .type.tensor_type.shape.dim[2].dim_value
print(','.join(map(str, np.random.default_rng(0).integers(0, vocab, int(sys.argv[2])))))
" "$dir/model.onnx" "$prompt_length")
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "model: $dir/model.onnx, $((weights / 1048576)) MiB of float32 weights"
echo "machine: $cpu, $(nproc) cores; $threads threads; prompt $prompt_length tokens, $tokens new"

# "NAME: compile|session C ms, prompt P ms, T ms/token (R tokens/s)" and
# the weight bandwidth of a token, from a tool's timing line.
report() {
  local name=$1 log=$2 bytes=$3
  awk -v name="$name" -v bytes="$bytes" '
    /compile|session/ {
      for (i = 1; i <= NF; ++i) {
        if ($i == "compile" || $i == "session") { setup = $(i + 1); what = $i }
        if ($i == "prompt") prompt = $(i + 4)
        if ($i == "each") per = $(i - 2)
      }
    }
    END {
      printf "%-22s %s %8.0f ms  prompt %9.1f ms  %8.2f ms/token  %6.2f tokens/s  %6.1f MB/token  %5.2f GB/s\n",
        name, what, setup, prompt, per, 1000 / per, bytes / 1e6, bytes / per / 1e6
    }' "$log"
}

node "$ort/generate-ort.mjs" "$dir/model.onnx" --prompt-ids "$ids" \
  --max-new-tokens "$tokens" --threads "$threads" >"$dir/ort.txt" 2>"$dir/ort.log"
report "onnxruntime f32" "$dir/ort.log" "$matmul_bytes"

if [ "${FLOAT:-0}" = 1 ]; then
  "$build/bin/tern-generate" "$dir/model.onnx" --prompt-ids "$ids" \
    --max-new-tokens "$tokens" --num-threads "$threads" --cpu native \
    --compile-cache none >"$dir/float.txt" 2>"$dir/float.log"
  report "tern f32" "$dir/float.log" "$matmul_bytes"
  if cmp -s "$dir/float.txt" "$dir/ort.txt"; then
    echo "tern f32 and onnxruntime generate the same $tokens tokens"
  else
    echo "tern f32 and onnxruntime generate different tokens" >&2
  fi
fi

quantized="$dir/ptqtp$planes.mlirbc"
if [ ! -f "$quantized" ]; then
  start=$(date +%s)
  "$build/bin/tern-opt" "$dir/model.onnx" \
    --tern-ptq-pipeline="method=ptqtp planes=$planes report=$dir/ptqtp$planes.json" \
    -o "$quantized" 2>"$dir/ptqtp$planes.log"
  echo "ternarized in $(($(date +%s) - start)) s"
fi
# Weight bytes a token reads: every ternarized layer's trit planes as the
# kernels store them (2 bits a trit) and their f32 scales. (The embedding
# is gathered a row at a time, norms and rotary tables are small.)
bytes=$(/usr/bin/python3 -c "
import json, sys
total = 0
for l in json.load(open(sys.argv[1]))['layers']:
    groups = l['cols'] // l['group_size'] if l['group_size'] else 1
    total += l['planes'] * (l['rows'] * l['cols'] / 4 + 4 * l['rows'] * groups)
print(int(total))
" "$dir/ptqtp$planes.json")
for activations in f32 int8; do
  "$build/bin/tern-generate" "$quantized" --prompt-ids "$ids" \
    --max-new-tokens "$tokens" --num-threads "$threads" --cpu native \
    --ternary-activations "$activations" --compile-cache none \
    >"$dir/ternary-$activations.txt" 2>"$dir/ternary-$activations.log"
  report "tern ptqtp$planes $activations" "$dir/ternary-$activations.log" "$bytes"
done
