//===- Driver.cpp - what tern's tools share -------------------------------===//
//
// This file implements model loading and the options the tools share.
//
//===----------------------------------------------------------------------===//

#include "tern/Driver/Driver.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>
#include <string>

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

std::string mlir::tern::ModelToolOptions::compileCacheDir() const {
  std::string dir = compileCache;
  if (dir.empty())
    if (const char *env = std::getenv("TERN_CACHE_DIR"))
      dir = env;
  if (dir.empty()) {
    SmallString<128> path;
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
      path = xdg;
    else if (const char *home = std::getenv("HOME"); home && *home)
      llvm::sys::path::append(path, home, ".cache");
    else
      return std::string();
    llvm::sys::path::append(path, "tern");
    dir = path.str().str();
  }
  return dir == "none" ? std::string() : dir;
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
  // Base-3 codes stay base 3 by default where the vpdpbusd kernels decode
  // them by lookups (fewer bytes, at the 2-bit kernel's dot products); the
  // generic form decodes them only when asked.
  kernels.ternaryBase3Direct =
      ternaryBase3Direct.getNumOccurrences()
          ? bool(ternaryBase3Direct)
          : *dot == Int8Dot::Vpdpbusd && kernels.cpu.decodesBase3(*dot);
  if (kernels.ternaryBase3Direct &&
      decodesBase3Codes(*dot, kernels.cpu.vectorWidth) &&
      !kernels.cpu.decodesBase3(*dot))
    return llvm::createStringError(
        "--ternary-base3-direct: CPU '" + kernels.cpu.name +
        "' has no AVX-512 VBMI (vpermi2b), which the vpdpbusd kernels "
        "decode base-3 codes with (use --ternary-int8-dot=generic, or leave "
        "base-3 codes repacked to 2 bits)");
  kernels.ternarySherryDirect = ternarySherryDirect;
  kernels.ternarySherryLookups = ternarySherryLookups;
  if (ternaryRowTileRegisters < 0)
    return llvm::createStringError(
        "--ternary-row-tile-registers must be >= 0 (0: automatic), got " +
        std::to_string(ternaryRowTileRegisters));
  kernels.ternaryRowTileRegisters = ternaryRowTileRegisters;
  kernels.ternaryKeptInt8Dot = ternaryKeptInt8Dot;
  kernels.fuseSiblingMatmuls = fuseSiblingMatmuls;
  return kernels;
}
