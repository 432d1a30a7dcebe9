#!/usr/bin/env python3
"""Runs every ONNX backend test in the given folders through tern and
prints pass / fail / unsupported counts, one line per input mode.

Each test runs up to two ways (onnx_node_check.py --inputs):
`initializers` feeds the test's inputs as constants, which the importer
folds on the host where it can; `arguments` keeps them as runtime inputs of
tern-run, so the ops go through their IR lowering (inputs tern needs at
import time, such as a Reshape shape, become initializers; the arguments
line counts those passes).

A test passes when tern's outputs match ONNX's; it is unsupported when tern
declines it at import with a diagnostic (an op, type or attribute tern does
not read) or the harness cannot feed it; anything else fails. Exits non-zero
on any failure not listed in --known-failures, on a listed failure that no
longer fails (so the list cannot go stale), or when fewer than
--expect-pass (initializers) / --expect-pass-arguments tests pass (so a test
that used to pass cannot quietly become unsupported).

--known-failures FILE: one test a line, `NAME SCOPE REASON`, where NAME is
the test as printed (`node/test_abs`), SCOPE is `MODE` or `MODE:PIPELINE`
(comma-separated for several, e.g. `arguments:cpu`) and REASON is the rest
of the line; `#` starts a comment.
"""

import argparse
import contextlib
import io
import multiprocessing
import os
import re
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_node_check  # noqa: E402

MODES = ("initializers", "arguments")
# onnx_node_check.py's success line when inputs became initializers.
NEEDED_AT_IMPORT = " as initializers: needed at import time)"


def read_known_failures(path, pipeline):
    """{(mode, name): reason} for the entries that apply to `pipeline`."""
    known = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit(f"{path}:{number}: expected NAME SCOPE REASON")
            name, scopes, reason = parts
            for scope in scopes.split(","):
                mode, _, only = scope.partition(":")
                if mode not in MODES or only not in ("", "reference", "cpu",
                                                     "compile"):
                    sys.exit(f"{path}:{number}: unknown scope '{scope}' "
                             "(expected MODE or MODE:PIPELINE)")
                if only in ("", pipeline):
                    known[(mode, name)] = reason
    return known


def check(argv):
    """Runs onnx_node_check in this (worker) process: (status, output).
    Python starts and imports onnx once per worker, not once per test."""
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            onnx_node_check.main(argv)
        except SystemExit as e:
            if isinstance(e.code, str):
                print(e.code)
                code = 1
            else:
                code = e.code or 0
        except Exception:
            traceback.print_exc()
            code = 1
    return code, out.getvalue().strip()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--bin", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--runner-libs", required=True)
    parser.add_argument("--jobs", type=int, default=2,
                        help="tests run at once, each in a worker process "
                             "(default 2)")
    parser.add_argument("--inputs", choices=MODES + ("both",), default="both",
                        help="which input modes to run (default: both)")
    parser.add_argument("--expect-pass", type=int, default=0,
                        help="least number of passes with --inputs "
                             "initializers")
    parser.add_argument("--expect-pass-arguments", type=int, default=0,
                        help="least number of passes with --inputs arguments")
    parser.add_argument("--known-failures",
                        help="tests that are known to fail (see above)")
    parser.add_argument("--pipeline", choices=["reference", "cpu",
                                               "compile"],
                        default="reference",
                        help="as onnx_node_check.py's (compile: --inputs "
                             "arguments)")
    parser.add_argument("--filter",
                        help="run only the tests whose folder name matches "
                             "this regular expression")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.pipeline == "compile" and args.inputs != "arguments":
        parser.error("--pipeline compile takes --inputs arguments")
    modes = MODES if args.inputs == "both" else (args.inputs,)
    expected = {"initializers": args.expect_pass,
                "arguments": args.expect_pass_arguments}
    known = (read_known_failures(args.known_failures, args.pipeline)
             if args.known_failures else {})
    tests = []
    for folder in args.folders:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if args.filter and not re.search(args.filter, name):
                continue
            if os.path.exists(os.path.join(path, "model.onnx")) and \
               os.path.isdir(os.path.join(path, "test_data_set_0")):
                tests.append(path)

    jobs = [(mode, path) for mode in modes for path in tests]
    argvs = [[path, "--bin", args.bin, "--runner", args.runner,
              "--runner-libs", args.runner_libs, "--pipeline", args.pipeline,
              "--inputs", mode] for mode, path in jobs]
    counts = {mode: {0: 0, 1: 0, 2: 0, "known": 0, "fixed": 0}
              for mode in modes}
    stale = False
    with multiprocessing.get_context("fork").Pool(
            args.jobs, maxtasksperchild=100) as pool:
        for (mode, path), (code, output) in zip(
                jobs, pool.imap(check, argvs, chunksize=1)):
            code = code if code in (0, 1, 2) else 1
            name = os.path.relpath(path, os.path.dirname(os.path.dirname(path)))
            reason = known.get((mode, name))
            if reason is not None:
                if code == 1:
                    counts[mode]["known"] += 1
                    if args.verbose:
                        print(f"KNOWN FAIL {mode} {name}: {reason}")
                    continue
                stale = True
                print(f"NO LONGER FAILS {mode} {name} "
                      f"({'passes' if code == 0 else 'unsupported'}); remove "
                      f"it from {args.known_failures}")
            counts[mode][code] += 1
            last = output.splitlines()[-1] if output else ""
            if code == 0 and last.endswith(NEEDED_AT_IMPORT):
                counts[mode]["fixed"] += 1
            if code == 1:
                print(f"FAIL {mode} {name}: {output[-500:]}")
            elif args.verbose and code == 0:
                note = last[last.find(" ("):] if "(" in last else ""
                print(f"PASS {mode} {name}{note}")
            elif args.verbose:
                print(f"UNSUPPORTED {mode} {name}: "
                      + last.removeprefix("unsupported: "))
    failed = stale
    for mode in modes:
        c = counts[mode]
        line = f"{mode}: {c[0]} passed, {c[1]} failed, "
        if c["known"]:
            line += f"{c['known']} known failures, "
        line += f"{c[2]} unsupported"
        if c["fixed"]:
            line += (f" ({c['fixed']} passed with inputs tern needs at "
                     "import time as initializers)")
        print(line)
    for mode in modes:
        if counts[mode][1]:
            failed = True
        if counts[mode][0] < expected[mode]:
            print(f"{mode}: expected at least {expected[mode]} to pass")
            failed = True
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
