#!/usr/bin/env python3
"""Checks that tern's libraries depend only downward (docs/Architecture.md).

Every `#include "tern/..."` in lib/ and include/tern/, and every tern
library a CMakeLists.txt under lib/ links, must point to a layer the
including layer may use. Prints each violation as FILE:LINE and exits 1 if
there is one; prints a one-line summary otherwise.

  check-layering.py [SOURCE_ROOT]
"""

import os
import re
import sys

# Bottom up. A layer may use the layers it lists (and itself), nothing else.
ALLOWED = {
    "Support": [],
    "Quant": [],
    "Target/CPU": [],
    "Dialect": ["Quant"],
    "Target/ONNX": ["Dialect", "Quant", "Support"],
    "Conversion": ["Dialect", "Quant", "Target/CPU"],
    "Transforms": ["Dialect", "Support"],
    "Quantization": ["Dialect", "Quant", "Support", "Target/CPU"],
    "Pipelines": [
        "Conversion", "Dialect", "Transforms", "Quantization", "Target/CPU"],
    "Execution": ["Pipelines", "Quantization", "Support", "Target/CPU"],
    "Driver": ["Support", "Target/CPU", "Target/ONNX"],
}
# The library each CMake target belongs to.
LIBRARIES = {
    "TernSupport": "Support",
    "TernQuant": "Quant",
    "TernTargetCPU": "Target/CPU",
    "TernDialect": "Dialect",
    "TernDialectUtils": "Dialect",
    "TernDialectTransforms": "Dialect",
    "TernONNXImport": "Target/ONNX",
    "TernONNXExport": "Target/ONNX",
    "TernDotToLLVM": "Conversion",
    "TernToLinalg": "Conversion",
    "TernToVector": "Conversion",
    "TernTransforms": "Transforms",
    "TernQuantization": "Quantization",
    "TernPipelines": "Pipelines",
    "TernExecution": "Execution",
    "TernDriver": "Driver",
}


def layer_of(path):
    """The layer of a path relative to lib/ or include/tern/."""
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if path == layer or path.startswith(layer + "/"):
            return layer
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    violations, checked = [], 0
    include = re.compile(r'#include "tern/([^"]+)"')
    link = re.compile(r"\b(Tern[A-Za-z]+)\b")
    for top in ("lib", os.path.join("include", "tern")):
        base = os.path.join(root, top)
        for folder, _, files in os.walk(base):
            rel = os.path.relpath(folder, base)
            layer = layer_of(rel.replace(os.sep, "/"))
            for name in files:
                path = os.path.join(folder, name)
                shown = os.path.relpath(path, root)
                if layer is None:
                    if name.endswith((".h", ".cpp", ".td")):
                        violations.append(f"{shown}: in no layer of "
                                          "scripts/check-layering.py")
                    continue
                allowed = set(ALLOWED[layer]) | {layer}
                with open(path, encoding="utf-8") as f:
                    lines = f.read().splitlines()
                in_libs = False
                for number, line in enumerate(lines, 1):
                    used = []
                    m = include.search(line)
                    if m and name.endswith((".h", ".cpp", ".inc")):
                        used.append(layer_of(m.group(1)) or m.group(1))
                    if name == "CMakeLists.txt":
                        in_libs = ("LINK_LIBS" in line or
                                   (in_libs and not line.strip().endswith(")")))
                        if in_libs or "LINK_LIBS" in line:
                            used += [LIBRARIES[t] for t in link.findall(line)
                                     if t in LIBRARIES]
                    for target in used:
                        checked += 1
                        if target not in allowed:
                            violations.append(
                                f"{shown}:{number}: {layer} uses {target}, "
                                f"which it may not (may use: "
                                f"{', '.join(sorted(allowed - {layer})) or 'nothing'})")
    for v in violations:
        print(v)
    print(f"{checked} dependencies checked, {len(violations)} violations")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
