//===- TernDotToLLVM.cpp - tern.dot2 and tern.dot4 to instructions --------===//
//
// This file implements convert-tern-dot-to-llvm: the byte dot products of
// the ternary kernels as the x86 instructions they name (LLVM intrinsic
// calls) or as generic vector arithmetic.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNDOTTOLLVM
#include "tern/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// tern.dot2 as vpmaddubsw and an add, or as extensions, a multiply and the
/// sum of each pair of lanes.
struct LowerDot2 : OpRewritePattern<mlir::tern::Dot2Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::Dot2Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType sumType = op.getAcc().getType();
    int64_t lanes = sumType.getNumElements();
    Value pairs;
    if (op.getInstruction() == mlir::tern::DotInstruction::Pmaddubsw) {
      pairs = LLVM::CallIntrinsicOp::create(
                  rewriter, loc, sumType,
                  rewriter.getStringAttr(lanes == 32
                                             ? "llvm.x86.avx512.pmaddubs.w.512"
                                             : "llvm.x86.avx2.pmadd.ub.sw"),
                  ValueRange{op.getLhs(), op.getRhs()})
                  .getResult(0);
    } else {
      auto wideType = VectorType::get({2 * lanes}, rewriter.getI16Type());
      Value products = arith::MulIOp::create(
          rewriter, loc,
          arith::ExtUIOp::create(rewriter, loc, wideType, op.getLhs()),
          arith::ExtSIOp::create(rewriter, loc, wideType, op.getRhs()));
      Value zero = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(sumType, rewriter.getI16IntegerAttr(0)));
      pairs = vector::MultiDimReductionOp::create(
          rewriter, loc,
          vector::ShapeCastOp::create(
              rewriter, loc, VectorType::get({lanes, 2}, rewriter.getI16Type()),
              products),
          zero, ArrayRef<bool>{false, true}, vector::CombiningKind::ADD);
    }
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), pairs);
    return success();
  }
};

/// tern.dot4 as the instructions its attribute names: LLVM's x86 intrinsics
/// (vpdpbusd; vpmaddubsw then vpmaddwd by ones), or extensions, a multiply
/// and the sum of each group of four lanes.
struct LowerDot4 : OpRewritePattern<mlir::tern::Dot4Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(mlir::tern::Dot4Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType sumType = op.getAcc().getType();
    int64_t lanes = sumType.getNumElements();
    bool wide = lanes == 16;
    auto intrinsic = [&](Type type, StringRef name, ValueRange args) {
      return LLVM::CallIntrinsicOp::create(rewriter, loc, type,
                                           rewriter.getStringAttr(name), args)
          .getResult(0);
    };
    Value result;
    switch (op.getInstruction()) {
    case mlir::tern::DotInstruction::Vpdpbusd:
      result = intrinsic(sumType,
                         wide ? "llvm.x86.avx512.vpdpbusd.512"
                              : "llvm.x86.avx512.vpdpbusd.256",
                         {op.getAcc(), op.getLhs(), op.getRhs()});
      break;
    case mlir::tern::DotInstruction::Pmaddubsw: {
      auto pairsType = VectorType::get({2 * lanes}, rewriter.getI16Type());
      Value pairs = intrinsic(pairsType,
                              wide ? "llvm.x86.avx512.pmaddubs.w.512"
                                   : "llvm.x86.avx2.pmadd.ub.sw",
                              {op.getLhs(), op.getRhs()});
      Value ones = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(pairsType, rewriter.getI16IntegerAttr(1)));
      Value quads = intrinsic(sumType,
                              wide ? "llvm.x86.avx512.pmaddw.d.512"
                                   : "llvm.x86.avx2.pmadd.wd",
                              {pairs, ones});
      result = arith::AddIOp::create(rewriter, loc, op.getAcc(), quads);
      break;
    }
    case mlir::tern::DotInstruction::Generic: {
      // The sum of each group of four lanes: a reduction along the inner
      // dimension of lanes x 4 (on AVX2 faster than four strided shuffles).
      auto wideType = VectorType::get({4 * lanes}, rewriter.getI32Type());
      Value products = arith::MulIOp::create(
          rewriter, loc,
          arith::ExtUIOp::create(rewriter, loc, wideType, op.getLhs()),
          arith::ExtSIOp::create(rewriter, loc, wideType, op.getRhs()));
      Value quads = vector::ShapeCastOp::create(
          rewriter, loc, VectorType::get({lanes, 4}, rewriter.getI32Type()),
          products);
      result = vector::MultiDimReductionOp::create(
          rewriter, loc, quads, op.getAcc(), ArrayRef<bool>{false, true},
          vector::CombiningKind::ADD);
      break;
    }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConvertTernDotToLLVMPass
    : public mlir::tern::impl::ConvertTernDotToLLVMBase<
          ConvertTernDotToLLVMPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerDot2, LowerDot4>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
