//===- onnx-fuzzer.cpp - libFuzzer target for the ONNX importer -----------===//
//
// Feeds each input to the ONNX importer, as a binary protobuf or, built
// with TERN_FUZZ_ONNX_TEXT, as ONNX text syntax, and verifies what it
// builds. Any input may be rejected with a diagnostic; none may crash, hang,
// leak or trip a sanitizer. Built by -DTERN_BUILD_FUZZERS=ON (clang only);
// run by scripts/fuzz.sh. See docs/Hardening.md.
//
//===----------------------------------------------------------------------===//

#include "tern/Target/ONNX/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    tern::registerONNXImportDialects(*r);
    return r;
  }();
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  // Diagnostics are expected; printing them would only slow fuzzing down.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
#ifdef TERN_FUZZ_ONNX_TEXT
  StringRef name = "fuzz.onnxtxt";
#else
  StringRef name = "fuzz.onnx";
#endif
  OwningOpRef<ModuleOp> module = tern::importONNXBuffer(
      StringRef(reinterpret_cast<const char *>(data), size), name,
      /*baseDirectory=*/"", &context, tern::ONNXImportOptions());
  // The importer verifies what it returns; a second look costs little and
  // catches a module that was returned without it.
  if (module && failed(verify(*module)))
    __builtin_trap();
  return 0;
}
