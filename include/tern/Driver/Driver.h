//===- Driver.h - what tern's tools share -----------------------*- C++ -*-===//
//
// This file declares the pieces the model tools (tern-run, tern-compile)
// share: loading a model from any of the formats tern reads, and the
// command-line options that mean the same in every tool.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DRIVER_DRIVER_H
#define TERN_DRIVER_DRIVER_H

#include "tern/Support/Signature.h"
#include "tern/Target/CPU/TargetCPU.h"
#include "tern/Target/ONNX/Import.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::tern {

/// Loads `path`: ONNX (.onnx, .onnxtxt; imported with `options`) or MLIR
/// (.mlir, .mlirbc). Errors are diagnostics on `context`.
OwningOpRef<ModuleOp> loadModel(StringRef path, MLIRContext *context,
                                const ONNXImportOptions &options);

/// The category of the model tools' own options; their --help shows only
/// these, not the LLVM options linked in.
llvm::cl::OptionCategory &modelToolCategory();

/// The command-line options of the model tools (tern-run, tern-compile)
/// that mean the same in both: the CPU to generate code for and the ternary
/// kernels. (--input-shape is ONNX import's: registerONNXImportCLOptions.) A
/// tool declares one instance at namespace scope, so that the options exist
/// when it parses its command line.
struct ModelToolOptions {
  llvm::cl::opt<std::string> cpu{
      "cpu", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("Instruction set of the generated code: x86-64-v3 "
                     "(AVX2, the default, runs on any AVX2 machine), "
                     "x86-64-v4 (AVX-512), native (this machine), or an "
                     "LLVM CPU name"),
      llvm::cl::init("x86-64-v3")};
  llvm::cl::opt<KernelActivations> ternaryActivations{
      "ternary-activations", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("Activations of the ternary matmul kernels"),
      llvm::cl::init(KernelActivations::F32), kernelActivationsValues()};
  llvm::cl::opt<std::string> ternaryInt8Dot{
      "ternary-int8-dot", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With --ternary-activations=int8, how the kernels "
                     "combine codes and activations: 'auto' (the fastest "
                     "--cpu has, the default), 'none' (16-bit add/sub, no "
                     "multiplication), 'generic', 'pmaddubsw' or "
                     "'vpdpbusd'"),
      llvm::cl::init("auto")};
  llvm::cl::opt<bool> ternaryBase3Direct{
      "ternary-base3-direct", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With int8 dot products, read base-3 weights "
                     "(tern-ternarize packing=base3, 1.6 bits) as such, "
                     "decoded by byte lookups, instead of as 2-bit codes: a "
                     "fifth fewer bytes a token (default: on where --cpu "
                     "has vpdpbusd on 512-bit registers and VBMI's "
                     "vpermi2b; =true also with --ternary-int8-dot=generic "
                     "or pmaddubsw, =false repacks them; docs/Kernels.md)"),
      llvm::cl::init(false)};
  llvm::cl::opt<bool> ternarySherryDirect{
      "ternary-sherry-direct", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With int8 dot products (vpdpbusd on 512-bit registers, "
                     "or generic), read Sherry's 3:4 weights (tern-ternarize "
                     "method=sherry) as 5-bit quad fields, 1.33 bits, "
                     "instead of as 2-bit codes (the default; "
                     "=false repacks them, docs/Kernels.md)"),
      llvm::cl::init(true)};
  llvm::cl::opt<bool> ternarySherryLookups{
      "ternary-sherry-lookups", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With Sherry's fields read as such on 512-bit "
                     "registers, compute a single activation row (a "
                     "decoder's step) by vpermw lookups in tables of sums "
                     "of its activations (the default; =false decodes the "
                     "fields for dot products, docs/Kernels.md)"),
      llvm::cl::init(true)};
  llvm::cl::opt<bool> ternaryKeptInt8Dot{
      "ternary-kept-int8-dot", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With int8 dot products, run the "
                     "layers tern-ternarize kept in int8 (keep=int8, e.g. "
                     "the lm_head) on the same int8 activations: one dot "
                     "product per 4 weights instead of widening each to f32 "
                     "(the default; =false keeps their activations f32, "
                     "docs/Kernels.md)"),
      llvm::cl::init(true)};
  llvm::cl::opt<int64_t> ternaryRowTileRegisters{
      "ternary-row-tile-registers", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With int8 dot products, registers of output rows a "
                     "tile computes for a single activation row (a "
                     "decoder's step) on long rows of codes (more than 16 "
                     "KiB a block): each register a stream of codes "
                     "(0, the default: 4 with vpdpbusd on 512-bit "
                     "registers for 2-bit and base-3 codes, else 2; "
                     "docs/Kernels.md, \"Cold weights\")"),
      llvm::cl::init(0)};
  llvm::cl::opt<bool> fuseSiblingMatmuls{
      "fuse-sibling-matmuls", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("Merge ternary matmuls that read the same activations "
                     "(a decoder's q, k and v; gate and up) into one kernel "
                     "call (the default; =false keeps one call each, "
                     "docs/Kernels.md)"),
      llvm::cl::init(true)};

  llvm::cl::opt<std::string> compileCache{
      "compile-cache", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("Keep compiled models in this folder, so that the next "
                     "run of the same model and options starts at once "
                     "(default: $TERN_CACHE_DIR, else $XDG_CACHE_HOME/tern, "
                     "else ~/.cache/tern; 'none': no cache)"),
      llvm::cl::init("")};

  /// The folder of --compile-cache, or "" for none.
  std::string compileCacheDir() const;

  /// --cpu (resolveCPU), --ternary-activations, and --ternary-int8-dot
  /// resolved for that CPU (resolveInt8Dot).
  llvm::Expected<CPUKernelOptions> resolveKernels() const;
};

} // namespace mlir::tern

#endif // TERN_DRIVER_DRIVER_H
