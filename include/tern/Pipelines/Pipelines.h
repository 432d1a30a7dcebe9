//===- Pipelines.h - tern pass pipelines ------------------------*- C++ -*-===//
//
// This file declares the pass pipelines tern registers with tern-opt and
// offers to build pipelines of their own.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_PIPELINES_PIPELINES_H
#define TERN_PIPELINES_PIPELINES_H

#include "tern/Target/CPU/TargetCPU.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::tern {

/// Options of the reference pipeline, tern -> float linalg -> LLVM dialect.
struct ReferencePipelineOptions
    : public PassPipelineOptions<ReferencePipelineOptions> {
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Give every function a C interface wrapper "
                     "(_mlir_ciface_*) so that C and mlir-runner can call it"),
      llvm::cl::init(false)};
};

/// Lowers a module of tern ops on tensors through the reference lowering
/// (convert-tern-to-linalg), bufferization and loops to the LLVM dialect,
/// ready for mlir-runner or mlir-translate.
void buildReferenceToLLVMPipeline(OpPassManager &pm,
                                  const ReferencePipelineOptions &options);

/// Registers `tern-reference-to-llvm` with the pass registry.
/// Options of tern-cpu-pipeline.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Give every function a C interface wrapper "
                     "(_mlir_ciface_*) so that C and mlir-runner can call it"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the parallel loops of every op with OpenMP (the "
                     "program then needs libomp)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of the target's SIMD registers: 8 for AVX2 "
                     "(the default), 16 for AVX-512"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> ternaryKernels{
      *this, "ternary-kernels",
      llvm::cl::desc("Lower tern.matmul with constant weights to add/sub "
                     "vector kernels (convert-tern-to-vector); off: through "
                     "the reference lowering, as float matmuls"),
      llvm::cl::init(true)};
  PassOptions::Option<KernelActivations> ternaryActivations{
      *this, "ternary-activations",
      llvm::cl::desc("Activations of the ternary kernels "
                     "(convert-tern-to-vector's activations)"),
      llvm::cl::init(KernelActivations::F32), kernelActivationsValues()};
  PassOptions::Option<Int8Dot> ternaryInt8Dot{
      *this, "ternary-int8-dot",
      llvm::cl::desc("With int8 activations, how the kernels combine codes "
                     "and activations (convert-tern-to-vector's int8-dot)"),
      llvm::cl::init(Int8Dot::None), int8DotValues()};
  PassOptions::Option<bool> ternaryBase3Direct{
      *this, "ternary-base3-direct",
      llvm::cl::desc("Read base-3 weights as such in the int8 dot-product "
                     "kernels (convert-tern-to-vector's base3-direct)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> ternarySherryDirect{
      *this, "ternary-sherry-direct",
      llvm::cl::desc("Read Sherry's 3:4 weights as 5-bit quad fields in the "
                     "int8 dot-product kernels (convert-tern-to-vector's "
                     "sherry-direct)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> ternarySherryLookups{
      *this, "ternary-sherry-lookups",
      llvm::cl::desc("Read Sherry's fields for single activation rows by "
                     "table lookups (convert-tern-to-vector's "
                     "sherry-lookups)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> ternaryKeptInt8Dot{
      *this, "ternary-kept-int8-dot",
      llvm::cl::desc("With int8 dot products, run "
                     "the layers kept in int8 on the int8 activations too "
                     "(convert-tern-to-vector's kept-int8-dot)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> ternaryRowTileRegisters{
      *this, "ternary-row-tile-registers",
      llvm::cl::desc("Registers of output rows a dot-product tile computes "
                     "for a single activation row on long rows of codes "
                     "(convert-tern-to-vector's row-tile-registers; 0: "
                     "automatic)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> fuseSiblingMatmuls{
      *this, "fuse-sibling-matmuls",
      llvm::cl::desc("Merge the ternary matmuls that read the same "
                     "activations into one kernel call "
                     "(tern-fuse-sibling-matmuls)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile and vectorize linalg ops (off: every op becomes "
                     "parallel scalar loops)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> weightPrefetch{
      *this, "weight-prefetch",
      llvm::cl::desc("Prefetch streamed constant weights this many bytes "
                     "ahead (tern-prefetch-weights' distance; 0: off)"),
      llvm::cl::init(2048)};
  PassOptions::Option<int64_t> parallelMinWork{
      *this, "parallel-min-work",
      llvm::cl::desc("Estimated ops below which a parallel loop runs on the "
                     "calling thread (tern-parallel-work-threshold's "
                     "min-work)"),
      llvm::cl::init(5000)};
};

/// Builds tern-cpu-pipeline: imported float graphs and tern ops (matmuls
/// with constant weights through add/sub kernels, the rest through their
/// reference lowering) to the LLVM dialect, with the parallel loops
/// of every op run by OpenMP.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

void registerTernPipelines();

} // namespace mlir::tern

#endif // TERN_PIPELINES_PIPELINES_H
