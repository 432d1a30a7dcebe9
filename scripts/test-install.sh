#!/usr/bin/env bash
# Installs a build of tern ($TERN_BUILD_DIR, default build/) into a fresh
# prefix, checks what was installed, then configures and builds the
# out-of-tree example (examples/out-of-tree) against that prefix with
# find_package(Tern) and runs its lit tests. test/Tools/install.test runs it
# in the test suite (and so in CI). Exits non-zero on any failure.
#
#   scripts/test-install.sh [WORK_DIR]     (default: a temporary folder)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}
if [ $# -gt 0 ]; then
  work=$1
  rm -rf "$work"
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > "$work/install.log"

# Every tern header an installed header includes is installed.
missing=0
while IFS= read -r include; do
  if [ ! -f "$prefix/include/$include" ]; then
    echo "test-install: $include is included but not installed" >&2
    missing=1
  fi
done < <(grep -rhoE '#include "tern/[^"]+"' "$prefix/include" |
         sed -E 's/#include "(.*)"/\1/' | sort -u)
[ "$missing" -eq 0 ]
echo "installed: $(find "$prefix/include/tern" -type f | wc -l) headers," \
  "$(find "$prefix/lib" -maxdepth 1 -name 'libTern*.a' | wc -l) libraries," \
  "$(ls "$prefix/bin" | tr '\n' ' ')and $(ls "$prefix/lib" | grep -c '^TernPlugin.so$') plugin"

# The example finds tern through CMAKE_PREFIX_PATH, as a user's project would.
cmake -G Ninja -S "$root/examples/out-of-tree" -B "$work/example" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="${CXX:-clang++-22}" -DCMAKE_C_COMPILER="${CC:-clang-22}" \
  -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
grep -E "Using (Tern|MLIR)Config.cmake" "$work/configure.log"
cmake --build "$work/example" --target tern-sparsity-opt > "$work/build.log"
# Warning-free, like tern's own build.
if grep -E "warning:" "$work/build.log"; then
  echo "test-install: the example builds with warnings" >&2
  exit 1
fi
cmake --build "$work/example" --target check-tern-sparsity
