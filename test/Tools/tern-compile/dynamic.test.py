"""Driver of dynamic.test: calls the compiled dynamic model through
tern.Library and compares with tern-run's outputs."""
import os
import sys

import numpy as np

import tern

d = sys.argv[1]
lib = tern.compile(os.path.join(d, "model.onnx"), os.path.join(d, "libdyn.so"))
print("dynamic", lib.dynamic)
for s in ["1_7", "2_300", "1_0"]:
    out = lib(x=np.load(os.path.join(d, f"x_{s}.npy")))
    for name in ["y", "kept"]:
        expected = np.load(os.path.join(d, f"run-{s}", name + ".npy"))
        same = out[name].shape == expected.shape and np.array_equal(
            out[name], expected)
        print(s, name, out[name].shape, "equal" if same else "DIFFERENT")
try:
    lib(x=np.zeros((2, 3), np.float32))
except ValueError:
    print("wrong rank: ValueError")

two = os.path.join(d, "two.onnxtxt")
with open(two, "w") as f:
    f.write('<\n ir_version: 8,\n opset_import: ["" : 17]\n>\n'
            'g (float[N] a, float[N] c) => (float[N] z) {\n z = Mul (a, c)\n}\n')
lib2 = tern.compile(two, os.path.join(d, "libtwo.so"))
try:
    lib2(a=np.ones(3, np.float32), c=np.ones(4, np.float32))
except tern.TernError as e:
    print("disagreeing sizes:", e.message.split(" (")[0])
