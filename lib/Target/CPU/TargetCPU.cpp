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

Expected<TargetCPU> mlir::tern::resolveCPU(StringRef name) {
  llvm::InitializeNativeTarget();
  TargetCPU cpu;
  cpu.name = name == "native" ? llvm::sys::getHostCPUName().str() : name.str();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(error);
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, cpu.name, ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu.name))
    return createStringError("unknown CPU '" + cpu.name +
                             "' (try x86-64-v3, x86-64-v4 or native)");
  if (subtarget->checkFeatures("+avx512f")) {
    cpu.vectorWidth = 16;
    cpu.pmaddubsw = subtarget->checkFeatures("+avx512bw");
    cpu.vpdpbusd = subtarget->checkFeatures("+avx512vnni");
    cpu.vpermi2b = subtarget->checkFeatures("+avx512vbmi");
  } else if (subtarget->checkFeatures("+avx")) {
    cpu.vectorWidth = 8;
    cpu.pmaddubsw = subtarget->checkFeatures("+avx2");
    cpu.vpdpbusd = subtarget->checkFeatures("+avxvnni");
  } else {
    cpu.vectorWidth = 4;
  }
  return cpu;
}

StringRef
mlir::tern::stringifyKernelActivations(KernelActivations activations) {
  return activations == KernelActivations::Int8 ? "int8" : "f32";
}

StringRef mlir::tern::stringifyInt8Dot(Int8Dot dot) {
  switch (dot) {
  case Int8Dot::None:
    return "none";
  case Int8Dot::Generic:
    return "generic";
  case Int8Dot::Pmaddubsw:
    return "pmaddubsw";
  case Int8Dot::Vpdpbusd:
    return "vpdpbusd";
  }
  llvm_unreachable("unknown Int8Dot");
}

std::optional<Int8Dot> mlir::tern::symbolizeInt8Dot(StringRef name) {
  for (Int8Dot dot :
       {Int8Dot::None, Int8Dot::Generic, Int8Dot::Pmaddubsw, Int8Dot::Vpdpbusd})
    if (stringifyInt8Dot(dot) == name)
      return dot;
  return std::nullopt;
}

cl::ValuesClass mlir::tern::kernelActivationsValues() {
  return cl::values(
      clEnumValN(KernelActivations::F32, "f32",
                 "exact with respect to the dequantized weights"),
      clEnumValN(KernelActivations::Int8, "int8",
                 "each row quantized to int8 with one scale, summed in "
                 "16-bit lanes or dot products (faster)"));
}

cl::ValuesClass mlir::tern::int8DotValues() {
  return cl::values(
      clEnumValN(Int8Dot::None, "none",
                 "16-bit add/sub selected by bitmaps, no multiplication"),
      clEnumValN(Int8Dot::Generic, "generic",
                 "dot products as plain vector arithmetic (any target)"),
      clEnumValN(Int8Dot::Pmaddubsw, "pmaddubsw",
                 "vpmaddubsw + vpmaddwd (AVX2, AVX-512BW)"),
      clEnumValN(Int8Dot::Vpdpbusd, "vpdpbusd",
                 "vpdpbusd (AVX-VNNI, AVX-512 VNNI)"));
}

Expected<Int8Dot> mlir::tern::resolveInt8Dot(const TargetCPU &cpu,
                                             StringRef requested) {
  if (requested == "auto")
    return cpu.bestInt8Dot();
  std::optional<Int8Dot> named = symbolizeInt8Dot(requested);
  if (!named)
    return createStringError(
        "unknown int8 dot '" + requested +
        "' (expected auto, none, generic, pmaddubsw or vpdpbusd)");
  if ((*named == Int8Dot::Pmaddubsw && !cpu.pmaddubsw) ||
      (*named == Int8Dot::Vpdpbusd && !cpu.vpdpbusd))
    return createStringError("CPU '" + cpu.name + "' has no " + requested +
                             " in its " + std::to_string(32 * cpu.vectorWidth) +
                             "-bit registers (its best is " +
                             stringifyInt8Dot(cpu.bestInt8Dot()) + ")");
  return *named;
}

bool mlir::tern::decodesSherryCodes(Int8Dot dot, int64_t vectorWidth) {
  return (dot == Int8Dot::Vpdpbusd && vectorWidth == 16) ||
         dot == Int8Dot::Generic;
}

bool mlir::tern::decodesBase3Codes(Int8Dot dot, int64_t vectorWidth) {
  return decodesSherryCodes(dot, vectorWidth) || dot == Int8Dot::Pmaddubsw;
}

bool mlir::tern::signsKeptInt8Codes(Int8Dot dot) {
  return dot == Int8Dot::Pmaddubsw;
}

bool TargetCPU::decodesBase3(Int8Dot dot) const {
  return decodesBase3Codes(dot, vectorWidth) &&
         (dot != Int8Dot::Vpdpbusd || vpermi2b);
}
