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

llvm::Expected<CPUKernelOptions>
mlir::tern::ModelToolOptions::resolveKernels() const {
  CPUKernelOptions kernels;
  llvm::Expected<TargetCPU> target = resolveCPU(cpu);
  if (!target)
    return target.takeError();
  kernels.cpu = std::move(*target);
  kernels.ternaryActivations = ternaryActivations;
  llvm::Expected<Int8Dot> dot = resolveInt8Dot(kernels.cpu, ternaryInt8Dot);
  if (!dot)
    return dot.takeError();
  kernels.ternaryInt8Dot = *dot;
  return kernels;
}
