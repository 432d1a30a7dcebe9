//===- WsloopNowait.cpp - no second barrier before a region's join --------===//
//
// This file implements tern-wsloop-nowait: a worksharing loop that ends its
// OpenMP parallel region needs no barrier of its own, since the region's
// join waits for every thread.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir::tern {
#define GEN_PASS_DEF_WSLOOPNOWAIT
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

struct WsloopNowait : tern::impl::WsloopNowaitBase<WsloopNowait> {
  void runOnOperation() override {
    getOperation().walk([](omp::WsloopOp loop) {
      // The loop's own barrier is the join's when nothing in the region
      // runs after it.
      if (isa_and_present<omp::ParallelOp>(loop->getParentOp()) &&
          isa_and_present<omp::TerminatorOp>(loop->getNextNode()))
        loop.setNowait(true);
    });
  }
};

} // namespace
