//===- Pipelines.cpp - tern pass pipelines --------------------------------===//
//
// This file assembles tern's pass pipelines from tern and upstream passes.
//
//===----------------------------------------------------------------------===//

#include "tern/Pipelines/Pipelines.h"
#include "tern/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::tern::buildReferenceToLLVMPipeline(
    OpPassManager &pm, const ReferencePipelineOptions &options) {
  pm.addPass(createConvertTernToLinalg());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Deallocation clones buffers that escape (a returned constant, say).
  pm.addPass(createConvertBufferizationToMemRefPass());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.emitCInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::tern::registerTernPipelines() {
  PassPipelineRegistration<ReferencePipelineOptions>(
      "tern-reference-to-llvm",
      "Lower tern to the LLVM dialect through the reference semantics "
      "(dequantize, then multiply); for testing and as an oracle",
      buildReferenceToLLVMPipeline);
}
