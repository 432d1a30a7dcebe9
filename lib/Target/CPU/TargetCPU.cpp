//===- TargetCPU.cpp - the CPU code is generated for ----------------------===//
//
// This file implements resolving CPU names to what tern's kernels use.
//
//===----------------------------------------------------------------------===//

#include "tern/Target/CPU/TargetCPU.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace llvm;
using namespace mlir::tern;

bool mlir::tern::resolveCPU(StringRef name, TargetCPU &cpu,
                            std::string &error) {
  llvm::InitializeNativeTarget();
  cpu.name = name == "native" ? llvm::sys::getHostCPUName().str() : name.str();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, cpu.name, ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu.name)) {
    error =
        "unknown CPU '" + cpu.name + "' (try x86-64-v3, x86-64-v4 or native)";
    return false;
  }
  if (subtarget->checkFeatures("+avx512f")) {
    cpu.vectorWidth = 16;
    cpu.pmaddubsw = subtarget->checkFeatures("+avx512bw");
    cpu.vpdpbusd = subtarget->checkFeatures("+avx512vnni");
  } else if (subtarget->checkFeatures("+avx")) {
    cpu.vectorWidth = 8;
    cpu.pmaddubsw = subtarget->checkFeatures("+avx2");
    cpu.vpdpbusd = subtarget->checkFeatures("+avxvnni");
  } else {
    cpu.vectorWidth = 4;
  }
  return true;
}

bool mlir::tern::resolveInt8Dot(const TargetCPU &cpu, StringRef requested,
                                std::string &dot, std::string &error) {
  if (requested == "auto") {
    dot = cpu.bestInt8Dot().str();
    return true;
  }
  if (requested != "none" && requested != "generic" &&
      requested != "pmaddubsw" && requested != "vpdpbusd") {
    error = "unknown int8 dot '" + requested.str() +
            "' (expected auto, none, generic, pmaddubsw or vpdpbusd)";
    return false;
  }
  if ((requested == "pmaddubsw" && !cpu.pmaddubsw) ||
      (requested == "vpdpbusd" && !cpu.vpdpbusd)) {
    error = "CPU '" + cpu.name + "' has no " + requested.str() + " in its " +
            std::to_string(32 * cpu.vectorWidth) +
            "-bit registers (its best is " + cpu.bestInt8Dot().str() + ")";
    return false;
  }
  dot = requested.str();
  return true;
}
