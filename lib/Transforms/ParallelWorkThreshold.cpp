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

namespace mlir::tern {
#define GEN_PASS_DEF_PARALLELWORKTHRESHOLD
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The ops `region` executes: one per op, loops counted by their trip
/// counts (`dynamicTrips` when not constant), saturating.
int64_t estimateWork(Region &region, int64_t dynamicTrips) {
  constexpr int64_t kMax = int64_t(1) << 40;
  int64_t work = 0;
  for (Block &block : region)
    for (Operation &op : block) {
      int64_t own = 1;
      for (Region &nested : op.getRegions())
        own += estimateWork(nested, dynamicTrips);
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        std::optional<APInt> trips = loop.getStaticTripCount();
        own *=
            trips ? std::max<int64_t>(trips->getSExtValue(), 0) : dynamicTrips;
      } else if (isa<scf::WhileOp>(op)) {
        own *= dynamicTrips;
      }
      work = std::min(work + own, kMax);
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
      int64_t perIteration =
          std::max<int64_t>(estimateWork(nest.getRegion(), dynamicTrips), 1);
      // trips * perIteration >= minWork, without overflow:
      // trips >= ceil(minWork / perIteration).
      int64_t needed = (minWork + perIteration - 1) / perIteration;
      Value enough =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, trips,
                                arith::ConstantIndexOp::create(b, loc, needed));
      parallel.getIfExprMutable().assign(enough);
    });
  }
};

} // namespace
