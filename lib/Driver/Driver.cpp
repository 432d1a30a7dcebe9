//===- Driver.cpp - what tern's tools share -------------------------------===//
//
// This file implements model loading and the options the tools share.
//
//===----------------------------------------------------------------------===//

#include "tern/Driver/Driver.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace mlir::tern;

OwningOpRef<ModuleOp> mlir::tern::loadModel(StringRef path,
                                            MLIRContext *context,
                                            const ONNXImportOptions &options) {
  if (looksLikeONNX(path))
    return importONNXFile(path, context, options);
  if (!llvm::sys::fs::exists(path)) {
    emitError(UnknownLoc::get(context)) << "cannot open '" << path << "'";
    return nullptr;
  }
  return parseSourceFile<ModuleOp>(path, context);
}

llvm::cl::OptionCategory &mlir::tern::modelToolCategory() {
  static llvm::cl::OptionCategory category("tern options");
  return category;
}

bool mlir::tern::ModelToolOptions::resolveTernaryKernels(
    const TargetCPU &cpu, std::string &activations, std::string &int8Dot,
    std::string &error) const {
  if (ternaryActivations != "f32" && ternaryActivations != "int8") {
    error = "unknown --ternary-activations '" + ternaryActivations +
            "' (expected f32 or int8)";
    return false;
  }
  activations = ternaryActivations;
  return resolveInt8Dot(cpu, ternaryInt8Dot, int8Dot, error);
}
