//===- TernToLinalg.cpp - reference lowering of tern ops ------------------===//
//
// This file lowers tern ops to float tensor code: dequantize, then multiply.
// It is the semantic oracle of the dialect, so it favours being obviously
// right over being fast: every op becomes one or two linalg.generic ops whose
// bodies read like the op descriptions.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/TernToLinalg/TernToLinalg.h"
#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/Utils/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNTOLINALG
#include "tern/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

//===----------------------------------------------------------------------===//
// Scalar helpers
//===----------------------------------------------------------------------===//

Value i8Const(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(b, loc, b.getI8Type(), value);
}

Value floatConst(OpBuilder &b, Location loc, FloatType type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// alpha * t for the sign/magnitude code `code` (i8).
Value decodeScaled(OpBuilder &b, Location loc, Value code, Value alpha) {
  Value zeroI8 = i8Const(b, loc, 0);
  Value isMag = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne,
      arith::AndIOp::create(b, loc, code, i8Const(b, loc, 1)), zeroI8);
  Value isNeg = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne,
      arith::AndIOp::create(b, loc, code, i8Const(b, loc, 2)), zeroI8);
  Value signedAlpha = arith::SelectOp::create(
      b, loc, isNeg, arith::NegFOp::create(b, loc, alpha), alpha);
  Value zero = floatConst(b, loc, cast<FloatType>(alpha.getType()), 0.0);
  return arith::SelectOp::create(b, loc, isMag, signedAlpha, zero);
}

/// The code of t = digit - 1 for a digit in {0, 1, 2} (i8).
Value codeFromOffset(OpBuilder &b, Location loc, Value digit) {
  Value isMinus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, digit,
                                        i8Const(b, loc, 0));
  Value isPlus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, digit,
                                       i8Const(b, loc, 2));
  Value plusOrZero = arith::SelectOp::create(
      b, loc, isPlus, i8Const(b, loc, ::tern::quant::kPlus),
      i8Const(b, loc, ::tern::quant::kZeroPos));
  return arith::SelectOp::create(
      b, loc, isMinus, i8Const(b, loc, ::tern::quant::kMinus), plusOrZero);
}

//===----------------------------------------------------------------------===//
// Tensor helpers
//===----------------------------------------------------------------------===//

/// The (row, group) map of a scale or shift read at loop position (row, k).
AffineExpr groupOf(const GroupedLayout &layout, AffineExpr k) {
  if (layout.groups == 1)
    return getAffineConstantExpr(0, k.getContext());
  return k.floorDiv(layout.groupSize);
}

/// A tensor of `shape` filled with zeros of `type`, or with the shifts
/// broadcast over their groups when `shifts` is given.
Value buildShiftInit(OpBuilder &b, Location loc, const GroupedLayout &layout,
                     Value shifts, FloatType type) {
  Value empty = tensor::EmptyOp::create(
                    b, loc, ArrayRef<int64_t>{layout.rows, layout.k}, type)
                    .getResult();
  if (!shifts)
    return linalg::FillOp::create(b, loc, floatConst(b, loc, type, 0.0), empty)
        .getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineExpr n = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(2, 0, {n, groupOf(layout, k)}, ctx),
      AffineMap::get(2, 0, {n, k}, ctx)};
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, empty.getType(), ValueRange{shifts}, ValueRange{empty},
             maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       castFloat(nb, nloc, args[0], type));
             })
      .getResult(0);
}

/// Ŵ[n, k] = Σ_p α[p, n, g(k)] · T[p, n, k] + γ[n, g(k)] as an N x K tensor
/// of `type`, from i8 sign/magnitude codes.
Value buildDequantize(OpBuilder &b, Location loc, const GroupedLayout &layout,
                      Value codes, Value scales, Value shifts, FloatType type) {
  Value init = buildShiftInit(b, loc, layout, shifts, type);
  MLIRContext *ctx = b.getContext();
  bool hasPlanes = cast<RankedTensorType>(codes.getType()).getRank() == 3;
  AffineExpr n = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx);
  unsigned numLoops = hasPlanes ? 3 : 2;
  SmallVector<AffineExpr> codeExprs = {n, k},
                          scaleExprs = {n, groupOf(layout, k)};
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  if (hasPlanes) {
    AffineExpr p = getAffineDimExpr(2, ctx);
    codeExprs.insert(codeExprs.begin(), p);
    scaleExprs.insert(scaleExprs.begin(), p);
    iterators.push_back(utils::IteratorType::reduction);
  }
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, codeExprs, ctx),
                                 AffineMap::get(numLoops, 0, scaleExprs, ctx),
                                 AffineMap::get(numLoops, 0, {n, k}, ctx)};
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{codes, scales},
             ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value alpha = castFloat(nb, nloc, args[1], type);
               Value term = decodeScaled(nb, nloc, args[0], alpha);
               Value sum = arith::AddFOp::create(nb, nloc, args[2], term);
               linalg::YieldOp::create(nb, nloc, sum);
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// The sign/magnitude code of element `k` of the Sherry row starting at
/// byte `rowStart` of `bytes`: the 5-bit field of quartet k / 4 (which may
/// straddle two bytes of the row) holds the zero's position and the signs
/// of the other three codes.
Value sherryCode(OpBuilder &b, Location l, Value bytes, Value rowStart,
                 int64_t rowBytes, Value k) {
  auto cIndex = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, l, v);
  };
  Type i32 = b.getI32Type();
  auto cI32 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, l, i32, v);
  };
  Value quartet = arith::DivUIOp::create(b, l, k, cIndex(4));
  Value position = arith::RemUIOp::create(b, l, k, cIndex(4));
  Value bit = arith::MulIOp::create(b, l, quartet, cIndex(5));
  Value first = arith::DivUIOp::create(b, l, bit, cIndex(8));
  auto byteAt = [&](Value offset) -> Value {
    Value index = arith::AddIOp::create(b, l, rowStart, offset);
    Value byte = tensor::ExtractOp::create(b, l, bytes, index);
    return arith::ExtUIOp::create(b, l, i32, byte);
  };
  // The second byte exists unless the field ends in the row's last byte.
  Value next = arith::AddIOp::create(b, l, first, cIndex(1));
  Value inRow = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, next,
                                      cIndex(rowBytes));
  Value safeNext = arith::SelectOp::create(b, l, inRow, next, first);
  Value high = arith::SelectOp::create(b, l, inRow, byteAt(safeNext), cI32(0));
  Value word = arith::OrIOp::create(b, l, byteAt(first),
                                    arith::ShLIOp::create(b, l, high, cI32(8)));
  Value shift = arith::IndexCastOp::create(
      b, l, i32, arith::RemUIOp::create(b, l, bit, cIndex(8)));
  Value field = arith::AndIOp::create(
      b, l, arith::ShRUIOp::create(b, l, word, shift), cI32(31));
  Value zero = arith::AndIOp::create(b, l, field, cI32(3));
  Value signs = arith::ShRUIOp::create(b, l, field, cI32(2));
  Value pos = arith::IndexCastOp::create(b, l, i32, position);
  Value isZero =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, pos, zero);
  // The kept codes are numbered without the zero.
  Value afterZero =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::ugt, pos, zero);
  Value kept = arith::SubIOp::create(
      b, l, pos, arith::ExtUIOp::create(b, l, i32, afterZero));
  Value negative = arith::TruncIOp::create(
      b, l, b.getI1Type(), arith::ShRUIOp::create(b, l, signs, kept));
  Value sign = arith::SelectOp::create(b, l, negative, i8Const(b, l, 3),
                                       i8Const(b, l, 1));
  return arith::SelectOp::create(b, l, isZero, i8Const(b, l, 0), sign);
}

/// tern.constant -> the packed bytes as an arith.constant (still a
/// dense_resource) and a tensor.generate that unpacks one code per element.
struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getResult().getType()));
    auto value = cast<DenseResourceElementsAttr>(op.getValue());
    // arith works on signless integers: view ui8 blobs as i8.
    auto byteType = RankedTensorType::get(
        cast<ShapedType>(value.getType()).getShape(), rewriter.getI8Type());
    auto bytesAttr =
        DenseResourceElementsAttr::get(byteType, value.getRawHandle());
    Value bytes = arith::ConstantOp::create(rewriter, loc, bytesAttr);

    ::tern::quant::Packing packing = toQuantPacking(op.getPacking());
    ArrayRef<int64_t> shape = resultType.getShape();
    int64_t perByte = ::tern::quant::codesPerByte(packing);
    int64_t rowBytes = ::tern::quant::packedRowBytes(packing, shape.back());

    auto body = [&](OpBuilder &b, Location l, ValueRange indices) {
      auto cIndex = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(b, l, v);
      };
      // Row-major row number of the outer indices.
      Value row = cIndex(0);
      for (auto [index, dim] :
           llvm::zip(indices.drop_back(), shape.drop_back()))
        row = arith::AddIOp::create(
            b, l, arith::MulIOp::create(b, l, row, cIndex(dim)), index);
      Value k = indices.back();
      Value rowStart = arith::MulIOp::create(b, l, row, cIndex(rowBytes));
      if (packing == ::tern::quant::Packing::Sherry) {
        tensor::YieldOp::create(b, l,
                                sherryCode(b, l, bytes, rowStart, rowBytes, k));
        return;
      }
      Value byteIndex = arith::AddIOp::create(
          b, l, rowStart, arith::DivUIOp::create(b, l, k, cIndex(perByte)));
      Value byte = tensor::ExtractOp::create(b, l, bytes, byteIndex);
      Value slot = arith::RemUIOp::create(b, l, k, cIndex(perByte));
      Value code;
      if (packing == ::tern::quant::Packing::Base3) {
        Type i32 = b.getI32Type();
        Value wide = arith::ExtUIOp::create(b, l, i32, byte);
        // 3^slot by repeated selection: slot is in [0, 5).
        Value power = arith::ConstantIntOp::create(b, l, i32, 1);
        for (int64_t i = 1, p = 3; i < 5; ++i, p *= 3) {
          Value reached = arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge,
                                                slot, cIndex(i));
          power = arith::SelectOp::create(
              b, l, reached, arith::ConstantIntOp::create(b, l, i32, p), power);
        }
        Value digit = arith::RemUIOp::create(
            b, l, arith::DivUIOp::create(b, l, wide, power),
            arith::ConstantIntOp::create(b, l, i32, 3));
        code = codeFromOffset(
            b, l, arith::TruncIOp::create(b, l, b.getI8Type(), digit));
      } else {
        Value shift = arith::IndexCastOp::create(
            b, l, b.getI8Type(), arith::MulIOp::create(b, l, slot, cIndex(2)));
        Value field = arith::AndIOp::create(
            b, l, arith::ShRUIOp::create(b, l, byte, shift), i8Const(b, l, 3));
        code = packing == ::tern::quant::Packing::SignMagnitude
                   ? field
                   : codeFromOffset(b, l, field);
      }
      tensor::YieldOp::create(b, l, code);
    };
    rewriter.replaceOpWithNewOp<tensor::GenerateOp>(op, resultType,
                                                    ValueRange{}, body);
    return success();
  }
};

/// tern.quantize -> one elementwise linalg.generic rounding (w - γ) / α.
struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    GroupedLayout layout = op.getLayout();
    bool signedZeros = isa<SZTType>(op.getResult().getType().getElementType());
    auto resultType = cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getResult().getType()));
    auto floatType = cast<FloatType>(op.getInput().getType().getElementType());

    MLIRContext *ctx = rewriter.getContext();
    AffineExpr n = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx);
    AffineMap identity = AffineMap::get(2, 0, {n, k}, ctx);
    AffineMap perGroup = AffineMap::get(2, 0, {n, groupOf(layout, k)}, ctx);
    SmallVector<Value> inputs = {adaptor.getInput(), adaptor.getScales()};
    SmallVector<AffineMap> maps = {identity, perGroup};
    if (adaptor.getShifts()) {
      inputs.push_back(adaptor.getShifts());
      maps.push_back(perGroup);
    }
    maps.push_back(identity);
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          resultType.getElementType());
    SmallVector<utils::IteratorType> iterators(2,
                                               utils::IteratorType::parallel);

    auto body = [&](OpBuilder &b, Location l, ValueRange args) {
      Value w = args[0];
      if (inputs.size() == 3)
        w = arith::SubFOp::create(b, l, w, castFloat(b, l, args[2], floatType));
      Value r =
          arith::DivFOp::create(b, l, w, castFloat(b, l, args[1], floatType));
      Value isPlus = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, r,
                                           floatConst(b, l, floatType, 0.5));
      Value isMinus = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, r,
                                            floatConst(b, l, floatType, -0.5));
      Value zero = i8Const(b, l, ::tern::quant::kZeroPos);
      if (signedZeros) {
        Value negative = arith::CmpFOp::create(
            b, l, arith::CmpFPredicate::OLT, r, floatConst(b, l, floatType, 0));
        zero = arith::SelectOp::create(
            b, l, negative, i8Const(b, l, ::tern::quant::kZeroNeg), zero);
      }
      Value code = arith::SelectOp::create(
          b, l, isPlus, i8Const(b, l, ::tern::quant::kPlus), zero);
      code = arith::SelectOp::create(
          b, l, isMinus, i8Const(b, l, ::tern::quant::kMinus), code);
      linalg::YieldOp::create(b, l, code);
    };
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, resultType, inputs, ValueRange{empty}, maps, iterators, body);
    return success();
  }
};

/// tern.dequantize -> a broadcast of the shifts and a reduction over planes.
struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<FloatType>(op.getResult().getType().getElementType());
    rewriter.replaceOp(op,
                       buildDequantize(rewriter, op.getLoc(), op.getLayout(),
                                       adaptor.getInput(), adaptor.getScales(),
                                       adaptor.getShifts(), type));
    return success();
  }
};

/// tern.matmul -> dequantize, then y = bias + x Ŵᵀ as one contraction.
struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    GroupedLayout layout = op.getLayout();
    RankedTensorType resultType = op.getResult().getType();
    auto type = cast<FloatType>(resultType.getElementType());
    Value weights =
        buildDequantize(rewriter, loc, layout, adaptor.getWeights(),
                        adaptor.getScales(), adaptor.getShifts(), type);

    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, adaptor.getInput(), 0));
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         type, dynamicSizes);
    if (Value bias = adaptor.getBias()) {
      // Broadcast over rows: loops (m, n) read bias[n].
      SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {n}, ctx),
                                     AffineMap::get(2, 0, {m, n}, ctx)};
      init = linalg::GenericOp::create(
                 rewriter, loc, resultType, ValueRange{bias}, ValueRange{init},
                 maps,
                 SmallVector<utils::IteratorType>(
                     2, utils::IteratorType::parallel),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      init = linalg::FillOp::create(rewriter, loc,
                                    floatConst(rewriter, loc, type, 0.0), init)
                 .getResult(0);
    }

    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                   AffineMap::get(3, 0, {n, k}, ctx),
                                   AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    rewriter.replaceOpWithNewOp<linalg::GenericOp>(
        op, resultType, ValueRange{adaptor.getInput(), weights},
        ValueRange{init}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          Value sum = arith::AddFOp::create(b, l, args[2], product);
          linalg::YieldOp::create(b, l, sum);
        });
    return success();
  }
};

/// tern.rotate -> the rows as M x A x B, two contractions (with R over q,
/// then with L over p), and back to M x K.
struct RotateLowering : OpConversionPattern<RotateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(RotateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    auto elementType = cast<FloatType>(type.getElementType());
    int64_t a = op.getLeft().getType().getDimSize(0);
    int64_t b = op.getRight().getType().getDimSize(0);
    Value input = adaptor.getInput();
    SmallVector<OpFoldResult> shape = {
        tensor::getMixedSize(rewriter, loc, input, 0), rewriter.getIndexAttr(a),
        rewriter.getIndexAttr(b)};
    auto cubeType =
        RankedTensorType::get({type.getDimSize(0), a, b}, elementType);
    SmallVector<ReassociationIndices> reassociation = {{0}, {1, 2}};
    Value cube = tensor::ExpandShapeOp::create(rewriter, loc, cubeType, input,
                                               reassociation, shape);
    auto zeros = [&] {
      Value empty = tensor::EmptyOp::create(rewriter, loc, shape, elementType);
      return linalg::FillOp::create(rewriter, loc,
                                    floatConst(rewriter, loc, elementType, 0.0),
                                    empty)
          .getResult(0);
    };
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
    SmallVector<utils::IteratorType> iterators(3,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    auto multiplyAdd = [](OpBuilder &b, Location l, ValueRange args) {
      Value product = arith::MulFOp::create(b, l, args[0], args[1]);
      linalg::YieldOp::create(
          b, l, arith::AddFOp::create(b, l, args[2], product).getResult());
    };
    // t[m, p, j] = Σ_q X[m, p, q] R[q, j]: loops (m, p, j, q).
    Value t =
        linalg::GenericOp::create(
            rewriter, loc, cubeType, ValueRange{cube, adaptor.getRight()},
            ValueRange{zeros()},
            SmallVector<AffineMap>{AffineMap::get(4, 0, {d0, d1, d3}, ctx),
                                   AffineMap::get(4, 0, {d3, d2}, ctx),
                                   AffineMap::get(4, 0, {d0, d1, d2}, ctx)},
            iterators, multiplyAdd)
            .getResult(0);
    // y[m, i, j] = Σ_p L[p, i] t[m, p, j]: loops (m, i, j, p).
    Value y =
        linalg::GenericOp::create(
            rewriter, loc, cubeType, ValueRange{adaptor.getLeft(), t},
            ValueRange{zeros()},
            SmallVector<AffineMap>{AffineMap::get(4, 0, {d3, d1}, ctx),
                                   AffineMap::get(4, 0, {d0, d3, d2}, ctx),
                                   AffineMap::get(4, 0, {d0, d1, d2}, ctx)},
            iterators, multiplyAdd)
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, type, y,
                                                         reassociation);
    return success();
  }
};

/// unrealized_conversion_cast from a ternary tensor to its code tensor (the
/// type this lowering gives it) -> the codes themselves. This lets IR written
/// before the lowering look at the codes, as the integration tests do.
struct CodeCastLowering : OpConversionPattern<UnrealizedConversionCastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UnrealizedConversionCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumOperands() != 1 || op->getNumResults() != 1 ||
        adaptor.getInputs()[0].getType() != op->getResult(0).getType())
      return rewriter.notifyMatchFailure(op, "not a cast to the code tensor");
    rewriter.replaceOp(op, adaptor.getInputs());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertTernToLinalgPass
    : mlir::tern::impl::ConvertTernToLinalgBase<ConvertTernToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    TypeConverter converter;
    populateTernToLinalgTypeConversion(converter);

    // Check up front what the patterns cannot report well: the unpacking IR
    // trusts the bytes, and a cast of a ternary tensor can only be resolved
    // to the tensor of its codes.
    WalkResult walk = module.walk([&](Operation *op) {
      if (auto constant = dyn_cast<ConstantOp>(op))
        return failed(constant.verifyContents()) ? WalkResult::interrupt()
                                                 : WalkResult::advance();
      auto cast = dyn_cast<UnrealizedConversionCastOp>(op);
      if (!cast || converter.isLegal(op->getOperandTypes()))
        return WalkResult::advance();
      Type codes = op->getNumOperands() == 1
                       ? converter.convertType(op->getOperand(0).getType())
                       : Type();
      if (codes && op->getNumResults() == 1 &&
          op->getResult(0).getType() == codes)
        return WalkResult::advance();
      InFlightDiagnostic diag =
          op->emitOpError("casts a ternary tensor to ")
          << op->getResultTypes()
          << "; the reference lowering only resolves a cast of one ternary "
             "tensor to the i8 tensor of its codes";
      if (codes)
        diag << " (" << codes << ")";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateTernToLinalgConversionPatterns(converter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                   converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<TernDialect>();
    // Vector-level ops on builtin vectors (the kernels' dot products,
    // Sherry and base-3 decodes and Sherry's lookups) stay for
    // convert-tern-dot-to-llvm.
    target
        .addLegalOp<DecodeBase3Op, DecodeSherryOp, Dot2Op, Dot4Op, LookupOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           tensor::TensorDialect>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
      return converter.isSignatureLegal(op.getFunctionType()) &&
             converter.isLegal(&op.getBody());
    });
    target.addDynamicallyLegalOp<func::CallOp, func::ReturnOp>(
        [&](Operation *op) { return converter.isLegal(op); });
    target.addDynamicallyLegalOp<UnrealizedConversionCastOp>(
        [&](Operation *op) {
          return converter.isLegal(op->getOperandTypes());
        });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::tern::populateTernToLinalgTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion([](RankedTensorType type) -> Type {
    if (!isTernaryType(type.getElementType()))
      return type;
    return RankedTensorType::get(type.getShape(),
                                 IntegerType::get(type.getContext(), 8));
  });
}

void mlir::tern::populateTernToLinalgConversionPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, QuantizeLowering, DequantizeLowering,
               MatmulLowering, RotateLowering, CodeCastLowering>(
      converter, patterns.getContext());
}
