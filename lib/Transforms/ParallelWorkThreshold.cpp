//===- ParallelWorkThreshold.cpp - fork threads only for enough work ------===//
//
// This file implements tern-parallel-work-threshold: an `if` clause on every
// OpenMP region around a worksharing loop, true when the loop's estimated
// work (iterations, known when the model runs, times the ops of one
// iteration) pays for forking and joining the threads.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tern {
#define GEN_PASS_DEF_PARALLELWORKTHRESHOLD
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The ops `region` of `parallel` executes: one per op, loops counted by
/// their trip counts: static ones as constants, dynamic ones computed
/// before `parallel` when their bounds are defined outside it (a decoder's
/// loop over its keys), else `dynamicTrips`. Built at `b`'s insertion
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
  Value work = constant(0);
  for (Block &block : region)
    for (Operation &op : block) {
      Value own = constant(1);
      for (Region &nested : op.getRegions())
        own = b.createOrFold<arith::AddIOp>(
            loc, own, estimateWork(b, loc, nested, parallel, dynamicTrips));
      Value trips;
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        if (std::optional<APInt> count = loop.getStaticTripCount())
          trips = constant(std::max<int64_t>(count->getSExtValue(), 0));
        else if (outside(loop.getLowerBound()) &&
                 outside(loop.getUpperBound()) && outside(loop.getStep()))
          trips = b.createOrFold<arith::MaxSIOp>(
              loc,
              b.createOrFold<arith::CeilDivSIOp>(
                  loc,
                  b.createOrFold<arith::SubIOp>(loc, loop.getUpperBound(),
                                                loop.getLowerBound()),
                  loop.getStep()),
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

struct ParallelWorkThreshold
    : tern::impl::ParallelWorkThresholdBase<ParallelWorkThreshold> {
  using Base::Base;

  void runOnOperation() override {
    if (minWork < 0 || dynamicTrips < 1) {
      getOperation().emitError()
          << "tern-parallel-work-threshold: min-work must be >= 0 and "
             "dynamic-trips >= 1";
      return signalPassFailure();
    }
    getOperation().walk([&](omp::ParallelOp parallel) {
      if (parallel.getIfExpr())
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
      Value trips;
      for (auto [lower, upper, step] :
           llvm::zip(nest.getLoopLowerBounds(), nest.getLoopUpperBounds(),
                     nest.getLoopSteps())) {
        if (!lower.getType().isIndex())
          return;
        Value span = arith::SubIOp::create(b, loc, upper, lower);
        Value count = arith::CeilDivSIOp::create(b, loc, span, step);
        trips = trips ? arith::MulIOp::create(b, loc, trips, count) : count;
      }
      if (!trips)
        return;
      Value perIteration =
          estimateWork(b, loc, nest.getRegion(), parallel, dynamicTrips);
      Value enough;
      if (std::optional<int64_t> work = getConstantIntValue(perIteration)) {
        // trips * work >= minWork, without overflow:
        // trips >= ceil(minWork / work).
        int64_t perStep = std::max<int64_t>(*work, 1);
        int64_t needed = (minWork + perStep - 1) / perStep;
        enough = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sge, trips,
            arith::ConstantIndexOp::create(b, loc, needed));
      } else {
        // Known when the model runs (trips clamped to 2^20, the work to
        // 2^40: no overflow).
        Value total = arith::MulIOp::create(
            b, loc,
            arith::MinSIOp::create(
                b, loc, trips,
                arith::ConstantIndexOp::create(b, loc, int64_t(1) << 20)),
            perIteration);
        enough = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sge, total,
            arith::ConstantIndexOp::create(b, loc, minWork));
      }
      parallel.getIfExprMutable().assign(enough);
      // The estimate's folded leftovers.
      Block *block = parallel->getBlock();
      Block::iterator first =
          before ? std::next(before->getIterator()) : block->begin();
      SmallVector<Operation *> created;
      for (Operation &op : llvm::make_range(first, parallel->getIterator()))
        created.push_back(&op);
      for (Operation *op : llvm::reverse(created))
        if (isOpTriviallyDead(op))
          op->erase();
    });
  }
};

} // namespace
