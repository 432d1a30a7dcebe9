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
    const TargetCPU &cpu, KernelActivations &activations, Int8Dot &int8Dot,
    std::string &error) const {
  activations = ternaryActivations;
  return resolveInt8Dot(cpu, ternaryInt8Dot, int8Dot, error);
}
