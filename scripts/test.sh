#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every
# test (lit regression + integration + GoogleTest), and ends with the line
# "N passed, N failed", after "N passed, N failed, N skipped" and a line per
# skipped test naming the REQUIRES features it lacked. Exits non-zero if
# anything failed.
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
skip = {"UNSUPPORTED", "SKIPPED"}
passed = sum(t["code"] in ok for t in tests)
skipped = [t for t in tests if t["code"] in skip]
failed = len(tests) - passed - len(skipped)
prefix = "Test requires the following unavailable features: "
for t in skipped:
    # lit says which REQUIRES features the machine lacks; name them.
    why = t.get("output", "").strip()
    if why.startswith(prefix):
        why = "REQUIRES " + why[len(prefix):]
    print("SKIPPED:", t["name"], "--", why or t["code"])
for t in tests:
    if t["code"] not in ok | skip:
        print("FAILED:", t["name"])
print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
# The closing line CI reads.
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
py=$?
[ "$status" -eq 0 ] && [ "$py" -eq 0 ]
