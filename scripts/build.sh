#!/usr/bin/env bash
# Configures (once) and builds tern in $TERN_BUILD_DIR (default: build/).
# Extra arguments are passed to ninja (targets); $TERN_CMAKE_ARGS to the
# first configuration (scripts/test-sanitizers.sh, scripts/fuzz.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
cxx=${CXX:-clang++-22}
cc=${CC:-clang-22}

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit ${TERN_CMAKE_ARGS:-}
fi
ninja -C "$build" "$@"
