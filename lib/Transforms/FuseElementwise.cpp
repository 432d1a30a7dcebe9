//===- FuseElementwise.cpp - elementwise chains in one loop nest ----------===//
//
// This file implements tern-fuse-elementwise: upstream's elementwise fusion
// of linalg.generic ops, limited to producers whose only user is the
// consumer and which the consumer reads once per element (or which only
// move data), so that fusion never repeats work.
//
// Batched contractions (attention's q.k and p.v) also take in the data
// movement that feeds them: a transpose, or a broadcast such as a decoder's
// keys and values repeated for each query head of a group, seen through the
// reshapes around it. The contraction becomes a generic, the reshapes are
// folded into it by expanding its loops, and the producers are fused as
// above: the contraction reads the cache where it is instead of a copy.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
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

/// The op that defines `value`, seen through reshapes.
Operation *producerThroughReshapes(Value value) {
  Operation *def = value.getDefiningOp();
  while (isa_and_present<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
    def = def->getOperand(0).getDefiningOp();
  return def;
}

/// Whether `op` only moves data and has no other user: fusing it into its
/// consumer removes a copy.
bool isFusableDataMovement(Operation *op) {
  if (!op || !op->hasOneUse())
    return false;
  if (isa<linalg::TransposeOp, linalg::BroadcastOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && onlyMovesData(generic);
}

/// Whether some input of `op` is fusable data movement.
bool readsMovedData(linalg::LinalgOp op) {
  return llvm::any_of(op.getDpsInputs(), [](Value input) {
    return isFusableDataMovement(producerThroughReshapes(input));
  });
}

/// A batched matmul, or a transpose, whose input is moved data (through
/// reshapes) becomes a linalg.generic: the form the fusion patterns take.
struct GeneralizeOverMovedData : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<linalg::BatchMatmulOp, linalg::TransposeOp>(op) ||
        !op.hasPureTensorSemantics() || !readsMovedData(op))
      return failure();
    // A transpose is taken only on the way to a contraction.
    if (isa<linalg::TransposeOp>(op)) {
      Operation *user = *op->getUsers().begin();
      while (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user) &&
             user->hasOneUse())
        user = *user->getUsers().begin();
      if (!isa<linalg::BatchMatmulOp, linalg::GenericOp>(user) ||
          !llvm::is_contained(
              cast<linalg::LinalgOp>(user).getIteratorTypesArray(),
              utils::IteratorType::reduction))
        return failure();
    }
    return linalg::generalizeNamedOp(rewriter, op);
  }
};

/// Folds a reshape of moved data into the contraction that reads it, by
/// expanding the contraction's loops (so that the producer fuses next).
bool shouldFoldReshape(OpOperand *fused) {
  auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
  if (!consumer || !llvm::is_contained(consumer.getIteratorTypesArray(),
                                       utils::IteratorType::reduction))
    return false;
  auto reshape = fused->get().getDefiningOp<tensor::CollapseShapeOp>();
  return reshape && reshape->hasOneUse() &&
         isFusableDataMovement(producerThroughReshapes(fused->get()));
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
    patterns.add<GeneralizeOverMovedData>(&getContext());
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns,
                                                      shouldFoldReshape);
    // Sizes read off a producer (tensor.dim) are not uses that keep it.
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
