//===- mlir-fuzzer.cpp - libFuzzer target for IR with tern types and ops --===//
//
// Parses each input as MLIR (text, or bytecode when it starts with the
// bytecode magic) in a context with the tern dialect and the builtin, func,
// arith and tensor dialects around its ops, verifies it, and prints what
// verified. Parse and verifier errors are expected; crashes, hangs and
// sanitizer reports are findings. Linalg is left out: its custom parsers
// crash on malformed input in MLIR 22 itself (docs/Hardening.md), which
// would stop every run before it reaches tern's code.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    r->insert<tern::TernDialect, arith::ArithDialect, func::FuncDialect,
              tensor::TensorDialect>();
    return r;
  }();
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  ParserConfig config(&context, /*verifyAfterParse=*/false);
  // The lexer reads the terminating NUL that every file buffer has (tools
  // open files with one): give the input one too.
  std::string source(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, config);
  if (!module || failed(verify(*module)))
    return 0;
  // Printers of verified IR must not fail either, generic form included.
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  module->print(os, OpPrintingFlags().printGenericOpForm());
  return 0;
}
