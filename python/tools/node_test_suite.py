#!/usr/bin/env python3
"""Runs every ONNX backend test in the given folders through tern and
prints pass / fail / unsupported counts.

A test passes when tern's outputs match ONNX's; it is unsupported when tern
declines it with a diagnostic (an op, type or attribute tern does not read);
anything else fails. Exits non-zero on any failure, or when fewer than
--expect-pass tests pass (so a test that used to pass cannot quietly become
unsupported).
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--runner-libs", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--expect-pass", type=int, default=0)
    parser.add_argument("--pipeline", choices=["reference", "cpu"],
                        default="reference")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    check = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "onnx_node_check.py")
    tests = []
    for folder in args.folders:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.exists(os.path.join(path, "model.onnx")) and \
               os.path.isdir(os.path.join(path, "test_data_set_0")):
                tests.append(path)

    def run(path):
        r = subprocess.run(
            [sys.executable, check, path, "--bin", args.bin, "--runner",
             args.runner, "--runner-libs", args.runner_libs,
             "--pipeline", args.pipeline],
            capture_output=True, text=True)
        return path, r.returncode, (r.stdout + r.stderr).strip()

    counts = {0: 0, 1: 0, 2: 0}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for path, code, output in pool.map(run, tests):
            code = code if code in counts else 1
            counts[code] += 1
            name = os.path.relpath(path, os.path.dirname(os.path.dirname(path)))
            if code == 1:
                print(f"FAIL {name}: {output[-500:]}")
            elif args.verbose:
                print(("PASS " if code == 0 else "UNSUPPORTED ") + name)
    print(f"{counts[0]} passed, {counts[1]} failed, {counts[2]} unsupported")
    if counts[1] or counts[0] < args.expect_pass:
        if counts[0] < args.expect_pass:
            print(f"expected at least {args.expect_pass} to pass")
        sys.exit(1)


if __name__ == "__main__":
    main()
