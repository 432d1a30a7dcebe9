"""Unit tests of tern.api, run by api.test: argv[1] is python/, argv[2] a
scratch folder."""

import os
import sys
import unittest

import numpy as np

sys.path.insert(0, sys.argv[1])
SCRATCH = sys.argv[2]
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "Inputs"))
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

import tern  # noqa: E402
from make_linear import K, N, linear_model  # noqa: E402

RNG = np.random.default_rng(7)


def path(leaf):
    return os.path.join(SCRATCH, leaf)


class API(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = path("linear.onnx")
        cls.w, cls.b = linear_model(cls.model)
        cls.x = RNG.standard_normal((3, K)).astype(np.float32)
        cls.shapes = {"x": (3, K)}

    def test_run_float(self):
        y = tern.run(self.model, {"x": self.x}, input_shapes=self.shapes)
        np.testing.assert_allclose(y["y"], self.x @ self.w + self.b, rtol=1e-5,
                                   atol=1e-5)

    def test_quantize_run_compile_export(self):
        q = tern.quantize(self.model, method="ptqtp", planes=2,
                          out=path("q.mlirbc"), input_shapes=self.shapes,
                          group_size=32)
        self.assertEqual(q.path, path("q.mlirbc"))
        self.assertEqual([l["name"] for l in q.report["layers"]],
                         ["fc/MatMul"])
        self.assertEqual(q.report["layers"][0]["planes"], 2)
        self.assertGreater(q.bits_per_weight, 4.0)
        jit = tern.run(q.path, {"x": self.x})["y"]
        # The dequantized weights, exported back to ONNX, give the same
        # products in numpy.
        exported = onnx.load(tern.export_onnx(q.path, self.model,
                                              path("q.onnx")))
        weights = {t.name: numpy_helper.to_array(t)
                   for t in exported.graph.initializer}
        w = weights["fc/MatMul.weights"]
        self.assertFalse(np.array_equal(w, self.w))
        np.testing.assert_allclose(jit, self.x @ w + self.b, rtol=1e-4,
                                   atol=1e-4)
        lib = tern.compile(q.path, path("liblinear.so"))
        self.assertEqual(lib.name, "linear")
        self.assertEqual(lib.inputs, [("x", np.dtype(np.float32), (3, K))])
        self.assertEqual(lib.outputs, [("y", np.dtype(np.float32), (3, N))])
        self.assertTrue(os.path.exists(path("liblinear.h")))
        np.testing.assert_array_equal(lib(x=self.x)["y"], jit)
        np.testing.assert_array_equal(lib(self.x)["y"], jit)

    def test_input_values(self):
        # An If on a scalar input: fixed at import, only its branch is left.
        text = path("if.onnxtxt")
        with open(text, "w") as f:
            f.write("""<ir_version: 8, opset_import: ["" : 16]>
g (bool c, float[2] x) => (float[2] y) {
  y = If (c) <then_branch = t () => (float[2] a) { a = Neg (x) },
              else_branch = e () => (float[2] b) { b = Abs (x) }>
}
""")
        x = np.array([-1.5, 2.0], np.float32)
        for c, want in ((1, -x), (0, np.abs(x))):
            y = tern.run(text, {"x": x}, input_values={"c": c})["y"]
            np.testing.assert_array_equal(y, want)
        with self.assertRaises(tern.TernError) as raised:
            tern.run(text, {"x": x}, input_values={"q": 1})
        self.assertIn("--input-value names 'q'", str(raised.exception))

    def test_calibration_sets(self):
        sets = [{"x": RNG.standard_normal((3, K)).astype(np.float32)}
                for _ in range(4)]
        q = tern.quantize(self.model, method="bt", threshold="calibrated",
                          calibration=sets, out=path("cal.mlir"),
                          input_shapes=self.shapes, report=path("cal.json"))
        self.assertTrue(os.path.exists(path("cal.json")))
        self.assertEqual(q.report["layers"][0]["method"], "bt")
        self.assertIn("tern.matmul", open(q.path).read())

    def test_pipeline_string(self):
        q = tern.quantize(self.model, pipeline="method=bt threshold=mse "
                          "include=fc", out=path("s.mlirbc"),
                          input_shapes=self.shapes)
        self.assertEqual(len(q.report["layers"]), 1)

    def test_kept_int8_dot(self):
        # The layer kept in int8 (nothing ternarized): with int8 activations
        # it takes the dot-product kernel unless kept_int8_dot=False, which
        # keeps the float kernel and its f32 activations; the two products
        # differ by the activations' rounding, and from the f32 weights'
        # product by the weights' (outputs up to 16 in magnitude).
        kept = tern.quantize(self.model, method="ptqtp", exclude=".*",
                             keep="int8", out=path("kept.mlirbc"),
                             input_shapes=self.shapes)
        options = {"ternary_activations": "int8", "int8_dot": "generic"}
        dot = tern.run(kept.path, {"x": self.x}, kept_int8_dot=True,
                       **options)["y"]
        float_kernel = tern.run(kept.path, {"x": self.x},
                                kept_int8_dot=False, **options)["y"]
        default = tern.run(kept.path, {"x": self.x}, **options)["y"]
        np.testing.assert_array_equal(default, dot)
        exact = self.x @ self.w + self.b
        np.testing.assert_allclose(float_kernel, exact, rtol=0, atol=0.3)
        np.testing.assert_allclose(dot, exact, rtol=0, atol=0.3)
        self.assertGreater(np.abs(dot - float_kernel).max(), 1e-4)
        lib = tern.compile(kept.path, path("libkept.so"), kept_int8_dot=False,
                           **options)
        np.testing.assert_allclose(lib(x=self.x)["y"], float_kernel,
                                   rtol=1e-5, atol=1e-5)
        with self.assertRaises(TypeError):
            tern.run(kept.path, {"x": self.x}, kept_int8_dot="no")

    def test_tool_errors(self):
        with self.assertRaises(tern.TernError) as e:
            tern.quantize(self.model, method="nope", out=path("bad.mlirbc"),
                          input_shapes=self.shapes)
        self.assertEqual(e.exception.tool, "tern-opt")
        self.assertEqual(e.exception.returncode, 1)
        self.assertIn("for the --method option: Cannot find option named "
                      "'nope'", e.exception.message)
        self.assertNotIn("see current operation", e.exception.message)
        with self.assertRaises(tern.TernError) as e:
            tern.run(path("missing.onnx"), {"x": self.x})
        self.assertIn("missing.onnx", e.exception.message)
        with self.assertRaises(tern.TernError) as e:
            tern.run(self.model, {"x": self.x}, input_shapes={"x": (3, 7)})
        self.assertEqual(e.exception.tool, "tern-run")
        with self.assertRaises(tern.TernError) as e:
            tern.compile(self.model, path("libx.so"), cpu="pentium-nope",
                         input_shapes=self.shapes)
        self.assertIn("pentium-nope", e.exception.message)

    def test_argument_errors(self):
        with self.assertRaises(TypeError) as e:
            tern.quantize(self.model, out=path("x.mlirbc"), plane=2)
        # The keywords are read from tern-opt: every pipeline option,
        # dampening included.
        self.assertIn("'plane'", str(e.exception))
        self.assertIn("dampening", str(e.exception))
        self.assertIn("group_size", str(e.exception))
        lib = tern.compile(self.model, path("libfloat.so"),
                           input_shapes=self.shapes)
        with self.assertRaises(ValueError):
            lib(x=np.zeros((2, K), np.float32))
        with self.assertRaises(TypeError):
            lib()
        with self.assertRaises(TypeError):
            lib(x=self.x, z=self.x)

    def test_missing_tools(self):
        saved = os.environ["TERN_BIN_DIR"]
        os.environ["TERN_BIN_DIR"] = path("nowhere")
        try:
            with self.assertRaises(tern.TernError) as e:
                tern.run(self.model, {"x": self.x})
            self.assertIn("not found in TERN_BIN_DIR", e.exception.message)
        finally:
            os.environ["TERN_BIN_DIR"] = saved


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
