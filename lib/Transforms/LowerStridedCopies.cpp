//===- LowerStridedCopies.cpp - copies of strided buffers as loops --------===//
//
// This file implements tern-lower-strided-copies: a memref.copy that
// finalize-memref-to-llvm would lower to the runner utilities' generic
// element-by-element memrefCopy becomes a loop nest of loads and stores,
// which LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tern {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIES
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// Whether finalize-memref-to-llvm copies a buffer of `type` with memcpy
/// (the condition of its memref.copy lowering).
bool copiesWithMemcpy(MemRefType type) {
  return type.getLayout().isIdentity() ||
         (type.hasStaticShape() && type.getNumElements() > 0 &&
          memref::isStaticShapeAndContiguousRowMajor(type));
}

struct LowerStridedCopiesPass
    : mlir::tern::impl::LowerStridedCopiesBase<LowerStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (source && target &&
          !(copiesWithMemcpy(source) && copiesWithMemcpy(target)))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      Location loc = copy.getLoc();
      Value source = copy.getSource(), target = copy.getTarget();
      auto type = cast<MemRefType>(source.getType());
      int64_t rank = type.getRank();
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      auto index = [&](int64_t value) -> Value {
        if (value == 0 || value == 1)
          return value ? one : zero;
        return arith::ConstantIndexOp::create(rewriter, loc, value);
      };
      SmallVector<Value> lower(rank, zero), upper, steps(rank, one);
      for (int64_t d = 0; d < rank; ++d)
        upper.push_back(
            type.isDynamicDim(d)
                ? Value(memref::DimOp::create(rewriter, loc, source, index(d)))
                : index(type.getDimSize(d)));
      scf::buildLoopNest(
          rewriter, loc, lower, upper, steps,
          [&](OpBuilder &b, Location l, ValueRange indices) {
            Value element = memref::LoadOp::create(b, l, source, indices);
            memref::StoreOp::create(b, l, element, target, indices);
          });
      rewriter.eraseOp(copy);
    }
  }
};

} // namespace
