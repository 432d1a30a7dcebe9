//===- TargetCPU.h - the CPU code is generated for --------------*- C++ -*-===//
//
// This file declares what tern needs to know of the CPU it generates code
// for (vector width, byte dot-product instructions) and how a CPU is named
// on the command line and in pass options. LLVM only, no MLIR: the PTQ
// passes, the execution library and the tools all resolve CPUs here.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_TARGET_CPU_TARGETCPU_H
#define TERN_TARGET_CPU_TARGETCPU_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace mlir::tern {

/// A CPU that code is generated for.
struct TargetCPU {
  /// The LLVM CPU name.
  std::string name;
  /// f32 lanes of its widest SIMD registers (16 with AVX-512, 8 with AVX).
  int64_t vectorWidth = 4;
  /// Which byte dot products it has in registers of that width:
  /// vpmaddubsw (AVX2, AVX-512BW) and vpdpbusd (AVX-VNNI, AVX-512 VNNI).
  bool pmaddubsw = false, vpdpbusd = false;

  /// The fastest int8-dot of convert-tern-to-vector this CPU runs.
  llvm::StringRef bestInt8Dot() const {
    return vpdpbusd ? "vpdpbusd" : pmaddubsw ? "pmaddubsw" : "generic";
  }
};

/// The CPU for `--cpu NAME`: NAME itself if the host target knows it, the
/// host's CPU for "native". On failure returns false with a message.
bool resolveCPU(llvm::StringRef name, TargetCPU &cpu, std::string &error);

/// The int8-dot of convert-tern-to-vector for `requested` on `cpu`: its
/// best for "auto", else `requested` if it is one and the CPU has its
/// instructions. On failure returns false with a message.
bool resolveInt8Dot(const TargetCPU &cpu, llvm::StringRef requested,
                    std::string &dot, std::string &error);

} // namespace mlir::tern

#endif // TERN_TARGET_CPU_TARGETCPU_H
