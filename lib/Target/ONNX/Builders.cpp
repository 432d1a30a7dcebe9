//===- Builders.cpp - IR builders shared by the ONNX op handlers ----------===//
//
// This file implements the few IR shapes every handler is made of:
// broadcasting elementwise maps, reductions, reshapes, transposes and
// padding, in linalg/tensor/arith. Broadcasting maps, reshapes, transposes
// and reductions also take dynamic dimensions (sizes as OpFoldResults).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

Value onnx_import::scalar(OpBuilder &b, Location loc, Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  if (type.isIndex())
    return arith::ConstantIndexOp::create(b, loc, int64_t(value));
  return arith::ConstantOp::create(
      b, loc,
      b.getIntegerAttr(type, APInt(type.getIntOrFloatBitWidth(), int64_t(value),
                                   /*isSigned=*/true,
                                   /*implicitTrunc=*/true)));
}

Value onnx_import::convertScalar(OpBuilder &b, Location loc, Value value,
                                 Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (to.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   scalar(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 scalar(b, loc, from, 0));
  }
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, value);
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat)
    return arith::FPToSIOp::create(b, loc, to, value);
  if (toFloat)
    return from.isInteger(1)
               ? Value(arith::UIToFPOp::create(b, loc, to, value))
               : Value(arith::SIToFPOp::create(b, loc, to, value));
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return from.isInteger(1) ? Value(arith::ExtUIOp::create(b, loc, to, value))
                             : Value(arith::ExtSIOp::create(b, loc, to, value));
  return arith::TruncIOp::create(b, loc, to, value);
}

Value onnx_import::empty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                         Type type) {
  return tensor::EmptyOp::create(b, loc, shape, type);
}

Value onnx_import::filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                          Type type, double value) {
  return linalg::FillOp::create(b, loc, scalar(b, loc, type, value),
                                empty(b, loc, shape, type))
      .getResult(0);
}

SmallVector<OpFoldResult> onnx_import::sizesOf(OpBuilder &b, Location loc,
                                               Value value) {
  return tensor::getMixedSizes(b, loc, value);
}

SmallVector<int64_t> onnx_import::staticShapeOf(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult size : sizes)
    shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
  return shape;
}

OpFoldResult onnx_import::productOf(OpBuilder &b, Location loc,
                                    ArrayRef<OpFoldResult> sizes) {
  int64_t known = 1;
  Value dynamic;
  for (OpFoldResult size : sizes) {
    if (std::optional<int64_t> n = getConstantIntValue(size)) {
      known *= *n;
      continue;
    }
    Value v = getValueOrCreateConstantIndexOp(b, loc, size);
    dynamic = dynamic ? arith::MulIOp::create(b, loc, dynamic, v) : v;
  }
  if (!dynamic)
    return b.getIndexAttr(known);
  if (known == 1)
    return dynamic;
  return arith::MulIOp::create(b, loc, dynamic,
                               arith::ConstantIndexOp::create(b, loc, known))
      .getResult();
}

Value onnx_import::emptyOf(OpBuilder &b, Location loc,
                           ArrayRef<OpFoldResult> sizes, Type type) {
  return tensor::EmptyOp::create(b, loc, sizes, type);
}

Value onnx_import::filledOf(OpBuilder &b, Location loc,
                            ArrayRef<OpFoldResult> sizes, Type type,
                            double value) {
  return linalg::FillOp::create(b, loc, scalar(b, loc, type, value),
                                emptyOf(b, loc, sizes, type))
      .getResult(0);
}

std::optional<SmallVector<int64_t>>
onnx_import::broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> shape : shapes) {
    for (size_t i = 0; i < shape.size(); ++i) {
      int64_t &out = result[rank - shape.size() + i];
      int64_t dim = shape[i];
      if (dim == out || dim == 1)
        continue;
      // A static size > 1 wins over a dynamic one (which must equal it).
      if (ShapedType::isDynamic(dim) && out != 1)
        continue;
      if (out != 1 && !ShapedType::isDynamic(out))
        return std::nullopt;
      out = dim;
    }
  }
  return result;
}

/// The indexing map reading an input of `shape` at loop position (d0..dn)
/// of a broadcast to rank `rank`.
static AffineMap broadcastMapFor(ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> result,
                                 MLIRContext *context) {
  unsigned rank = result.size();
  SmallVector<AffineExpr> exprs;
  for (size_t i = 0; i < shape.size(); ++i) {
    unsigned dim = rank - shape.size() + i;
    exprs.push_back(shape[i] == 1 && result[dim] != 1
                        ? getAffineConstantExpr(0, context)
                        : getAffineDimExpr(dim, context));
  }
  return AffineMap::get(rank, 0, exprs, context);
}

/// The sizes of a broadcast of `inputs` to `shape`: each dynamic dimension
/// from the first input that has it dynamic, the others checked against it
/// when the model runs.
static SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                                ValueRange inputs,
                                                ArrayRef<int64_t> shape) {
  size_t rank = shape.size();
  SmallVector<OpFoldResult> sizes;
  for (int64_t dim : shape)
    sizes.push_back(b.getIndexAttr(ShapedType::isDynamic(dim) ? -1 : dim));
  // Handlers build at their node's NameLoc.
  auto named = dyn_cast<NameLoc>(loc);
  std::string node = named ? named.getName().str() : std::string("?");
  for (auto [index, input] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(input.getType());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      size_t p = rank - type.getRank() + d;
      Value size = tensor::DimOp::create(b, loc, input, d);
      if (ShapedType::isDynamic(shape[p]) && isa<Attribute>(sizes[p])) {
        sizes[p] = size;
        continue;
      }
      Value expected = getValueOrCreateConstantIndexOp(b, loc, sizes[p]);
      Value same = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, size,
                                         expected);
      cf::AssertOp::create(
          b, loc, same,
          "node '" + node + "': operand " + std::to_string(index) +
              " disagrees in dimension " + std::to_string(p) +
              " with the others when the model runs (a dynamic dimension "
              "is not broadcast from size 1)");
    }
  }
  return sizes;
}

Value onnx_import::broadcastMap(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<int64_t> shape, Type resultType,
                                ScalarBody body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMapFor(
        cast<RankedTensorType>(input.getType()).getShape(), shape, context));
  maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), context));
  SmallVector<utils::IteratorType> iterators(shape.size(),
                                             utils::IteratorType::parallel);
  Value init =
      emptyOf(b, loc, broadcastSizes(b, loc, inputs, shape), resultType);
  return linalg::GenericOp::create(
             b, loc, RankedTensorType::get(shape, resultType), inputs,
             ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value result = body(nb, nloc, args.drop_back());
               linalg::YieldOp::create(nb, nloc, result);
             })
      .getResult(0);
}

Value onnx_import::generate(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                            Type type,
                            function_ref<Value(OpBuilder &, Location)> body) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t dim : shape)
    sizes.push_back(b.getIndexAttr(dim));
  return generateOf(b, loc, sizes, type, body);
}

Value onnx_import::generateOf(OpBuilder &b, Location loc,
                              ArrayRef<OpFoldResult> sizes, Type type,
                              function_ref<Value(OpBuilder &, Location)> body) {
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> shape = staticShapeOf(sizes);
  return linalg::GenericOp::create(
             b, loc, RankedTensorType::get(shape, type), ValueRange{},
             ValueRange{emptyOf(b, loc, sizes, type)},
             SmallVector<AffineMap>{
                 AffineMap::getMultiDimIdentityMap(shape.size(), context)},
             SmallVector<utils::IteratorType>(shape.size(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange) {
               linalg::YieldOp::create(nb, nloc, body(nb, nloc));
             })
      .getResult(0);
}

/// Groups every dimension of a rank-`rank` tensor into one.
static SmallVector<ReassociationIndices> allInOne(size_t rank) {
  SmallVector<ReassociationIndices> groups;
  if (rank) {
    groups.emplace_back();
    for (size_t i = 0; i < rank; ++i)
      groups[0].push_back(int64_t(i));
  }
  return groups;
}

Value onnx_import::reshape(OpBuilder &b, Location loc, Value value,
                           ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  // Collapse everything to one dimension, then expand to the target: both
  // are always valid for static shapes and fold away when trivial.
  auto flatType =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  Value flat = value;
  if (type.getRank() == 0)
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, value, allInOne(0));
  else if (type.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, value,
                                           allInOne(type.getRank()));
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           allInOne(0));
  if (shape.size() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       allInOne(shape.size()));
}

namespace {

/// A size as a product: a constant times run-time sizes raised to powers.
/// A dimension of a tensor is keyed by the tensor and its index, any other
/// index value by itself. reshapeTo compares such products to tell that a
/// reshape with run-time sizes only groups dimensions (ONNX's 0 and -1
/// entries and the sizes of Shape nodes become products of dims).
struct SizeProduct {
  int64_t constant = 1;
  llvm::SmallDenseMap<std::pair<Value, int64_t>, int64_t, 4> powers;

  /// Dimension `dim` of `tensor`, traced back to the size a tensor.empty
  /// was given through the ops that write into it.
  static SizeProduct ofDim(Value tensor, int64_t dim) {
    auto type = cast<ShapedType>(tensor.getType());
    if (!type.isDynamicDim(dim))
      return ofConstant(type.getDimSize(dim));
    Operation *def = tensor.getDefiningOp();
    if (auto empty = dyn_cast_if_present<tensor::EmptyOp>(def))
      return of(empty.getDynamicSize(unsigned(dim)));
    if (auto expand = dyn_cast_if_present<tensor::ExpandShapeOp>(def))
      return of(expand.getMixedOutputShape()[dim]);
    if (auto collapse = dyn_cast_if_present<tensor::CollapseShapeOp>(def)) {
      SizeProduct p = ofConstant(1);
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      for (int64_t d : groups[dim])
        p.multiply(ofDim(collapse.getSrc(), d), 1);
      return p;
    }
    if (auto slice = dyn_cast_if_present<tensor::ExtractSliceOp>(def))
      if (slice.getSourceType().getRank() == type.getRank())
        return of(slice.getMixedSizes()[dim]);
    if (auto cast = dyn_cast_if_present<tensor::CastOp>(def))
      return ofDim(cast.getSource(), dim);
    if (auto result = dyn_cast<OpResult>(tensor))
      if (auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner()))
        return ofDim(dps.getTiedOpOperand(result)->get(), dim);
    SizeProduct p;
    p.powers[{tensor, dim}] = 1;
    return p;
  }

  static SizeProduct ofConstant(int64_t n) {
    SizeProduct p;
    p.constant = n;
    return p;
  }

  static SizeProduct of(OpFoldResult size) {
    if (std::optional<int64_t> n = getConstantIntValue(size))
      return ofConstant(*n);
    Value v = cast<Value>(size);
    if (auto dim = v.getDefiningOp<tensor::DimOp>()) {
      if (std::optional<int64_t> i = dim.getConstantIndex())
        return ofDim(dim.getSource(), *i);
    } else if (auto cast = v.getDefiningOp<arith::IndexCastOp>()) {
      return of(cast.getIn());
    } else if (auto mul = v.getDefiningOp<arith::MulIOp>()) {
      SizeProduct l = of(mul.getLhs());
      l.multiply(of(mul.getRhs()), 1);
      return l;
    } else if (auto div = v.getDefiningOp<arith::DivUIOp>()) {
      SizeProduct n = of(div.getLhs()), d = of(div.getRhs());
      if (n.divides(d)) {
        n.multiply(d, -1);
        return n;
      }
    }
    SizeProduct p;
    p.powers[{v, -1}] = 1;
    return p;
  }

  /// this *= other^exponent (exponent 1 or -1; -1 only where divides()).
  void multiply(const SizeProduct &other, int64_t exponent) {
    constant =
        exponent > 0 ? constant * other.constant : constant / other.constant;
    for (auto [key, power] : other.powers)
      if ((powers[key] += exponent * power) == 0)
        powers.erase(key);
  }

  /// Whether `d` divides this exactly as a product.
  bool divides(const SizeProduct &d) const {
    if (d.constant == 0 || constant % d.constant)
      return false;
    return llvm::all_of(d.powers, [&](auto entry) {
      auto it = powers.find(entry.first);
      return it != powers.end() && it->second >= entry.second;
    });
  }

  bool operator==(const SizeProduct &other) const {
    return constant == other.constant && powers.size() == other.powers.size() &&
           llvm::all_of(powers, [&](auto entry) {
             auto it = other.powers.find(entry.first);
             return it != other.powers.end() && it->second == entry.second;
           });
  }
};

/// Groups `from` into consecutive runs whose products are `to`, one run
/// per entry of `to` (trailing units join the last run); nothing if the
/// sizes do not group that way.
std::optional<SmallVector<ReassociationIndices>>
groupSizes(ArrayRef<SizeProduct> from, ArrayRef<SizeProduct> to) {
  SmallVector<ReassociationIndices> groups;
  size_t i = 0;
  for (const SizeProduct &target : to) {
    if (i == from.size())
      return std::nullopt;
    ReassociationIndices group{int64_t(i)};
    SizeProduct run = from[i++];
    while (!(run == target) && i < from.size()) {
      run.multiply(from[i], 1);
      group.push_back(int64_t(i++));
    }
    if (!(run == target))
      return std::nullopt;
    groups.push_back(std::move(group));
  }
  for (; i < from.size(); ++i) {
    if (groups.empty() || !from[i].powers.empty() || from[i].constant != 1)
      return std::nullopt;
    groups.back().push_back(int64_t(i));
  }
  return groups;
}

} // namespace

Value onnx_import::reshapeTo(OpBuilder &b, Location loc, Value value,
                             ArrayRef<OpFoldResult> sizes) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape = staticShapeOf(sizes);
  if (type.hasStaticShape() && !llvm::any_of(shape, ShapedType::isDynamic))
    return reshape(b, loc, value, shape);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (type == resultType && type.getRank() == int64_t(sizes.size()) &&
      llvm::all_of(llvm::enumerate(sizes), [&](auto size) {
        return SizeProduct::of(size.value()) ==
               SizeProduct::ofDim(value, int64_t(size.index()));
      }))
    return value;
  // A reshape that only merges or only splits runs of dimensions is a
  // collapse_shape or an expand_shape (with at most one run-time size per
  // run): views that later passes see through, fold and fuse across.
  SmallVector<SizeProduct> from, to;
  for (int64_t i = 0; i < type.getRank(); ++i)
    from.push_back(SizeProduct::ofDim(value, i));
  for (OpFoldResult size : sizes)
    to.push_back(SizeProduct::of(size));
  if (to.size() <= from.size()) {
    if (std::optional<SmallVector<ReassociationIndices>> groups =
            groupSizes(from, to)) {
      Value collapsed = tensor::CollapseShapeOp::create(b, loc, value, *groups);
      if (collapsed.getType() == resultType)
        return collapsed;
      return tensor::CastOp::create(b, loc, resultType, collapsed);
    }
  } else if (std::optional<SmallVector<ReassociationIndices>> groups =
                 groupSizes(to, from)) {
    // One run-time size per run of a run-time dimension, none in a run of
    // a static one (MLIR 22's expand-strided-metadata crashes on runs with
    // two: llvm-project issue 186830).
    bool typed = llvm::all_of(llvm::enumerate(*groups), [&](auto group) {
      return llvm::count_if(group.value(), [&](int64_t d) {
               return ShapedType::isDynamic(shape[d]);
             }) == (type.isDynamicDim(int64_t(group.index())) ? 1 : 0);
    });
    if (typed)
      return tensor::ExpandShapeOp::create(b, loc, resultType, value, *groups,
                                           sizes);
  }
  // Any other reshape: tensor.reshape with the sizes as a shape tensor; it
  // bufferizes to memref.reshape of the contiguous buffer. (Collapsing,
  // then expanding would build expand_shapes with two dynamic sizes in a
  // run, which expand-strided-metadata crashes on, as above.)
  SmallVector<Value> dims;
  for (OpFoldResult size : sizes)
    dims.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
  Value shapeTensor = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({int64_t(dims.size())}, b.getIndexType()),
      dims);
  return tensor::ReshapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      shapeTensor);
}

Value onnx_import::transpose(OpBuilder &b, Location loc, Value value,
                             ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= int64_t(i) == p;
  if (identity)
    return value;
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, value), permuted;
  for (int64_t p : perm)
    permuted.push_back(sizes[p]);
  return linalg::TransposeOp::create(
             b, loc, value, emptyOf(b, loc, permuted, type.getElementType()),
             perm)
      .getResult()[0];
}

Value onnx_import::broadcastTo(OpBuilder &b, Location loc, Value value,
                               ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return broadcastMap(
      b, loc, value, shape, type.getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

Value onnx_import::reduce(
    OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> axes,
    bool keepDims, double init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(value.getType());
  MLIRContext *context = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, value), kept;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced) {
      kept.push_back(sizes[i]);
      outExprs.push_back(getAffineDimExpr(i, context));
    }
  }
  Type elementType = type.getElementType();
  Value init0 = filledOf(b, loc, kept, elementType, init);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, context),
      AffineMap::get(rank, 0, outExprs, context)};
  Value result = linalg::GenericOp::create(
                     b, loc, init0.getType(), value, init0, maps, iterators,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       linalg::YieldOp::create(
                           nb, nloc, combine(nb, nloc, args[1], args[0]));
                     })
                     .getResult(0);
  if (!keepDims)
    return result;
  for (int64_t axis : axes)
    sizes[axis] = b.getIndexAttr(1);
  return reshapeTo(b, loc, result, sizes);
}

Value onnx_import::padConstant(OpBuilder &b, Location loc, Value value,
                               ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                               double padValue) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> lows(rank, 0), highs(rank, 0);
  bool any = false;
  for (size_t i = 0; i < low.size(); ++i) {
    lows[rank - low.size() + i] = low[i];
    highs[rank - high.size() + i] = high[i];
    any |= low[i] != 0 || high[i] != 0;
  }
  if (!any)
    return value;
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(type.isDynamicDim(i)
                        ? ShapedType::kDynamic
                        : type.getDimSize(i) + lows[i] + highs[i]);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value pad = scalar(b, loc, type.getElementType(), padValue);
  return tensor::PadOp::create(
      b, loc, resultType, value, getAsIndexOpFoldResult(b.getContext(), lows),
      getAsIndexOpFoldResult(b.getContext(), highs), pad);
}

Value onnx_import::insertSlice(OpBuilder &b, Location loc, Value source,
                               Value dest, ArrayRef<int64_t> offsets,
                               ArrayRef<int64_t> strides) {
  MLIRContext *c = b.getContext();
  auto sizes = cast<RankedTensorType>(source.getType()).getShape();
  return tensor::InsertSliceOp::create(
      b, loc, source, dest, getAsIndexOpFoldResult(c, offsets),
      getAsIndexOpFoldResult(c, sizes), getAsIndexOpFoldResult(c, strides));
}

Value onnx_import::extractSlice(OpBuilder &b, Location loc, Value source,
                                ArrayRef<int64_t> offsets,
                                ArrayRef<int64_t> sizes,
                                ArrayRef<int64_t> strides) {
  MLIRContext *c = b.getContext();
  auto type = RankedTensorType::get(
      sizes, cast<RankedTensorType>(source.getType()).getElementType());
  // An empty slice reads nothing, and extract_slice refuses its offsets
  // when they reach the end of the dimension (ONNX allows starts there).
  if (llvm::is_contained(sizes, 0))
    return tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return tensor::ExtractSliceOp::create(
      b, loc, type, source, getAsIndexOpFoldResult(c, offsets),
      getAsIndexOpFoldResult(c, sizes), getAsIndexOpFoldResult(c, strides));
}

std::optional<int64_t> onnx_import::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

SmallVector<int64_t>
mlir::tern::onnx_import::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

HostTensor mlir::tern::onnx_import::gatherHost(
    const HostTensor &input, ArrayRef<int64_t> shape,
    function_ref<int64_t(ArrayRef<int64_t>)> source) {
  int64_t size = product(shape);
  std::vector<double> values(size);
  std::vector<Value> symbols(input.isSymbolic() ? size : 0);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < size; ++linear) {
    int64_t from = source(index);
    values[linear] = input.values[from];
    if (input.isSymbolic())
      symbols[linear] = input.symbols[from];
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  HostTensor result = makeHost(input.elementType, shape, std::move(values));
  if (llvm::any_of(symbols, [](Value v) { return bool(v); }))
    result.symbols = std::move(symbols);
  return result;
}

void mlir::tern::onnx_import::assertIndicesInRange(NodeContext &ctx,
                                                   Value indices, int64_t dim,
                                                   int64_t axis) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto indexType = cast<RankedTensorType>(indices.getType());
  int64_t rank = indexType.getRank();
  auto flag = RankedTensorType::get({}, b.getI1Type());
  Value all =
      linalg::FillOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, 1, 1).getResult(),
          tensor::EmptyOp::create(b, loc, flag.getShape(), b.getI1Type())
              .getResult())
          .getResult(0);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, {}, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  Type elementType = indexType.getElementType();
  all = linalg::GenericOp::create(
            b, loc, flag, ValueRange{indices}, ValueRange{all}, maps, iterators,
            [&](OpBuilder &b, Location loc, ValueRange args) {
              auto bound = [&](int64_t v) {
                return arith::ConstantOp::create(
                    b, loc, b.getIntegerAttr(elementType, v));
              };
              Value above = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sge, args[0], bound(-dim));
              Value below = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::slt, args[0], bound(dim));
              Value ok = arith::AndIOp::create(
                  b, loc, args[1], arith::AndIOp::create(b, loc, above, below));
              linalg::YieldOp::create(b, loc, ok);
            })
            .getResult(0);
  cf::AssertOp::create(
      b, loc, tensor::ExtractOp::create(b, loc, all, ValueRange{}),
      "node '" + ctx.name() + "': " + ctx.node.op_type() +
          " index out of range for dimension " + std::to_string(axis) +
          " of size " + std::to_string(dim));
}

Value onnx_import::concatOf(OpBuilder &b, Location loc, ArrayRef<Value> pieces,
                            int64_t axis) {
  // Offsets and the result's size along the axis when the model runs.
  int64_t rank = cast<RankedTensorType>(pieces[0].getType()).getRank();
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, pieces[0]);
  SmallVector<OpFoldResult> offsets;
  OpFoldResult offset = b.getIndexAttr(0);
  for (Value piece : pieces) {
    offsets.push_back(offset);
    OpFoldResult size = sizesOf(b, loc, piece)[axis];
    std::optional<int64_t> a = getConstantIntValue(offset),
                           c = getConstantIntValue(size);
    if (a && c)
      offset = b.getIndexAttr(*a + *c);
    else if (a == 0)
      offset = size;
    else
      offset = arith::AddIOp::create(
                   b, loc, getValueOrCreateConstantIndexOp(b, loc, offset),
                   getValueOrCreateConstantIndexOp(b, loc, size))
                   .getResult();
  }
  sizes[axis] = offset;
  Value result =
      emptyOf(b, loc, sizes,
              cast<RankedTensorType>(pieces[0].getType()).getElementType());
  for (auto [piece, at] : llvm::zip(pieces, offsets)) {
    SmallVector<OpFoldResult> starts(rank, b.getIndexAttr(0)),
        strides(rank, b.getIndexAttr(1));
    starts[axis] = at;
    result = tensor::InsertSliceOp::create(b, loc, piece, result, starts,
                                           sizesOf(b, loc, piece), strides);
  }
  return result;
}

Value onnx_import::indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value onnx_import::onlyElement(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> zeros(type.getRank(), indexConstant(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, zeros);
}

Value onnx_import::reverseLeading(OpBuilder &b, Location loc, Value value,
                                  Value lengths) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, value);
  Value rows = getValueOrCreateConstantIndexOp(b, loc, sizes[0]);
  return generateOf(
      b, loc, sizes, type.getElementType(), [&](OpBuilder &nb, Location l) {
        SmallVector<Value> at;
        for (int64_t d = 0; d < type.getRank(); ++d)
          at.push_back(linalg::IndexOp::create(nb, l, d));
        Value length = rows;
        if (lengths) {
          Value n = tensor::ExtractOp::create(nb, l, lengths, at[1]);
          length = arith::IndexCastOp::create(nb, l, nb.getIndexType(), n);
        }
        Value inside = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                             at[0], length);
        Value mirrored = arith::SubIOp::create(
            nb, l,
            arith::SubIOp::create(nb, l, length, indexConstant(nb, l, 1)),
            at[0]);
        SmallVector<Value> from(at);
        from[0] = arith::SelectOp::create(nb, l, inside, mirrored, at[0]);
        return tensor::ExtractOp::create(nb, l, value, from).getResult();
      });
}

void onnx_import::assertAllInRange(NodeContext &ctx, Value values, Value low,
                                   Value high, const std::string &what) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(values.getType());
  Value inRange = broadcastMap(
      b, loc, values, type.getShape(), b.getI1Type(),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = a[0];
        if (!v.getType().isIndex())
          v = arith::IndexCastOp::create(nb, l, nb.getIndexType(), v);
        Value aboveLow =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, v, low);
        Value belowHigh =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, v, high);
        return arith::AndIOp::create(nb, l, aboveLow, belowHigh);
      });
  SmallVector<int64_t> all(type.getRank());
  for (auto [i, axis] : llvm::enumerate(all))
    axis = int64_t(i);
  Value every =
      reduce(b, loc, inRange, all, /*keepDims=*/false, 1.0,
             [](OpBuilder &nb, Location l, Value acc, Value e) -> Value {
               return arith::AndIOp::create(nb, l, acc, e);
             });
  cf::AssertOp::create(b, loc,
                       tensor::ExtractOp::create(b, loc, every, ValueRange{}),
                       "node '" + ctx.name() + "': " + what);
}
