#!/usr/bin/env python3
"""Runs the ONNX backend node tests named in a file through tern.

Every line of LIST that reads `# NODE: test_name` names one test of
libonnx-testdata; each runs with onnx_node_check.py (import, compile with
the reference pipeline, execute, compare). Prints one line per test and
exits non-zero if any fails.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("list")
    parser.add_argument("--tests", required=True, help="node test folder")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--runner-libs", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    names = []
    with open(args.list) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# NODE:"):
                names.extend(line[len("# NODE:"):].split())
    if not names:
        sys.exit("no '# NODE:' lines in " + args.list)
    check = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "onnx_node_check.py")

    def run(name):
        result = subprocess.run(
            [sys.executable, check, os.path.join(args.tests, name),
             "--bin", args.bin, "--runner", args.runner,
             "--runner-libs", args.runner_libs],
            capture_output=True, text=True)
        return name, result.returncode, (result.stdout + result.stderr).strip()

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name, code, output in pool.map(run, names):
            if code:
                failed += 1
                print(f"FAIL {name}: {output[-600:]}")
            else:
                print(f"PASS {name}")
    print(f"{len(names) - failed} of {len(names)} node tests pass")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
