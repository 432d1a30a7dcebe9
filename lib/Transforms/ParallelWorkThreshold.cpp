//===- ParallelWorkThreshold.cpp - fork threads only for enough work ------===//
//
// This file implements tern-parallel-work-threshold: parallel loops whose
// estimated work (iterations, known when the model runs, times the ops of
// one iteration) does not pay for forking and joining the threads run as
// sequential loops, outside the OpenMP runtime, or, for large loops whose
// work is known only when the model runs, in an OpenMP region whose `if`
// clause forks the threads only for enough work.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <functional>

namespace mlir::tern {
#define GEN_PASS_DEF_PARALLELWORKTHRESHOLD
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The ops `region` of `parallel` executes: one per op, loops counted by
/// their trip counts: static ones as constants, dynamic ones computed
/// before `parallel` when their bounds are defined outside it or computed
/// in it from such values by pure ops (a decoder's loop over its keys, in
/// tiles), else `dynamicTrips`. Built at `b`'s insertion
/// point; constants fold, so a static estimate is an arith.constant.
Value estimateWork(OpBuilder &b, Location loc, Region &region,
                   Operation *parallel, int64_t dynamicTrips) {
  constexpr int64_t kMax = int64_t(1) << 40;
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  auto saturate = [&](Value value) -> Value {
    return b.createOrFold<arith::MinSIOp>(loc, value, constant(kMax));
  };
  auto outside = [&](Value value) {
    return !parallel->getRegion(0).isAncestor(value.getParentRegion());
  };
  // A bound the region computes from values defined outside it (an
  // affine.apply of the number of keys, say) is computed again before
  // `parallel` (pure ops only: a division that could trap stays); null
  // when it depends on the iterations or on memory.
  std::function<Value(Value, int)> hoist = [&](Value value,
                                               int depth) -> Value {
    if (outside(value))
      return value;
    Operation *def = value.getDefiningOp();
    if (!def || depth == 0 || def->getNumRegions() != 0 || !isPure(def))
      return {};
    IRMapping mapping;
    for (Value operand : def->getOperands()) {
      Value hoisted = hoist(operand, depth - 1);
      if (!hoisted)
        return {};
      mapping.map(operand, hoisted);
    }
    return b.clone(*def, mapping)
        ->getResult(cast<OpResult>(value).getResultNumber());
  };
  Value work = constant(0);
  for (Block &block : region)
    for (Operation &op : block) {
      Value own = constant(1);
      for (Region &nested : op.getRegions())
        own = b.createOrFold<arith::AddIOp>(
            loc, own, estimateWork(b, loc, nested, parallel, dynamicTrips));
      Value trips;
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        constexpr int kHoistDepth = 4;
        Value lower, upper, step;
        if (std::optional<APInt> count = loop.getStaticTripCount())
          trips = constant(std::max<int64_t>(count->getSExtValue(), 0));
        else if ((lower = hoist(loop.getLowerBound(), kHoistDepth)) &&
                 (upper = hoist(loop.getUpperBound(), kHoistDepth)) &&
                 (step = hoist(loop.getStep(), kHoistDepth)))
          trips = b.createOrFold<arith::MaxSIOp>(
              loc,
              b.createOrFold<arith::CeilDivSIOp>(
                  loc, b.createOrFold<arith::SubIOp>(loc, upper, lower), step),
              constant(0));
        else
          trips = constant(dynamicTrips);
      } else if (isa<scf::WhileOp>(op)) {
        trips = constant(dynamicTrips);
      }
      if (trips)
        own = saturate(b.createOrFold<arith::MulIOp>(loc, own, trips));
      // Sums of terms each below 2^40 do not overflow.
      work = b.createOrFold<arith::AddIOp>(loc, work, own);
    }
  return work;
}

/// Marks the `scf.if` that runs a parallel loop's threads only with enough
/// work (its then-branch) and the same loop, sequential, otherwise.
constexpr llvm::StringLiteral kEnoughWork = "tern.enough_work";

/// Iterations of a loop nest, when the model runs; null for non-index
/// bounds.
Value countTrips(OpBuilder &b, Location loc, ValueRange lowers,
                 ValueRange uppers, ValueRange steps) {
  Value trips;
  for (auto [lower, upper, step] : llvm::zip(lowers, uppers, steps)) {
    if (!lower.getType().isIndex())
      return {};
    Value span = b.createOrFold<arith::SubIOp>(loc, upper, lower);
    Value count = b.createOrFold<arith::CeilDivSIOp>(loc, span, step);
    trips = trips ? b.createOrFold<arith::MulIOp>(loc, trips, count) : count;
  }
  return trips;
}

/// Whether `trips` iterations of `perIteration` ops reach `minWork`: an i1,
/// a constant when both are.
Value reachesMinWork(OpBuilder &b, Location loc, Value trips,
                     Value perIteration, int64_t minWork) {
  if (std::optional<int64_t> work = getConstantIntValue(perIteration)) {
    // trips * work >= minWork, without overflow:
    // trips >= ceil(minWork / work).
    int64_t perStep = std::max<int64_t>(*work, 1);
    int64_t needed = (minWork + perStep - 1) / perStep;
    return b.createOrFold<arith::CmpIOp>(
        loc, arith::CmpIPredicate::sge, trips,
        arith::ConstantIndexOp::create(b, loc, needed));
  }
  // Known when the model runs (trips clamped to 2^20, the work to 2^40: no
  // overflow).
  Value total = arith::MulIOp::create(
      b, loc,
      arith::MinSIOp::create(
          b, loc, trips,
          arith::ConstantIndexOp::create(b, loc, int64_t(1) << 20)),
      perIteration);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, total,
                               arith::ConstantIndexOp::create(b, loc, minWork));
}

/// Erases what the estimate built before `op` (after `before`, or from the
/// start of the block) and left unused.
void eraseUnused(Operation *before, Operation *op) {
  Block *block = op->getBlock();
  Block::iterator first =
      before ? std::next(before->getIterator()) : block->begin();
  SmallVector<Operation *> created;
  for (Operation &built : llvm::make_range(first, op->getIterator()))
    created.push_back(&built);
  for (Operation *built : llvm::reverse(created))
    if (isOpTriviallyDead(built))
      built->erase();
}

struct ParallelWorkThreshold
    : tern::impl::ParallelWorkThresholdBase<ParallelWorkThreshold> {
  using Base::Base;

  void runOnOperation() override {
    if (minWork < 0 || dynamicTrips < 1 || maxVersionedOps < 0) {
      getOperation().emitError()
          << "tern-parallel-work-threshold: min-work and max-versioned-ops "
             "must be >= 0 and dynamic-trips >= 1";
      return signalPassFailure();
    }
    // Before OpenMP: the outermost parallel loops.
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() &&
          !loop->getParentOfType<omp::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(scheduleLoop(loop)))
        return signalPassFailure();
    // After OpenMP: regions around a worksharing loop.
    getOperation().walk(
        [&](omp::ParallelOp parallel) { guardRegion(parallel); });
  }

  /// Before OpenMP: a loop with too little work becomes sequential loops,
  /// which run on the calling thread without entering the OpenMP runtime
  /// (whose serialized regions cost about a microsecond each). When that is
  /// known only at run time, a small loop is versioned: `scf.if` on its
  /// work, the parallel loop in one branch, sequential loops in the other.
  /// Larger ones are left to an `if` clause on their OpenMP region.
  LogicalResult scheduleLoop(scf::ParallelOp loop) {
    bool nested = false;
    loop.getRegion().walk([&](scf::ParallelOp) { nested = true; });
    if (loop.getNumResults() != 0 || nested)
      return success();
    Operation *before = loop->getPrevNode();
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value trips = countTrips(b, loc, loop.getLowerBound(), loop.getUpperBound(),
                             loop.getStep());
    if (!trips)
      return success();
    Value perIteration =
        estimateWork(b, loc, loop.getRegion(), loop, dynamicTrips);
    Value enough = reachesMinWork(b, loc, trips, perIteration, minWork);
    std::optional<int64_t> known = getConstantIntValue(enough);
    int64_t ops = 0;
    loop->walk([&](Operation *) { ++ops; });
    if ((known && *known) || (!known && ops > maxVersionedOps)) {
      eraseUnused(before, loop);
      return success();
    }
    IRRewriter rewriter(loop);
    if (!known) {
      auto branch = scf::IfOp::create(b, loc, enough, /*withElse=*/true);
      branch->setAttr(kEnoughWork, b.getUnitAttr());
      b.setInsertionPoint(branch.thenBlock()->getTerminator());
      b.clone(*loop);
      loop->moveBefore(branch.elseBlock()->getTerminator());
      eraseUnused(before, branch);
    } else {
      eraseUnused(before, loop);
    }
    rewriter.setInsertionPoint(loop);
    if (failed(scf::parallelForToNestedFors(rewriter, loop)))
      return loop.emitOpError("tern-parallel-work-threshold: could not run "
                              "this loop sequentially");
    return success();
  }

  /// After OpenMP: an `if` clause that forks the threads only for enough
  /// work.
  void guardRegion(omp::ParallelOp parallel) {
    if (parallel.getIfExpr())
      return;
    // Versioned before OpenMP: this branch runs only with enough work.
    if (auto branch = dyn_cast<scf::IfOp>(parallel->getParentOp()))
      if (branch->hasAttr(kEnoughWork) &&
          parallel->getParentRegion() == &branch.getThenRegion())
        return;
    omp::LoopNestOp nest;
    parallel.walk([&](omp::LoopNestOp op) {
      if (!nest)
        nest = op;
    });
    if (!nest || nest->getParentOfType<omp::ParallelOp>() != parallel)
      return;
    // Iterations of the worksharing loop, when the model runs.
    Operation *before = parallel->getPrevNode();
    OpBuilder b(parallel);
    Location loc = parallel.getLoc();
    Value trips = countTrips(b, loc, nest.getLoopLowerBounds(),
                             nest.getLoopUpperBounds(), nest.getLoopSteps());
    if (!trips)
      return;
    Value perIteration =
        estimateWork(b, loc, nest.getRegion(), parallel, dynamicTrips);
    Value enough = reachesMinWork(b, loc, trips, perIteration, minWork);
    // Enough work whatever the sizes: the region always forks.
    std::optional<int64_t> known = getConstantIntValue(enough);
    if (!known || !*known)
      parallel.getIfExprMutable().assign(enough);
    eraseUnused(before, parallel);
  }
};

} // namespace
