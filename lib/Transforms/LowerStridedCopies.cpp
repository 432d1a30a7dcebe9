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
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

/// Elements of a 64-byte vector that copies the innermost dimension of
/// `source` into `target`, or 1 when it must be copied element by element:
/// the innermost strides are not both 1, or the elements are not whole
/// bytes (a vector of i1 is packed in memory, a memref of i1 is not).
int64_t vectorLanes(MemRefType source, MemRefType target) {
  Type element = source.getElementType();
  if (source.getRank() == 0 || !element.isIntOrFloat() ||
      element.getIntOrFloatBitWidth() % 8 != 0)
    return 1;
  for (MemRefType type : {source, target}) {
    int64_t offset;
    SmallVector<int64_t> strides;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return 1;
  }
  return std::max<int64_t>(1, 512 / element.getIntOrFloatBitWidth());
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
      SmallVector<Value> upper;
      for (int64_t d = 0; d < rank; ++d)
        upper.push_back(
            type.isDynamicDim(d)
                ? Value(memref::DimOp::create(rewriter, loc, source, index(d)))
                : index(type.getDimSize(d)));
      // Loops over the outer dimensions; the innermost one in vectors of
      // 64 bytes where both buffers have unit stride there (LLVM does not
      // vectorize these loops on its own: it cannot tell that the buffers
      // do not overlap), then one element at a time.
      int64_t lanes = vectorLanes(type, cast<MemRefType>(target.getType()));
      int64_t outer = rank == 0 ? 0 : rank - 1;
      scf::buildLoopNest(
          rewriter, loc, SmallVector<Value>(outer, zero),
          ArrayRef(upper).take_front(outer), SmallVector<Value>(outer, one),
          [&](OpBuilder &b, Location l, ValueRange outerIndices) {
            if (rank == 0) {
              Value element = memref::LoadOp::create(b, l, source);
              memref::StoreOp::create(b, l, element, target);
              return;
            }
            // Elements [from, to) of the row, `lanes` at a time or one.
            auto copyRow = [&](Value from, Value to, int64_t width) -> void {
              Value step =
                  width == 1
                      ? one
                      : Value(arith::ConstantIndexOp::create(b, l, width));
              scf::ForOp::create(
                  b, l, from, to, step, ValueRange{},
                  [&](OpBuilder &nb, Location nl, Value i, ValueRange) {
                    SmallVector<Value> at(outerIndices);
                    at.push_back(i);
                    if (width == 1) {
                      Value element =
                          memref::LoadOp::create(nb, nl, source, at);
                      memref::StoreOp::create(nb, nl, element, target, at);
                    } else {
                      auto vectorType =
                          VectorType::get({width}, type.getElementType());
                      Value v = vector::LoadOp::create(nb, nl, vectorType,
                                                       source, at);
                      vector::StoreOp::create(nb, nl, v, target, at);
                    }
                    scf::YieldOp::create(nb, nl);
                  });
            };
            Value tail = zero;
            if (lanes > 1) {
              Value step = arith::ConstantIndexOp::create(b, l, lanes);
              Value rest = arith::RemUIOp::create(b, l, upper.back(), step);
              tail = arith::SubIOp::create(b, l, upper.back(), rest);
              copyRow(zero, tail, lanes);
            }
            copyRow(tail, upper.back(), 1);
          });
      rewriter.eraseOp(copy);
    }
  }
};

} // namespace
