#!/usr/bin/env bash
# The whole test suite (scripts/test.sh) on a build with AddressSanitizer
# (leaks included) and UndefinedBehaviorSanitizer, in
# $TERN_SANITIZE_BUILD_DIR (default build-asan/, shared with the fuzzers of
# scripts/fuzz.sh). Every report goes to a file and stops its process; the
# script prints the reports, then "N passed, N failed" with each report
# counted as a failure, and exits non-zero if there was any. Not in CI: the
# instrumented build and run take about an hour on 2 cores
# (docs/Hardening.md has the measured figures).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_SANITIZE_BUILD_DIR:-$root/build-asan}
reports="$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"

export TERN_BUILD_DIR=$build
export TERN_CMAKE_ARGS="-DTERN_SANITIZE=address,undefined -DTERN_BUILD_FUZZERS=ON"
# abort_on_error turns a report into SIGABRT, which fails a test even under
# `not`; log_path keeps each report, whoever printed it.
# allow_user_poisoning=0: libMLIR.so is not instrumented, but LLVM's
# allocators inlined into tern's code poison free slab space that the
# library's own inlined copies never unpoison (a false use-after-poison).
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allow_user_poisoning=0:log_path=$reports/asan"
export UBSAN_OPTIONS="abort_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="log_path=$reports/lsan"

status=0
"$root/scripts/test.sh" 2>&1 | tee "$build/sanitizer-test.log" || status=$?
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$build/sanitizer-test.log" |
  tail -1 || true)
count=$(find "$reports" -type f | wc -l)
for report in $(find "$reports" -type f | sort); do
  echo "=== $report"
  head -40 "$report"
done
echo "sanitizer reports: $count"
if [ -z "$summary" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
passed=${summary%% passed*}
failed=${summary#*, }
failed=${failed%% failed}
echo "$passed passed, $(( failed + count )) failed"
[ "$status" -eq 0 ] && [ "$count" -eq 0 ]
