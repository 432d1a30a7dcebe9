//===- Pipelines.cpp - tern pass pipelines --------------------------------===//
//
// This file assembles tern's pass pipelines from tern and upstream passes.
//
//===----------------------------------------------------------------------===//

#include "tern/Pipelines/Pipelines.h"
#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/Transforms/Passes.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// Tensors to buffers, with the buffers that escape copied and freed.
static void addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // Contiguous arguments and results: vector loads need unit inner strides.
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops (recurrent layers, ONNX Loop and Scan) may carry a fresh buffer
  // from one iteration to the next; the deallocation pipeline frees it.
  bufferize.allowReturnAllocsFromLoops = true;
  // Producers of padded or concatenated tensors write into the result.
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Deallocation clones buffers that escape (a returned constant, say).
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Free intermediate buffers after their last use, not at the end.
  pm.addNestedPass<func::FuncOp>(tern::createDeallocAfterLastUse());
}

/// Loops and memrefs to the LLVM dialect. Memrefs are lowered before
/// scf-to-cf: OpenMP regions keep their memref.alloca_scope, which must be
/// lowered before scf-to-cf splits their bodies into blocks.
/// With OpenMP, loops of fewer than `minWork` estimated ops run on the
/// calling thread (tern-parallel-work-threshold).
static void addLoweringToLLVM(OpPassManager &pm, bool cInterface, bool openMP,
                              int64_t minWork) {
  if (openMP) {
    // Loops with little work (most ops of a decoder's step) run on the
    // calling thread, as plain loops when that is known before the model
    // runs or the loop is small, else in an OpenMP region that forks the
    // other threads only for enough work.
    tern::ParallelWorkThresholdOptions threshold;
    threshold.minWork = minWork;
    pm.addPass(tern::createParallelWorkThreshold(threshold));
    // Threads share the outer dimensions of a loop nest, and each runs the
    // inner ones as loops: no division per iteration in OpenMP's collapsed
    // index.
    pm.addNestedPass<func::FuncOp>(tern::createParallelOuterDims());
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(tern::createParallelWorkThreshold(threshold));
    // One barrier a region, its join: not the worksharing loop's as well.
    pm.addPass(tern::createWsloopNowait());
  }
  if (cInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  // Copies between strided buffers as loops LLVM vectorizes, not calls of
  // the runner utilities' element-by-element memrefCopy.
  pm.addNestedPass<func::FuncOp>(tern::createLowerStridedCopies());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Before scf-to-cf (OpenMP regions keep their memref.alloca_scope), and
  // for memref.reshape of dynamic shapes, which convert-to-llvm leaves.
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(tern::createLowerMathForCPU());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::tern::buildReferenceToLLVMPipeline(
    OpPassManager &pm, const ReferencePipelineOptions &options) {
  pm.addPass(createConvertTernToLinalg());
  pm.addPass(createCanonicalizerPass());
  addBufferization(pm);
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  addLoweringToLLVM(pm, options.emitCInterface, /*openMP=*/false,
                    /*minWork=*/0);
}

void mlir::tern::buildCPUPipeline(OpPassManager &pm,
                                  const CPUPipelineOptions &options) {
  // One kernel call, one parallel region and one pass over the activations
  // for a decoder layer's q, k and v (and its gate and up) projections.
  if (options.fuseSiblingMatmuls)
    pm.addNestedPass<func::FuncOp>(createFuseSiblingMatmuls());
  if (options.ternaryKernels) {
    ConvertTernToVectorOptions kernels;
    kernels.vectorWidth = options.vectorWidth;
    kernels.activations = options.ternaryActivations;
    kernels.int8Dot = options.ternaryInt8Dot;
    kernels.base3Direct = options.ternaryBase3Direct;
    kernels.sherryDirect = options.ternarySherryDirect;
    kernels.sherryLookups = options.ternarySherryLookups;
    kernels.rowTileRegisters = options.ternaryRowTileRegisters;
    kernels.keptInt8Dot = options.ternaryKeptInt8Dot;
    pm.addPass(createConvertTernToVector(kernels));
  }
  pm.addPass(createConvertTernToLinalg());
  pm.addPass(createCanonicalizerPass());
  if (options.vectorize) {
    // One loop nest (and no buffer in between) for elementwise chains.
    pm.addNestedPass<func::FuncOp>(createFuseElementwise());
    TileAndVectorizeOptions schedule;
    schedule.vectorWidth = options.vectorWidth;
    pm.addNestedPass<func::FuncOp>(createTileAndVectorize(schedule));
    // No CSE here: it would merge the loops of identical fills that
    // tern-tile-and-vectorize gave each consumer, and bufferization would
    // copy the shared result again.
    pm.addPass(createCanonicalizerPass());
  }
  addBufferization(pm);
  // Tiles and the parallel dimensions of every other linalg op become
  // scf.parallel, which OpenMP runs on the threads the runtime is given
  // (OMP_NUM_THREADS).
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertTernDotToLLVM());
  // Weights stream from memory when a decoder generates: read them ahead.
  tern::PrefetchWeightsOptions prefetch;
  prefetch.distance = options.weightPrefetch;
  pm.addNestedPass<func::FuncOp>(tern::createPrefetchWeights(prefetch));
  pm.addNestedPass<func::FuncOp>(createLowerVectorForCPU());
  // Tiles written back onto themselves: the same subview twice, then a
  // self-copy that folds away.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  addLoweringToLLVM(pm, options.emitCInterface, options.parallel,
                    options.parallelMinWork);
}

void mlir::tern::registerTernPipelines() {
  PassPipelineRegistration<ReferencePipelineOptions>(
      "tern-reference-to-llvm",
      "Lower tern to the LLVM dialect through the reference semantics "
      "(dequantize, then multiply); for testing and as an oracle",
      buildReferenceToLLVMPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "tern-cpu-pipeline",
      "Lower imported graphs and tern ops to the LLVM dialect for CPUs: "
      "ternary matmuls to add/sub vector kernels, other tern ops through "
      "their reference lowering, linalg to parallel loops run by OpenMP",
      buildCPUPipeline);
}
