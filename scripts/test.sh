#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every
# test (lit regression + integration + GoogleTest), and ends with the line
# "N passed, N failed". Exits non-zero if anything failed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TERN_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
"$root/scripts/fetch-models.sh"
"$root/scripts/fetch-ort.sh"
"$root/scripts/build.sh"

results="$build/lit-results.json"
rm -f "$results"
status=0
/usr/lib/llvm-22/bin/lit -sv --time-tests -o "$results" \
  "$build/test" "$build/test/Unit" || status=$?

if [ ! -f "$results" ]; then
  echo "test.sh: lit wrote no results" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
/usr/bin/python3 - "$results" <<'PY'
import json, sys
tests = json.load(open(sys.argv[1]))["tests"]
ok = {"PASS", "XFAIL"}
passed = sum(t["code"] in ok for t in tests)
skipped = sum(t["code"] in {"UNSUPPORTED", "SKIPPED"} for t in tests)
failed = len(tests) - passed - skipped
for t in tests:
    if t["code"] not in ok | {"UNSUPPORTED", "SKIPPED"}:
        print("FAILED:", t["name"])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
py=$?
[ "$status" -eq 0 ] && [ "$py" -eq 0 ]
