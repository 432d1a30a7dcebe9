"""tern from Python: the build-pipeline API (tern.api, re-exported here),
the evaluation harnesses (tern.evaluate), report rendering (tern.report),
the Austen test language model (tern.lm), and reference numerics for tests
(tern.reference, tern.packing, tern.ocr), plain numpy and independent of
the C++ code, so that tests can check the compiler against a second
implementation of the same contract.

    import tern
    q = tern.quantize("model.onnx", method="ptqtp", planes=2, out="m.mlirbc")
    outputs = tern.run(q.path, {"x": x})
    lib = tern.compile(q.path, "libm.so")
    outputs = lib(x=x)

Runs with Debian's /usr/bin/python3 and its packages (numpy; matplotlib for
plots; torch and sentencepiece only for tern.lm). See python/README.md.
"""

from tern.api import (Library, Quantized, TernError, bits_per_weight,
                      compile, export_onnx, generate, quantize, run,
                      write_decoder_calibration)

__all__ = ["Library", "Quantized", "TernError", "bits_per_weight", "compile",
           "export_onnx", "generate", "quantize", "run",
           "write_decoder_calibration"]
