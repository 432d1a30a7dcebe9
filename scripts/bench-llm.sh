#!/usr/bin/env bash
# The LLM benchmark (docs/Generation.md, "Measured"): a LLaMA-shaped decoder
# in the decoder-with-past layout (scripts/make-llama.py --layout past;
# default TinyLlama-1.1B's shape, random weights in external data, 4.4 GB
# of float32) generates greedily from a prompt, run three ways in the same
# run on the same machine:
#
#   - ONNX Runtime on the float model (tools/ort-reference/generate-ort.mjs),
#   - tern-generate on the float model (FLOAT=1),
#   - tern-generate on the model ternarized with PTQTP (each of PLANES trit
#     planes, data-free, every MatMul including the lm_head; tern-opt
#     --tern-ptq-pipeline), or with METHOD=sherry (Sherry's 3:4 codes, one
#     plane), its KV cache in place, f32 and int8 activations.
#
# Prints compile (or session) time, the prompt's time and tokens/s, the
# time per new token and tokens/s, and the weight bytes a token reads with
# the rate that means and its fraction of the machine's read bandwidth
# (tern-kernel-bench's probe, measured before and after each run: each row
# is read against the mean of the two, which the row prints; a shared
# machine's bandwidth moves from minute to minute). A benchmark, not a
# test: run it on an otherwise idle machine.
#
#   scripts/bench-llm.sh [DIR]    (default /tmp/tern-llm; needs ~12 GB)
#
# Environment: MAKE_LLAMA (make-llama.py options, default "--preset
# tinyllama"), PROMPT (prompt length, 128), TOKENS (new tokens, 64),
# PLANES ("1 2"), THREADS (2), FLOAT=1 (also tern-generate on the float model:
# its 4.4 GB of weights are compiled into the code), PACKING (how the codes
# are stored: sign_magnitude, the default, or base3: 1.6 bits a weight),
# METHOD (ptqtp, the default, or sherry: 1.25 bits a weight stored, read as
# 5-bit quad fields, 1.33 bits, by the int8 kernels on 512-bit registers:
# table lookups when a token is generated, dot products for the prompt),
# BASE3_DIRECT (1: the int8 dot-product kernels read base-3 weights as
# such, --ternary-base3-direct; 0: repacked to 2 bits; unset: the tools'
# default, as such on AVX-512 VNNI with VBMI), ACTIVATIONS ("f32 int8"), EXCLUDE (a regular
# expression of layers left out of the ternary set, e.g. lm_head) and KEEP
# (how those are stored: int8, the default, f16 or f32).
#
# LLAMA_CPP=DIR (a llama.cpp source tree built in DIR/build, with
# llama-bench and llama-quantize): also llama.cpp on the same shape in the
# same run, every tensor in each of LLAMA_TYPES ("TQ2_0 TQ1_0"), from a
# GGUF of random weights (scripts/make-gguf.py; made once in DIR of the
# benchmark), timed by llama-bench with the same prompt length, new tokens
# and threads (docs/LLM.md, "Against llama.cpp").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
dir=${1:-/tmp/tern-llm}
prompt_length=${PROMPT:-128}
tokens=${TOKENS:-64}
planes_list=${PLANES:-1 2}
method=${METHOD:-ptqtp}
[ "$method" = sherry ] && planes_list=1
packing=${PACKING:-sign_magnitude}
activations_list=${ACTIVATIONS:-f32 int8}
suffix=""
direct=()
case "${BASE3_DIRECT:-}" in
  1) direct=(--ternary-base3-direct) ;;
  0) direct=(--ternary-base3-direct=false) ;;
  *) grep -q avx512_vnni /proc/cpuinfo && grep -q avx512vbmi /proc/cpuinfo &&
       direct=(--ternary-base3-direct) ;;
esac
[ "$packing" = sign_magnitude ] || suffix="-$packing"
exclude=${EXCLUDE:-}
keep=${KEEP:-int8}
[ -z "$exclude" ] || suffix="$suffix-$(echo "$exclude" | tr -c 'a-zA-Z0-9\n' _)-$keep"
threads=${THREADS:-2}
ort="$root/tools/ort-reference"
if [ ! -d "$ort/node_modules/onnxruntime-node" ]; then
  echo "bench-llm: ONNX Runtime is missing: run scripts/fetch-ort.sh" >&2
  exit 1
fi
"$root/scripts/build.sh" tern-opt tern-generate tern-kernel-bench >/dev/null
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
# The read bandwidth now (GB/s, tern-kernel-bench's probe).
measure_bandwidth() {
  "$build/bin/tern-kernel-bench" --n 64 --k 64 --batch 1 --threads "$threads" \
    --kernels int8 --min-time 0.5 |
    sed -n 's/.*read bandwidth.* \([0-9.]*\) GB\/s ('"$threads"' thread.*/\1/p' | head -1
}
bandwidth=$(measure_bandwidth)
echo "machine: $cpu, $(nproc) cores; $threads threads; read bandwidth $bandwidth GB/s; prompt $prompt_length tokens, $tokens new"
# Sets `bandwidth` to the mean of the one measured before a run (`$1`) and
# one measured now.
bandwidth_around() {
  bandwidth=$(awk -v a="$1" -v b="$(measure_bandwidth)" 'BEGIN { printf "%.1f", (a + b) / 2 }')
}

# One row of the results: NAME, compile|session, its seconds ("-" for
# none), the prompt's ms, ms a token, and the weight bytes a token reads
# with their rate and its fraction of the read bandwidth.
row() {
  awk -v name="$1" -v what="$2" -v setup="$3" -v prompt="$4" -v per="$5" \
    -v bytes="$6" -v bw="$bandwidth" -v n="$prompt_length" 'BEGIN {
      printf "%-22s %s %7s s  prompt %8.1f ms = %6.1f tokens/s  decode %7.2f ms = %6.2f tokens/s  %6.1f MB/token %5.1f GB/s = %3.0f%% of %s GB/s\n",
        name, what, setup, prompt, n * 1000 / prompt, per, 1000 / per,
        bytes / 1e6, bytes / per / 1e6, 100 * bytes / per / 1e6 / bw, bw
    }'
}

# The row of a tool's run, from its timing line ("compile|session C ms,
# prompt P ms, T ms/token each").
report() {
  local name=$1 log=$2 bytes=$3
  # shellcheck disable=SC2046
  row "$name" $(awk '
    /compile|session/ {
      for (i = 1; i <= NF; ++i) {
        if ($i == "compile" || $i == "session") { setup = $(i + 1); what = $i }
        if ($i == "prompt") prompt = $(i + 4)
        if ($i == "each") per = $(i - 2)
      }
    }
    END { printf "%s %.1f %s %s", what, setup / 1000, prompt, per }' "$log") "$bytes"
}

if [ -n "${LLAMA_CPP:-}" ]; then
  llama_bin="$LLAMA_CPP/build/bin"
  for tool in llama-bench llama-quantize; do
    if [ ! -x "$llama_bin/$tool" ]; then
      echo "bench-llm: LLAMA_CPP=$LLAMA_CPP has no build/bin/$tool" >&2
      exit 1
    fi
  done
  # make-gguf.py writes make-llama.py's preset shape only.
  if [ "${MAKE_LLAMA:---preset tinyllama}" != "--preset tinyllama" ]; then
    echo "bench-llm: LLAMA_CPP needs the default model (MAKE_LLAMA unset" \
      "or --preset tinyllama): scripts/make-gguf.py writes that shape" >&2
    exit 1
  fi
  f16="$dir/llama-tinyllama-f16.gguf"
  [ -f "$f16" ] || PYTHONPATH="$LLAMA_CPP/gguf-py" /usr/bin/python3 \
    "$root/scripts/make-gguf.py" "$f16"
  for type in ${LLAMA_TYPES:-TQ2_0 TQ1_0}; do
    lower=$(echo "$type" | tr '[:upper:]' '[:lower:]')
    gguf="${f16%-f16.gguf}-$lower.gguf"
    [ -f "$gguf" ] || "$llama_bin/llama-quantize" --pure \
      --output-tensor-type "$lower" --token-embedding-type "$lower" \
      "$f16" "$gguf" "$type" >"$dir/llama-quantize-$lower.log" 2>&1
    # The bytes a token reads: every tensor but the embedding (a row of it
    # is gathered).
    bytes=$(PYTHONPATH="$LLAMA_CPP/gguf-py" /usr/bin/python3 -c "
import sys, gguf
r = gguf.GGUFReader(sys.argv[1])
print(sum(int(t.n_bytes) for t in r.tensors if t.name != 'token_embd.weight'))
" "$gguf")
    before=$(measure_bandwidth)
    "$llama_bin/llama-bench" -m "$gguf" -p "$prompt_length" -n "$tokens" \
      -t "$threads" -r 3 -o csv >"$dir/llama-$lower.csv" 2>"$dir/llama-$lower.log"
    bandwidth_around "$before"
    # llama-bench's tokens/s of the prompt and of decoding, as ms.
    # shellcheck disable=SC2046
    row "llama.cpp $type" session - $(/usr/bin/python3 -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
prompt = [float(r['avg_ts']) for r in rows if int(r['n_prompt']) > 0][0]
decode = [float(r['avg_ts']) for r in rows if int(r['n_gen']) > 0][0]
print(int(sys.argv[2]) * 1000 / prompt, 1000 / decode)
" "$dir/llama-$lower.csv" "$prompt_length") "$bytes"
  done
fi

before=$(measure_bandwidth)
node "$ort/generate-ort.mjs" "$dir/model.onnx" --prompt-ids "$ids" \
  --max-new-tokens "$tokens" --threads "$threads" >"$dir/ort.txt" 2>"$dir/ort.log"
bandwidth_around "$before"
report "onnxruntime f32" "$dir/ort.log" "$matmul_bytes"

if [ "${FLOAT:-0}" = 1 ]; then
  before=$(measure_bandwidth)
  "$build/bin/tern-generate" "$dir/model.onnx" --prompt-ids "$ids" \
    --max-new-tokens "$tokens" --num-threads "$threads" --cpu native \
    --compile-cache none >"$dir/float.txt" 2>"$dir/float.log"
  bandwidth_around "$before"
  report "tern f32" "$dir/float.log" "$matmul_bytes"
  if cmp -s "$dir/float.txt" "$dir/ort.txt"; then
    echo "tern f32 and onnxruntime generate the same $tokens tokens"
  else
    echo "tern f32 and onnxruntime generate different tokens" >&2
  fi
fi

for planes in $planes_list; do
  name="$method$planes$suffix"
  [ "$method" = sherry ] && name="sherry$suffix"
  quantized="$dir/$name.mlirbc"
  if [ ! -f "$quantized" ]; then
    start=$(date +%s)
    "$build/bin/tern-opt" "$dir/model.onnx" \
      --tern-ptq-pipeline="method=$method planes=$planes packing=$packing exclude=$exclude keep=$keep report=$dir/$name.json" \
      -o "$quantized" 2>"$dir/$name.log"
    echo "ternarized with $planes plane(s) in $(($(date +%s) - start)) s"
  fi
  for activations in $activations_list; do
    # Weight bytes a token reads: every ternarized layer's trit planes as
    # the kernels read them (2 bits a trit; 1.6 for base-3 codes in the
    # int8 dot-product kernels, sets of 20 codes) and their scales (f32 as
    # the dot-product kernels read them). (The embedding is gathered a row
    # at a time, norms and rotary tables are small.) Kept layers: their
    # stored bits (int8 codes and f16 scales, f16, or f32).
    # Sherry's fields: sets of 12 codes in 2 bytes, with vpdpbusd on
    # 512-bit registers (int8 activations, an AVX-512 VNNI --cpu native).
    bits=2
    [ "$packing" = base3 ] && [ "$activations" = int8 ] &&
      [ "${direct[*]:-}" = --ternary-base3-direct ] && bits=base3
    [ "$method" = sherry ] && [ "$activations" = int8 ] &&
      grep -q avx512_vnni /proc/cpuinfo && bits=sherry
    bytes=$(/usr/bin/python3 -c "
import json, math, sys
total = 0
for l in json.load(open(sys.argv[1]))['layers']:
    if l.get('method') == 'kept':
        total += l['bits_per_weight'] * l['rows'] * l['cols'] / 8
        continue
    group = l['group_size'] or l['cols']
    groups = l['cols'] // group
    codes = (groups * math.ceil(group / 20) * 20 * 1.6 / 8 if sys.argv[2] == 'base3'
             else groups * math.ceil(group / 12) * 2 if sys.argv[2] == 'sherry'
             else l['cols'] / 4)
    total += l['planes'] * (l['rows'] * codes + 4 * l['rows'] * groups)
print(int(total))
" "$dir/$name.json" "$bits")
    before=$(measure_bandwidth)
    "$build/bin/tern-generate" "$quantized" --prompt-ids "$ids" \
      --max-new-tokens "$tokens" --num-threads "$threads" --cpu native \
      --ternary-activations "$activations" --compile-cache none "${direct[@]}" \
      >"$dir/$name-$activations.txt" 2>"$dir/$name-$activations.log"
    bandwidth_around "$before"
    report "tern $name $activations" "$dir/$name-$activations.log" "$bytes"
  done
done
