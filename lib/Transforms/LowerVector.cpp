//===- LowerVector.cpp - n-D vector ops to 1-D vector ops -----------------===//
//
// This file implements tern-lower-vector: after bufferization, the vector
// ops produced by tern-tile-and-vectorize are lowered to the 1-D vector ops
// that convert-to-llvm maps to SIMD instructions, and linalg ops left inside
// parallel tiles (those that did not vectorize) become serial loops.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/ComposeSubView.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::tern {
#define GEN_PASS_DEF_LOWERVECTORFORCPU
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// A 2-D `vector.transfer_read` from memory that broadcasts along the minor
/// vector dimension (`(d0, d1) -> (d0, 0)`: the rows of a matmul's left
/// operand, one value per row of the register block) as one scalar load and
/// one splat per row, instead of a transposed read.
struct RowBroadcastRead : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    VectorType type = read.getVectorType();
    AffineMap map = read.getPermutationMap();
    if (!isa<MemRefType>(read.getBase().getType()) || read.getMask() ||
        type.getRank() != 2 || type.isScalable() || map.getNumResults() != 2 ||
        !read.getInBoundsValues()[0])
      return failure();
    auto row = dyn_cast<AffineDimExpr>(map.getResult(0));
    auto broadcast = dyn_cast<AffineConstantExpr>(map.getResult(1));
    if (!row || !broadcast || broadcast.getValue() != 0)
      return failure();

    Location loc = read.getLoc();
    VectorType rowType =
        VectorType::get(type.getDimSize(1), type.getElementType());
    Value result = ub::PoisonOp::create(rewriter, loc, type);
    SmallVector<Value> indices(read.getIndices());
    Value first = indices[row.getPosition()];
    for (int64_t r = 0; r < type.getDimSize(0); ++r) {
      indices[row.getPosition()] = arith::AddIOp::create(
          rewriter, loc, first,
          arith::ConstantIndexOp::create(rewriter, loc, r));
      Value scalar =
          memref::LoadOp::create(rewriter, loc, read.getBase(), indices);
      Value splat = vector::BroadcastOp::create(rewriter, loc, rowType, scalar);
      result = vector::InsertOp::create(rewriter, loc, splat, result, r);
    }
    rewriter.replaceOp(read, result);
    return success();
  }
};

/// A `vector.transfer_read` of one element from memory (0-d, or every
/// dimension 1 and in bounds) as a scalar load where the read is, and a
/// broadcast. Upstream's scalar transfer lowering instead loads where an
/// extract of the read is: after a dealloc of the buffer that bufferization
/// placed between the two (a reduction's 0-d accumulator), a read after
/// free that returned garbage in about one run in ten.
struct ScalarReadInPlace : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    VectorType type = read.getVectorType();
    if (!isa<MemRefType>(read.getBase().getType()) || read.getMask() ||
        type.isScalable() || type.getNumElements() != 1 ||
        !llvm::all_of(read.getInBoundsValues(), [](bool b) { return b; }))
      return failure();
    Value scalar = memref::LoadOp::create(rewriter, read.getLoc(),
                                          read.getBase(), read.getIndices());
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(read, type, scalar);
    return success();
  }
};

/// An `scf.for` carrying an n-D vector (a register block of accumulators)
/// carries its rows instead: LLVM keeps vectors of a power-of-two size in
/// registers across iterations, but not aggregates or odd-sized vectors.
/// The block is reassembled from the rows where it is used; the row
/// extractions of those uses fold away.
struct SplitLoopCarriedVectors : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool isSplit(Type type) {
    auto vector = dyn_cast<VectorType>(type);
    return vector && vector.getRank() > 1 && !vector.isScalable();
  }

  static SmallVector<Value> rows(OpBuilder &b, Location loc, Value block) {
    SmallVector<Value> result;
    int64_t n = cast<VectorType>(block.getType()).getDimSize(0);
    for (int64_t i = 0; i < n; ++i)
      result.push_back(vector::ExtractOp::create(b, loc, block, i));
    return result;
  }

  static Value assemble(OpBuilder &b, Location loc, VectorType type,
                        ValueRange rows) {
    Value block = ub::PoisonOp::create(b, loc, type);
    for (auto [i, row] : llvm::enumerate(rows))
      block = vector::InsertOp::create(b, loc, row, block, i);
    return block;
  }

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    if (llvm::none_of(loop.getInitArgs().getTypes(), isSplit))
      return failure();
    Location loc = loop.getLoc();
    SmallVector<Value> inits;
    for (Value init : loop.getInitArgs()) {
      if (isSplit(init.getType()))
        llvm::append_range(inits, rows(rewriter, loc, init));
      else
        inits.push_back(init);
    }
    auto split =
        scf::ForOp::create(rewriter, loc, loop.getLowerBound(),
                           loop.getUpperBound(), loop.getStep(), inits);
    Block *body = split.getBody();
    rewriter.setInsertionPointToStart(body);
    SmallVector<Value> arguments = {split.getInductionVar()};
    unsigned next = 0;
    for (Value init : loop.getInitArgs()) {
      auto type = dyn_cast<VectorType>(init.getType());
      if (!isSplit(init.getType())) {
        arguments.push_back(split.getRegionIterArgs()[next++]);
        continue;
      }
      int64_t n = type.getDimSize(0);
      arguments.push_back(assemble(rewriter, loc, type,
                                   split.getRegionIterArgs().slice(next, n)));
      next += n;
    }
    rewriter.mergeBlocks(loop.getBody(), body, arguments);

    auto yield = cast<scf::YieldOp>(body->getTerminator());
    rewriter.setInsertionPoint(yield);
    SmallVector<Value> yielded;
    for (Value value : yield.getOperands()) {
      if (isSplit(value.getType()))
        llvm::append_range(yielded, rows(rewriter, loc, value));
      else
        yielded.push_back(value);
    }
    rewriter.modifyOpInPlace(
        yield, [&] { yield.getResultsMutable().assign(yielded); });

    rewriter.setInsertionPointAfter(split);
    SmallVector<Value> results;
    next = 0;
    for (Value result : loop.getResults()) {
      auto type = dyn_cast<VectorType>(result.getType());
      if (!isSplit(result.getType())) {
        results.push_back(split.getResult(next++));
        continue;
      }
      int64_t n = type.getDimSize(0);
      results.push_back(
          assemble(rewriter, loc, type, split.getResults().slice(next, n)));
      next += n;
    }
    rewriter.replaceOp(loop, results);
    return success();
  }
};

/// A reduction that an `scf.for` carries as one value (a 0-d vector or a
/// scalar), each iteration reducing a 1-D vector into it
/// (`vector.multi_reduction` or `vector.reduction`), carries the vector
/// instead: each iteration combines lanewise, and the lanes are reduced
/// once after the loop. Tiling along a row's innermost dimension (a
/// quantization's absolute maximum, a norm's sum of squares, a sum of
/// int8 codes) otherwise reduces the lanes of every chunk into the carried
/// value, a chain of dependent shuffles per chunk (with NaN and signed-zero
/// fix-ups for `maximumf`). Exact for integer, minimum and maximum kinds;
/// float sums and products change only the order of the terms, as the
/// chunks' lane sums already do. Only chunks of a power-of-two number of
/// lanes: LLVM keeps those in registers across iterations, and spills an
/// odd-sized carried vector element by element.
struct ReduceInLanes : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  /// One carried reduction: the iter_arg's index, the op that unwraps the
  /// 0-d vector (if any), the reduction, and the op that wraps its result
  /// back (if any).
  struct Carried {
    unsigned index;
    Operation *extract, *reduction, *broadcast;
    vector::CombiningKind kind;
    Value source;
  };

  /// The reduction `loop` carries in iter_arg `index`, if any.
  static std::optional<Carried> match(scf::ForOp loop, unsigned index) {
    BlockArgument arg = loop.getRegionIterArgs()[index];
    Type type = arg.getType();
    auto zeroD = dyn_cast<VectorType>(type);
    if (zeroD && zeroD.getRank() != 0)
      return std::nullopt;
    if (!arg.hasOneUse())
      return std::nullopt;
    Carried carried{index, nullptr, nullptr, nullptr, {}, {}};
    Value scalar = arg;
    if (zeroD) {
      auto extract = dyn_cast<vector::ExtractOp>(*arg.getUsers().begin());
      if (!extract || !extract->getResult(0).hasOneUse())
        return std::nullopt;
      carried.extract = extract;
      scalar = extract.getResult();
    }
    Operation *user = *scalar.getUsers().begin();
    if (user->getParentOp() != loop)
      return std::nullopt;
    if (auto multi = dyn_cast<vector::MultiDimReductionOp>(user)) {
      if (multi.getAcc() != scalar ||
          multi.getSourceVectorType().getRank() != 1 ||
          isa<VectorType>(multi.getType()))
        return std::nullopt;
      carried.kind = multi.getKind();
      carried.source = multi.getSource();
    } else if (auto single = dyn_cast<vector::ReductionOp>(user)) {
      if (single.getAcc() != scalar)
        return std::nullopt;
      carried.kind = single.getKind();
      carried.source = single.getVector();
    } else {
      return std::nullopt;
    }
    auto sourceType = cast<VectorType>(carried.source.getType());
    if (sourceType.isScalable() ||
        !llvm::isPowerOf2_64(uint64_t(sourceType.getNumElements())))
      return std::nullopt;
    carried.reduction = user;
    Value result = user->getResult(0);
    if (!result.hasOneUse())
      return std::nullopt;
    Operation *wrap = *result.getUsers().begin();
    if (zeroD) {
      auto broadcast = dyn_cast<vector::BroadcastOp>(wrap);
      if (!broadcast || broadcast.getType() != type ||
          !broadcast->getResult(0).hasOneUse())
        return std::nullopt;
      carried.broadcast = broadcast;
      wrap = *broadcast->getResult(0).getUsers().begin();
      result = broadcast.getResult();
    }
    auto yield = dyn_cast<scf::YieldOp>(wrap);
    if (!yield || yield.getOperand(index) != result)
      return std::nullopt;
    return carried;
  }

  /// The lanes the loop starts from: the identity of `kind`, or the
  /// carried value itself in every lane where combining a value with
  /// itself changes nothing (minimum, maximum, and, or).
  static Value initialLanes(OpBuilder &b, Location loc,
                            vector::CombiningKind kind, VectorType type,
                            Value init) {
    using Kind = vector::CombiningKind;
    Type element = type.getElementType();
    switch (kind) {
    case Kind::ADD:
    case Kind::XOR:
      // -0.0 is the identity of a float sum (0.0 + -0.0 is 0.0).
      return arith::ConstantOp::create(
          b, loc, type,
          isa<FloatType>(element)
              ? DenseElementsAttr::get(
                    type, APFloat::getZero(
                              cast<FloatType>(element).getFloatSemantics(),
                              /*Negative=*/true))
              : DenseElementsAttr::get(
                    type, APInt::getZero(element.getIntOrFloatBitWidth())));
    case Kind::MUL:
      return arith::ConstantOp::create(
          b, loc, type,
          isa<FloatType>(element)
              ? DenseElementsAttr::get(
                    type, APFloat::getOne(
                              cast<FloatType>(element).getFloatSemantics()))
              : DenseElementsAttr::get(
                    type, APInt(element.getIntOrFloatBitWidth(), 1)));
    default:
      return vector::BroadcastOp::create(b, loc, type, init);
    }
  }

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    SmallVector<Carried> carried;
    for (unsigned i = 0, e = loop.getNumRegionIterArgs(); i < e; ++i)
      if (std::optional<Carried> one = match(loop, i))
        carried.push_back(*one);
    if (carried.empty())
      return failure();

    Location loc = loop.getLoc();
    SmallVector<Value> inits(loop.getInitArgs());
    SmallVector<Value> initScalars(inits.size());
    for (Carried &c : carried) {
      Value init = inits[c.index];
      if (isa<VectorType>(init.getType()))
        init =
            vector::ExtractOp::create(rewriter, loc, init, ArrayRef<int64_t>{});
      initScalars[c.index] = init;
      inits[c.index] = initialLanes(rewriter, loc, c.kind,
                                    cast<VectorType>(c.source.getType()), init);
    }
    auto lanes =
        scf::ForOp::create(rewriter, loc, loop.getLowerBound(),
                           loop.getUpperBound(), loop.getStep(), inits);
    Block *body = lanes.getBody();
    SmallVector<Value> arguments(body->getArguments());
    // The carried arguments' only users (the unwrapping extract, or the
    // reduction) are replaced below.
    rewriter.mergeBlocks(loop.getBody(), body, arguments);
    auto yield = cast<scf::YieldOp>(body->getTerminator());
    for (Carried &c : carried) {
      rewriter.setInsertionPoint(c.reduction);
      Value combined = vector::makeArithReduction(
          rewriter, c.reduction->getLoc(), c.kind, c.source,
          lanes.getRegionIterArgs()[c.index]);
      rewriter.modifyOpInPlace(yield,
                               [&] { yield->setOperand(c.index, combined); });
      if (c.broadcast)
        rewriter.eraseOp(c.broadcast);
      rewriter.eraseOp(c.reduction);
      if (c.extract)
        rewriter.eraseOp(c.extract);
    }

    rewriter.setInsertionPointAfter(lanes);
    SmallVector<Value> results(lanes.getResults());
    for (Carried &c : carried) {
      Value reduced = vector::ReductionOp::create(
          rewriter, loc, c.kind, results[c.index], initScalars[c.index]);
      if (isa<VectorType>(loop.getResult(c.index).getType()))
        reduced = vector::BroadcastOp::create(
            rewriter, loc, loop.getResult(c.index).getType(), reduced);
      results[c.index] = reduced;
    }
    rewriter.replaceOp(loop, results);
    return success();
  }
};

struct LowerVectorForCPUPass
    : public mlir::tern::impl::LowerVectorForCPUBase<LowerVectorForCPUPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = func.getContext();

    // Tiles that did not vectorize run serially inside their parallel tile.
    SmallVector<linalg::LinalgOp> nested;
    func.walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<scf::ParallelOp>() ||
          op->getParentOfType<scf::ForallOp>())
        nested.push_back(op);
    });
    IRRewriter rewriter(ctx);
    for (linalg::LinalgOp op : nested) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToLoops(rewriter, op))) {
        op.emitError("tern-lower-vector: cannot lower this op to loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }

    // Transfers with permutation maps to minor-identity transfers,
    // broadcasts and transposes; row broadcasts stay broadcasts.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      patterns.add<RowBroadcastRead, ScalarReadInPlace>(ctx, /*benefit=*/2);
      patterns.add<ReduceInLanes>(ctx);
      vector::BroadcastOp::getCanonicalizationPatterns(patterns, ctx);
      vector::ShapeCastOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // Contractions, reductions, transposes and broadcasts to 1-D ops.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerReduction);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorRankReducingFMAPattern(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      vector::populateVectorFromElementsUnrollPatterns(patterns);
      vector::populateVectorStepLoweringPatterns(patterns);
      mlir::tern::populateFuseMultiplyAddPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // A float sum of a register's lanes in any order: a tree of shuffles
    // instead of one dependent add per lane (LLVM keeps the lanes' order
    // otherwise). Tiles already sum in another order than the reference.
    func.walk([](vector::ReductionOp op) {
      if (!isa<FloatType>(op.getType()) ||
          (op.getKind() != vector::CombiningKind::ADD &&
           op.getKind() != vector::CombiningKind::MUL))
        return;
      op.setFastmath(op.getFastmath() | arith::FastMathFlags::reassoc);
    });
    // Transfers of rank > 1, unrolled into rows.
    {
      RewritePatternSet patterns(ctx);
      populateVectorToSCFConversionPatterns(
          patterns, VectorTransferToSCFOptions().enableFullUnroll());
      vector::populateVectorTransferLoweringPatterns(patterns,
                                                     /*maxTransferRank=*/1);
      // Scalar transfers (0-d, one element) as loads and stores: a buffer
      // of unknown strides (a loop-carried one) is read element by element.
      vector::populateScalarVectorTransferLoweringPatterns(
          patterns, /*benefit=*/1, /*allowMultipleUses=*/true);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // Register blocks carried by loops as rows (row extractions fold).
    // Views of views as views of the buffer: a tile written in place then
    // "copied" to itself is then a self-copy that canonicalization removes.
    {
      RewritePatternSet patterns(ctx);
      patterns.add<SplitLoopCarriedVectors>(ctx);
      memref::populateComposeSubViewPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // Whatever else is left of rank > 1, on 1-D vectors.
    {
      TypeConverter typeConverter;
      ConversionTarget target(*ctx);
      vector::populateForVectorLinearize(typeConverter, target);
      RewritePatternSet patterns(ctx);
      vector::populateVectorLinearizeBasePatterns(typeConverter, target,
                                                  patterns);
      vector::populateVectorLinearizeShuffleLikeOpsPatterns(typeConverter,
                                                            target, patterns);
      scf::populateSCFStructuralTypeConversionsAndLegality(typeConverter,
                                                           patterns, target);
      if (failed(applyPartialConversion(func, target, std::move(patterns))))
        return signalPassFailure();
    }
  }
};

} // namespace
