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
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::tern {

/// Activations of the ternary matmul kernels.
enum class KernelActivations {
  F32,  ///< exact with respect to the dequantized weights
  Int8, ///< each row quantized to int8 with one scale
};

/// With int8 activations, how the ternary kernels combine codes and
/// activations: add/sub, or byte dot products with the instruction that
/// tern.dot2/tern.dot4 then name.
enum class Int8Dot {
  None,      ///< add/sub in 16-bit lanes selected by bitmaps
  Generic,   ///< dot products as plain vector arithmetic (any target)
  Pmaddubsw, ///< vpmaddubsw (+ vpmaddwd): AVX2, AVX-512BW
  Vpdpbusd,  ///< vpdpbusd: AVX-VNNI, AVX-512 VNNI
};

/// The option names ("f32", "vpdpbusd"), and back.
llvm::StringRef stringifyKernelActivations(KernelActivations activations);
llvm::StringRef stringifyInt8Dot(Int8Dot dot);
std::optional<Int8Dot> symbolizeInt8Dot(llvm::StringRef name);

/// The values of options of these types (llvm::cl::values), declared once
/// for every pass, pipeline and tool option that takes them.
llvm::cl::ValuesClass kernelActivationsValues();
llvm::cl::ValuesClass int8DotValues();

/// A CPU that code is generated for.
struct TargetCPU {
  /// The LLVM CPU name.
  std::string name;
  /// f32 lanes of its widest SIMD registers (16 with AVX-512, 8 with AVX).
  int64_t vectorWidth = 4;
  /// Which byte dot products it has in registers of that width:
  /// vpmaddubsw (AVX2, AVX-512BW) and vpdpbusd (AVX-VNNI, AVX-512 VNNI).
  bool pmaddubsw = false, vpdpbusd = false;
  /// Whether it has AVX-512 VBMI's vpermi2b (byte lookups in 128 entries),
  /// which the base-3 kernels decode with (tern.decode_base3).
  bool vpermi2b = false;

  /// Whether the base-3 kernels can decode with `dot` here: where
  /// decodesBase3Codes, with vpermi2b for vpdpbusd.
  bool decodesBase3(Int8Dot dot) const;

  /// The fastest int8-dot of convert-tern-to-vector this CPU runs.
  Int8Dot bestInt8Dot() const {
    return vpdpbusd    ? Int8Dot::Vpdpbusd
           : pmaddubsw ? Int8Dot::Pmaddubsw
                       : Int8Dot::Generic;
  }
};

/// Whether the int8 dot-product kernels decode Sherry's 3:4 codes in
/// registers (sherry-direct) with `dot` on registers of `vectorWidth` f32
/// lanes: vpdpbusd on 512-bit registers (vpermi2d lookups) or the generic
/// form. Elsewhere they repack such codes to 2-bit dot codes.
bool decodesSherryCodes(Int8Dot dot, int64_t vectorWidth);

/// Whether they decode base-3 codes in registers (base3-direct): vpdpbusd
/// on 512-bit registers (vpermi2b lookups), vpmaddubsw on registers of any
/// width (vpshufb lookups) or the generic form. Elsewhere they repack them
/// to 2-bit dot codes.
bool decodesBase3Codes(Int8Dot dot, int64_t vectorWidth);

/// The CPU code is generated for and the ternary kernels' choices on it:
/// what the model tools' --cpu, --ternary-activations and --ternary-int8-dot
/// resolve to (ModelToolOptions::resolveKernels).
struct CPUKernelOptions {
  TargetCPU cpu = {"x86-64-v3", 8};
  /// Activations of the ternary matmul kernels (tern-cpu-pipeline's
  /// ternary-activations).
  KernelActivations ternaryActivations = KernelActivations::F32;
  /// With int8 activations, how the kernels combine codes and activations
  /// (tern-cpu-pipeline's ternary-int8-dot; resolveInt8Dot).
  Int8Dot ternaryInt8Dot = Int8Dot::Pmaddubsw;
  /// Whether base-3 weights stay base 3 in the int8 dot-product kernels
  /// (tern-cpu-pipeline's ternary-base3-direct).
  bool ternaryBase3Direct = false;
  /// Whether Sherry's 3:4 weights stay 5-bit quad fields in the int8
  /// dot-product kernels (tern-cpu-pipeline's ternary-sherry-direct).
  bool ternarySherryDirect = true;
  /// Whether single activation rows read Sherry's fields by table lookups
  /// (tern-cpu-pipeline's ternary-sherry-lookups).
  bool ternarySherryLookups = true;
  /// Whether layers kept in int8 take the int8 dot-product kernels
  /// (tern-cpu-pipeline's ternary-kept-int8-dot).
  bool ternaryKeptInt8Dot = true;
  /// Registers of a single activation row's dot-product tiles on long rows
  /// of codes (tern-cpu-pipeline's ternary-row-tile-registers; 0:
  /// automatic).
  int64_t ternaryRowTileRegisters = 0;
  /// Whether ternary matmuls that read the same activations share one
  /// kernel call (tern-cpu-pipeline's fuse-sibling-matmuls).
  bool fuseSiblingMatmuls = true;
};

/// Whether the kernels of layers kept in int8 take the weights as signed
/// bytes with `dot` (vpmaddubsw, whose i16 pairs would saturate on bytes
/// w + 128) rather than as w + 128 (docs/Kernels.md, "Kept layers in the
/// dot-product kernels").
bool signsKeptInt8Codes(Int8Dot dot);

/// The CPU for `--cpu NAME`: NAME itself if the host target knows it, the
/// host's CPU for "native". The error names the CPU it does not know.
llvm::Expected<TargetCPU> resolveCPU(llvm::StringRef name);

/// The int8-dot of convert-tern-to-vector for `requested` on `cpu`: its
/// best for "auto", else `requested` if it names one and the CPU has its
/// instructions. The error says what the CPU lacks.
llvm::Expected<Int8Dot> resolveInt8Dot(const TargetCPU &cpu,
                                       llvm::StringRef requested);

} // namespace mlir::tern

#endif // TERN_TARGET_CPU_TARGETCPU_H
