"""Runs Einsum models through tern-run and compares with numpy.einsum, for
equations ONNX's node tests leave out: implicit outputs, broadcast
ellipses, traces, several operands, integers.

  einsum_check.py DIR TERN_RUN [--pipeline P]
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper as h
from onnx import numpy_helper

CASES = [
    ("bij,bjk", [(2, 3, 4), (2, 4, 5)], np.float32),
    ("...ij,...jk->...ik", [(3, 2, 4), (1, 4, 2)], np.float32),
    ("ii", [(4, 4)], np.float32),
    ("ij->", [(3, 5)], np.float32),
    ("i,i,i->i", [(6,), (6,), (6,)], np.float32),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)], np.float32),
    ("ij,jk->ki", [(2, 3), (3, 4)], np.int64),
]


def main():
    directory, tern_run = sys.argv[1], sys.argv[2]
    extra = sys.argv[3:]
    rng = np.random.default_rng(3)
    for n, (equation, shapes, dtype) in enumerate(CASES):
        arrays = [(rng.standard_normal(s) * 3).astype(dtype) for s in shapes]
        want = np.einsum(equation, *arrays)
        onnx_type = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)) \
            if hasattr(onnx.helper, "np_dtype_to_tensor_dtype") else \
            onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(dtype)]
        names = ["x%d" % i for i in range(len(arrays))]
        graph = h.make_graph(
            [h.make_node("Einsum", names, ["y"], equation=equation,
                         name="einsum")], "g",
            [h.make_tensor_value_info(nm, onnx_type, a.shape)
             for nm, a in zip(names, arrays)],
            [h.make_tensor_value_info("y", onnx_type, want.shape)])
        folder = os.path.join(directory, "einsum%d" % n)
        os.makedirs(folder, exist_ok=True)
        model = os.path.join(folder, "model.onnx")
        onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 13)]),
                  model)
        inputs = []
        for nm, a in zip(names, arrays):
            np.save(os.path.join(folder, nm + ".npy"), a)
            inputs += ["--input", "%s=%s" % (nm, os.path.join(folder, nm + ".npy"))]
        subprocess.run([tern_run, model, "--output-dir", folder] + inputs + extra,
                       check=True, stdout=subprocess.DEVNULL)
        got = np.load(os.path.join(folder, "y.npy"))
        assert got.shape == want.shape, (equation, got.shape, want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
        print("%s ok" % equation)


if __name__ == "__main__":
    main()
