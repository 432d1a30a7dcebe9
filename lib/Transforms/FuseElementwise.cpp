//===- FuseElementwise.cpp - elementwise chains in one loop nest ----------===//
//
// This file implements tern-fuse-elementwise: upstream's elementwise fusion
// of linalg.generic ops, limited to producers whose only user is the
// consumer and which the consumer reads once per element (or which only
// move data), so that fusion never repeats work.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_FUSEELEMENTWISE
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// Whether `op`'s body only yields one of its inputs (a broadcast, a
/// transpose or a copy).
bool onlyMovesData(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 1)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return llvm::all_of(yield.getValues(), [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == &body &&
           arg.getArgNumber() < op.getNumDpsInputs();
  });
}

bool shouldFuse(OpOperand *fused) {
  auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
  if (!producer || !consumer || !producer->hasOneUse())
    return false;
  if (onlyMovesData(producer))
    return true;
  // Each element of the producer read once: the operand's map uses every
  // loop of the consumer.
  AffineMap map = consumer.getMatchingIndexingMap(fused);
  return map.isPermutation();
}

struct FuseElementwise : tern::impl::FuseElementwiseBase<FuseElementwise> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
