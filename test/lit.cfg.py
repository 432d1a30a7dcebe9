# -*- Python -*-
# lit configuration of the tern regression tests (IR and integration).

import os
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TERN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tern_obj_root, "test")
# Unit/ is its own suite (GoogleTest format), found through its site config.
config.excludes = ["Inputs", "Unit", "CMakeLists.txt", "lit.cfg.py"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
# The tools' compile cache (docs/CPUPipeline.md) lives in the build, not in
# the user's home; a model run twice in the suite is loaded from it.
config.environment["TERN_CACHE_DIR"] = os.path.join(
    config.tern_obj_root, "test", "compile-cache")

shlibext = ".so"
config.substitutions.append(
    (
        "%mlir_runner_utils",
        os.path.join(config.mlir_lib_dir, "libmlir_runner_utils" + shlibext),
    )
)
config.substitutions.append(
    ("%libomp", os.path.join(config.mlir_lib_dir, "libomp" + shlibext))
)
config.substitutions.append(
    (
        "%mlir_c_runner_utils",
        os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils" + shlibext),
    )
)

config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(
    ("%tern_python_dir", os.path.join(config.tern_src_root, "python"))
)

config.substitutions.append(
    ("%onnx_node_tests", "/usr/share/libonnx-testdata/data/node")
)
config.substitutions.append(("%onnx_testdata", "/usr/share/libonnx-testdata/data"))
config.substitutions.append(
    ("%runner_libs", os.path.join(config.mlir_lib_dir, "libmlir_runner_utils.so")
     + "," + os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils.so"))
)

config.substitutions.append(("%tern_tools_dir", config.tern_tools_dir))
config.substitutions.append(("%tern_obj_root", config.tern_obj_root))
# The MLIR plugin, for mlir-opt --load-dialect-plugin= --load-pass-plugin=.
config.substitutions.append(
    ("%tern_plugin", os.path.join(config.tern_lib_dir, "TernPlugin.so"))
)
if not config.tern_instrumented:
    config.available_features.add("uninstrumented")
# The Python package's command line (python3 -m tern) on this build's tools.
config.substitutions.append(
    ("%tern_py", "env PYTHONPATH=" + os.path.join(config.tern_src_root, "python")
     + " TERN_BIN_DIR=" + config.tern_tools_dir
     + " TERN_MODELS_DIR=" + config.tern_models_dir + " "
     + config.python_executable + " -m tern")
)
config.substitutions.append(("%tern_src_root", config.tern_src_root))
config.substitutions.append(
    ("%mlir_runner", os.path.join(config.llvm_tools_dir, "mlir-runner"))
)

# The PP-OCR models come from scripts/fetch-models.sh (not committed).
ppocr = os.path.join(config.tern_models_dir, "ppocr")
if os.path.exists(os.path.join(ppocr, "ch_PP-OCRv4_rec_infer.onnx")):
    config.available_features.add("ppocr-models")
config.substitutions.append(("%ppocr", ppocr))

# Silero VAD's ONNX exports, from scripts/fetch-models.sh (not committed).
silero = os.path.join(config.tern_models_dir, "silero")
if os.path.exists(os.path.join(silero, "silero_vad_v5.onnx")):
    config.available_features.add("silero-models")
config.substitutions.append(("%silero", silero))

# ONNX Runtime for Node, from scripts/fetch-ort.sh (not committed).
ort = os.path.join(config.tern_src_root, "tools", "ort-reference")
if os.path.exists(os.path.join(ort, "node_modules", "onnxruntime-node")):
    config.available_features.add("onnxruntime")
config.substitutions.append(("%run_ort", "node " + os.path.join(ort, "run-ort.mjs")))

# Text to render: janeaustenr's data and a console font (Debian packages).
if os.path.exists("/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb") and \
        os.path.exists("/usr/share/consolefonts/Lat15-Terminus20x10.psf.gz"):
    config.available_features.add("austen")
# Other authors: State of the Union addresses, from scripts/fetch-models.sh.
if os.path.exists(os.path.join(config.tern_models_dir, "corpora", "sotu",
                               "1811_james_madison_dr.txt")):
    config.available_features.add("sotu")

# Python packages some tests need (Debian's python3-torch,
# python3-sentencepiece, python3-matplotlib; python3-pip,
# python3-setuptools and python3-wheel to install python/).
for feature, modules in [("torch", "torch, sentencepiece"),
                         ("matplotlib", "matplotlib"),
                         ("pip", "setuptools, wheel, pip")]:
    if subprocess.run([config.python_executable, "-c", "import " + modules],
                      capture_output=True).returncode == 0:
        config.available_features.add(feature)

# The libFuzzer targets exist in fuzzer builds only (TERN_BUILD_FUZZERS).
if os.path.exists(os.path.join(config.tern_tools_dir, "tern-npy-fuzzer")):
    config.available_features.add("fuzzers")

tool_dirs = [config.tern_tools_dir, config.llvm_tools_dir]
tools = [
    "tern-opt",
    "tern-translate",
    "tern-run",
    "tern-compile",
    "tern-generate",
    "tern-quant-bench",
    "tern-kernel-bench",
    "tern-plugin-static-host",
    ToolSubst("mlir-runner", unresolved="fatal"),
    # Debian's mlir-opt-22, which the plugin loads into.
    ToolSubst("mlir-opt", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Instruction sets of this machine, for tests that execute code compiled
# for them (mlir-runner --mattr=...): cpu-avx2, cpu-avx512bw, cpu-avxvnni,
# cpu-avx512vnni, cpu-avx512vbmi.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
except OSError:
    flags = []
for flag in ["avx2", "avx512bw", "avx_vnni", "avx512_vnni", "avx512vbmi"]:
    if flag in flags:
        config.available_features.add("cpu-" + flag.replace("_", ""))
