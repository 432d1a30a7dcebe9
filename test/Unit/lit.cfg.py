# -*- Python -*-
# lit configuration that runs the GoogleTest binaries under unittests/.

import os

import lit.formats

config.name = "TERN-Unit"
config.suffixes = []
config.test_source_root = os.path.join(config.tern_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
