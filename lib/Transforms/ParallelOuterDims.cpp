//===- ParallelOuterDims.cpp - distribute the outer parallel dimensions ---===//
//
// This file implements tern-parallel-outer-dims: the inner dimensions of a
// multi-dimensional scf.parallel whose outer dimensions already have enough
// iterations become sequential loops in its body, so that OpenMP's
// collapsed loop does not divide its index into every dimension at every
// iteration.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace mlir::tern {
#define GEN_PASS_DEF_PARALLELOUTERDIMS
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// The static trip count of dimension `dim` of `loop`, 1 when dynamic.
int64_t staticTrips(scf::ParallelOp loop, unsigned dim) {
  APInt lower, upper, step;
  if (!matchPattern(loop.getLowerBound()[dim], m_ConstantInt(&lower)) ||
      !matchPattern(loop.getUpperBound()[dim], m_ConstantInt(&upper)) ||
      !matchPattern(loop.getStep()[dim], m_ConstantInt(&step)) ||
      step.getSExtValue() <= 0)
    return 1;
  int64_t span = upper.getSExtValue() - lower.getSExtValue();
  return span <= 0 ? 0 : (span + step.getSExtValue() - 1) / step.getSExtValue();
}

/// The dimensions of `loop` to keep parallel: the shortest prefix with at
/// least `minIterations` static iterations, or all of them.
unsigned parallelPrefix(scf::ParallelOp loop, int64_t minIterations) {
  unsigned dims = loop.getNumLoops();
  int64_t iterations = 1;
  for (unsigned dim = 0; dim < dims; ++dim) {
    iterations *= staticTrips(loop, dim);
    if (iterations == 0)
      return dims;
    if (iterations >= minIterations)
      return dim + 1;
  }
  return dims;
}

/// Rewrites `loop` into a parallel loop over its first `keep` dimensions
/// around sequential loops over the others.
void distributeOuterDims(scf::ParallelOp loop, unsigned keep) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  auto prefix = [](ValueRange values, unsigned n) {
    return values.take_front(n);
  };
  auto suffix = [](ValueRange values, unsigned n) {
    return values.drop_front(n);
  };
  Block *body = loop.getBody();
  auto outer = scf::ParallelOp::create(
      b, loc, prefix(loop.getLowerBound(), keep),
      prefix(loop.getUpperBound(), keep), prefix(loop.getStep(), keep),
      [&](OpBuilder &pb, Location pl, ValueRange outerIvs) {
        scf::buildLoopNest(
            pb, pl, suffix(loop.getLowerBound(), keep),
            suffix(loop.getUpperBound(), keep), suffix(loop.getStep(), keep),
            [&](OpBuilder &fb, Location, ValueRange innerIvs) {
              IRMapping mapping;
              mapping.map(body->getArguments().take_front(keep), outerIvs);
              mapping.map(body->getArguments().drop_front(keep), innerIvs);
              for (Operation &op : body->without_terminator())
                fb.clone(op, mapping);
            });
      });
  outer->setDiscardableAttrs(loop->getDiscardableAttrDictionary());
  loop.erase();
}

struct ParallelOuterDimsPass
    : public mlir::tern::impl::ParallelOuterDimsBase<ParallelOuterDimsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minIterations < 1) {
      getOperation().emitError("tern-parallel-outer-dims: min-iterations "
                               "must be at least 1, got ")
          << minIterations.getValue();
      return signalPassFailure();
    }
    SmallVector<std::pair<scf::ParallelOp, unsigned>> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop.getNumReductions() != 0 || loop.getNumLoops() < 2)
        return;
      unsigned keep = parallelPrefix(loop, minIterations);
      if (keep < loop.getNumLoops())
        loops.push_back({loop, keep});
    });
    for (auto [loop, keep] : loops)
      distributeOuterDims(loop, keep);
  }
};

} // namespace
