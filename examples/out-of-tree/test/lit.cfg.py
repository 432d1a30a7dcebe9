# -*- Python -*-
# lit configuration of the tern-sparsity tests: this project's tool, and the
# installed tern's tools (TERN_TOOLS_DIR from TernConfig.cmake).

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "TERN_SPARSITY"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.example_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["tern-sparsity-opt", "tern-opt"],
    [config.example_tools_dir, config.tern_tools_dir])
