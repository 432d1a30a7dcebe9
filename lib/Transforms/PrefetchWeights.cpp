//===- PrefetchWeights.cpp - prefetch streamed constant weights -----------===//
//
// This file implements tern-prefetch-weights: a prefetch, a fixed distance
// ahead, of each vector read of constant data that an innermost loop
// streams through (a ternary kernel's codes, a float layer's weights).
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::tern {
#define GEN_PASS_DEF_PREFETCHWEIGHTS
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The constant buffer `value` views, or null.
memref::GetGlobalOp constantBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto global = dyn_cast<memref::GetGlobalOp>(def))
      return global;
    if (!isa<ViewLikeOpInterface>(def))
      return nullptr;
    value = cast<ViewLikeOpInterface>(def).getViewSource();
  }
  return nullptr;
}

/// Whether `value` depends on `iv` through index arithmetic.
bool advancesWith(Value value, Value iv) {
  if (value == iv)
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || def->getNumRegions() != 0 ||
      !isa<arith::ArithDialect>(def->getDialect()))
    return false;
  return llvm::any_of(def->getOperands(),
                      [&](Value operand) { return advancesWith(operand, iv); });
}

struct PrefetchWeights : tern::impl::PrefetchWeightsBase<PrefetchWeights> {
  using Base::Base;

  void runOnOperation() override {
    if (distance < 0) {
      getOperation().emitError()
          << "tern-prefetch-weights: distance must be >= 0";
      return signalPassFailure();
    }
    if (distance == 0)
      return;
    getOperation().walk([&](vector::TransferReadOp read) {
      auto loop = dyn_cast<scf::ForOp>(read->getParentOp());
      if (!loop || read.getIndices().empty() ||
          !isa<MemRefType>(read.getBase().getType()) ||
          !constantBuffer(read.getBase()) ||
          !advancesWith(read.getIndices().back(), loop.getInductionVar()))
        return;
      // Only innermost loops: an outer loop's reads are not the stream.
      bool innermost = true;
      loop.getBody()->walk([&](LoopLikeOpInterface) { innermost = false; });
      if (!innermost)
        return;
      // `distance` bytes ahead, in elements of the buffer.
      auto type = cast<MemRefType>(read.getBase().getType());
      int64_t elementBytes =
          std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
      int64_t ahead = std::max<int64_t>(distance / elementBytes, 1);
      OpBuilder b(read);
      Location loc = read.getLoc();
      SmallVector<Value> indices(read.getIndices());
      indices.back() =
          arith::AddIOp::create(b, loc, indices.back(),
                                arith::ConstantIndexOp::create(b, loc, ahead));
      memref::PrefetchOp::create(b, loc, read.getBase(), indices,
                                 /*isWrite=*/false, /*localityHint=*/0,
                                 /*isDataCache=*/true);
    });
  }
};

} // namespace
