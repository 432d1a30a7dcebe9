//===- OpsIndexing.cpp - ONNX ops that compute where to read --------------===//
//
// This file lowers the ONNX ops whose result element is an input element at
// an index computed from the result's (Tile, DepthToSpace, SpaceToDepth,
// GatherElements, GatherND, OneHot), the scatters (ScatterND,
// ScatterElements), and the scans and arg-reductions along one axis
// (CumSum, ArgMax, ArgMin). Each one folds on the host when its inputs are
// known at import time; otherwise the gathers are one linalg.generic and
// the scatters a loop over their updates (scf.for).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// The result of `shape` whose element at each index is x's element at
/// `source(index)` (an index of x): folded on the host when x is known,
/// else one generic that reads x where `irSource` says from the loop
/// indices. x must have a static shape.
LogicalResult
remap(NodeContext &ctx, Tensor &x, ArrayRef<int64_t> shape,
      function_ref<SmallVector<int64_t>(ArrayRef<int64_t>)> source,
      function_ref<SmallVector<Value>(OpBuilder &, Location, ArrayRef<Value>)>
          irSource) {
  ArrayRef<int64_t> xs = x.type.getShape();
  if (const HostTensor *known = ctx.hostOrSymbolic(0)) {
    if (product(shape) <= kFoldLimit) {
      SmallVector<int64_t> strides = stridesOf(xs);
      ctx.setOutput(0, gatherHost(*known, shape, [&](ArrayRef<int64_t> idx) {
                      SmallVector<int64_t> at = source(idx);
                      int64_t offset = 0;
                      for (size_t d = 0; d < at.size(); ++d)
                        offset += at[d] * strides[d];
                      return offset;
                    }));
      return success();
    }
  }
  Value input = ctx.value(0);
  ctx.setOutput(0,
                generate(ctx.b, ctx.loc, shape, x.type.getElementType(),
                         [&](OpBuilder &b, Location loc) -> Value {
                           SmallVector<Value> idx;
                           for (size_t d = 0; d < shape.size(); ++d)
                             idx.push_back(linalg::IndexOp::create(b, loc, d));
                           return tensor::ExtractOp::create(
                               b, loc, input, irSource(b, loc, idx));
                         }));
  return success();
}

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Input 0, which must have a static shape of `rank` (any rank if -1).
FailureOr<Tensor *> staticInput(NodeContext &ctx, int64_t rank = -1) {
  Tensor *x = ctx.input(0);
  if (!x)
    return LogicalResult(ctx.error() << "expects an input");
  if (rank >= 0 && x->type.getRank() != rank)
    return LogicalResult(ctx.error() << "expects an input of rank " << rank
                                     << ", got " << x->type);
  if (!x->type.hasStaticShape())
    return LogicalResult(ctx.error()
                         << "needs an input of static shape, got " << x->type
                         << " (--input-shape pins dimensions)");
  return x;
}

LogicalResult lowerTile(NodeContext &ctx) {
  FailureOr<Tensor *> x = staticInput(ctx);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> xs = (*x)->type.getShape();
  std::optional<SmallVector<int64_t>> repeats = ctx.ints(1);
  if (!repeats)
    return ctx.error() << "needs repeats known at import time";
  if (repeats->size() != xs.size())
    return ctx.error() << "has " << repeats->size() << " repeats for rank "
                       << xs.size();
  SmallVector<int64_t> shape;
  for (auto [size, repeat] : llvm::zip(xs, *repeats)) {
    if (repeat < 0)
      return ctx.error() << "has a negative repeat " << repeat;
    shape.push_back(size * repeat);
  }
  if (failed(checkShape(shape, "the result", [&] { return ctx.error(); })))
    return failure();
  return remap(
      ctx, **x, shape,
      [&](ArrayRef<int64_t> idx) {
        SmallVector<int64_t> at;
        for (auto [i, size] : llvm::zip(idx, xs))
          at.push_back(i % size);
        return at;
      },
      [&](OpBuilder &b, Location loc, ArrayRef<Value> idx) {
        SmallVector<Value> at;
        for (auto [i, size] : llvm::zip(idx, xs))
          at.push_back(
              arith::RemUIOp::create(b, loc, i, indexConst(b, loc, size)));
        return at;
      });
}

/// DepthToSpace (`toSpace`) and SpaceToDepth on NCHW with block size `bs`:
/// DCR order (blocks outermost in the channels) unless CRD is asked.
LogicalResult lowerDepthSpace(NodeContext &ctx, bool toSpace) {
  FailureOr<Tensor *> x = staticInput(ctx, 4);
  if (failed(x))
    return failure();
  int64_t bs = ctx.attrInt("blocksize", 0);
  if (bs < 1)
    return ctx.error() << "needs a blocksize >= 1, got " << bs;
  std::string mode = ctx.attrString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return ctx.error() << "has mode '" << mode << "' (DCR or CRD)";
  if (!toSpace && ctx.hasAttr("mode"))
    return ctx.error() << "SpaceToDepth takes no mode";
  bool crd = mode == "CRD";
  ArrayRef<int64_t> xs = (*x)->type.getShape();
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  SmallVector<int64_t> shape;
  if (toSpace) {
    if (c % (bs * bs))
      return ctx.error() << "needs channels (" << c
                         << ") divisible by blocksize^2 (" << bs * bs << ")";
    shape = {n, c / (bs * bs), h * bs, w * bs};
  } else {
    if (h % bs || w % bs)
      return ctx.error() << "needs height and width (" << h << ", " << w
                         << ") divisible by blocksize " << bs;
    shape = {n, c * bs * bs, h / bs, w / bs};
  }
  // DepthToSpace: y[n, k, i, j] = x[n, channel(k, i % bs, j % bs), i / bs,
  // j / bs]. SpaceToDepth (DCR): y[n, (p * bs + q) * C + k, i, j] =
  // x[n, k, i * bs + p, j * bs + q].
  int64_t depth = toSpace ? shape[1] : c;
  auto hostSource = [&](ArrayRef<int64_t> idx) -> SmallVector<int64_t> {
    if (toSpace) {
      int64_t p = idx[2] % bs, q = idx[3] % bs;
      int64_t channel =
          crd ? idx[1] * bs * bs + p * bs + q : (p * bs + q) * depth + idx[1];
      return {idx[0], channel, idx[2] / bs, idx[3] / bs};
    }
    int64_t block = idx[1] / depth;
    return {idx[0], idx[1] % depth, idx[2] * bs + block / bs,
            idx[3] * bs + block % bs};
  };
  auto irSource = [&](OpBuilder &b, Location loc,
                      ArrayRef<Value> idx) -> SmallVector<Value> {
    Value bsv = indexConst(b, loc, bs), depthv = indexConst(b, loc, depth);
    auto mul = [&](Value a, Value c) {
      return arith::MulIOp::create(b, loc, a, c).getResult();
    };
    auto add = [&](Value a, Value c) {
      return arith::AddIOp::create(b, loc, a, c).getResult();
    };
    auto div = [&](Value a, Value c) {
      return arith::DivUIOp::create(b, loc, a, c).getResult();
    };
    auto rem = [&](Value a, Value c) {
      return arith::RemUIOp::create(b, loc, a, c).getResult();
    };
    if (toSpace) {
      Value p = rem(idx[2], bsv), q = rem(idx[3], bsv);
      Value block = add(mul(p, bsv), q);
      Value channel = crd ? add(mul(idx[1], indexConst(b, loc, bs * bs)), block)
                          : add(mul(block, depthv), idx[1]);
      return {idx[0], channel, div(idx[2], bsv), div(idx[3], bsv)};
    }
    Value block = div(idx[1], depthv);
    return {idx[0], rem(idx[1], depthv), add(mul(idx[2], bsv), div(block, bsv)),
            add(mul(idx[3], bsv), rem(block, bsv))};
  };
  return remap(ctx, **x, shape, hostSource, irSource);
}

/// GatherElements: y[i] = data[i with i[axis] replaced by indices[i]].
LogicalResult lowerGatherElements(NodeContext &ctx) {
  Tensor *data = ctx.input(0), *indices = ctx.input(1);
  if (!data || !indices)
    return ctx.error() << "expects data and indices";
  if (!isa<IntegerType>(indices->type.getElementType()))
    return ctx.error() << "expects integer indices";
  int64_t rank = data->type.getRank();
  if (indices->type.getRank() != rank)
    return ctx.error() << "needs indices of the data's rank " << rank
                       << ", got " << indices->type;
  FailureOr<int64_t> axis = ctx.axisAttr(rank, 0);
  if (failed(axis))
    return failure();
  if (!data->type.hasStaticShape() || !indices->type.hasStaticShape())
    return ctx.error() << "needs data and indices of static shapes";
  ArrayRef<int64_t> ds = data->type.getShape(),
                    shape = indices->type.getShape();
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && shape[d] > ds[d])
      return ctx.error() << "has indices of shape " << indices->type
                         << " larger than the data " << data->type
                         << " along dimension " << d;
  int64_t dim = ds[*axis];
  const HostTensor *known = ctx.hostOrSymbolic(0);
  const HostTensor *where = ctx.host(1);
  if (where)
    for (double v : where->values)
      if (v < -dim || v >= dim)
        return ctx.error() << "has index " << int64_t(v)
                           << " out of range for dimension " << dim;
  if (known && where && product(shape) <= kFoldLimit) {
    SmallVector<int64_t> strides = stridesOf(ds), istrides = stridesOf(shape);
    ctx.setOutput(0, gatherHost(*known, shape, [&](ArrayRef<int64_t> idx) {
                    int64_t at = 0, offset = 0;
                    for (int64_t d = 0; d < rank; ++d)
                      at += idx[d] * istrides[d];
                    int64_t k = int64_t(where->values[at]);
                    if (k < 0)
                      k += dim;
                    for (int64_t d = 0; d < rank; ++d)
                      offset += (d == *axis ? k : idx[d]) * strides[d];
                    return offset;
                  }));
    return success();
  }
  Value dataValue = ctx.value(0), indexValue = ctx.value(1);
  if (!where)
    assertIndicesInRange(ctx, indexValue, dim, *axis);
  ctx.setOutput(
      0,
      generate(
          ctx.b, ctx.loc, shape, data->type.getElementType(),
          [&](OpBuilder &b, Location loc) -> Value {
            SmallVector<Value> idx;
            for (int64_t d = 0; d < rank; ++d)
              idx.push_back(linalg::IndexOp::create(b, loc, d));
            Value k = arith::IndexCastOp::create(
                b, loc, b.getIndexType(),
                tensor::ExtractOp::create(b, loc, indexValue, idx));
            Value negative = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, k, indexConst(b, loc, 0));
            k = arith::SelectOp::create(
                b, loc, negative,
                arith::AddIOp::create(b, loc, k, indexConst(b, loc, dim)), k);
            // Checked above; the clamp keeps the read in bounds.
            k = arith::MaxSIOp::create(
                b, loc, indexConst(b, loc, 0),
                arith::MinSIOp::create(b, loc, k, indexConst(b, loc, dim - 1)));
            idx[*axis] = k;
            return tensor::ExtractOp::create(b, loc, dataValue, idx);
          }));
  return success();
}

/// OneHot(indices, depth, values = [off, on]): the result has the indices'
/// shape with `depth` inserted at `axis`; an index outside [-depth, depth)
/// gives a row of `off`.
LogicalResult lowerOneHot(NodeContext &ctx) {
  Tensor *indices = ctx.input(0), *values = ctx.input(2);
  if (!indices || !values)
    return ctx.error() << "expects indices, depth and values";
  std::optional<SmallVector<int64_t>> depths = ctx.ints(1);
  if (!depths || depths->size() != 1)
    return ctx.error() << "needs depth, a scalar known at import time";
  int64_t depth = (*depths)[0];
  if (depth < 1)
    return ctx.error() << "needs depth >= 1, got " << depth;
  if (!indices->type.hasStaticShape() || values->type.getNumElements() != 2)
    return ctx.error() << "needs indices of static shape and two values";
  int64_t rank = indices->type.getRank() + 1;
  FailureOr<int64_t> axis = ctx.axisAttr(rank, -1);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(indices->type.getShape());
  shape.insert(shape.begin() + *axis, depth);
  if (failed(checkShape(shape, "the result", [&] { return ctx.error(); })))
    return failure();
  Type elementType = values->type.getElementType();
  const HostTensor *where = ctx.host(0), *pair = ctx.host(2);
  auto position = [&](double v) {
    int64_t k = int64_t(v);
    return k < 0 ? k + depth : k;
  };
  if (where && pair && product(shape) <= kFoldLimit) {
    SmallVector<int64_t> istrides = stridesOf(indices->type.getShape());
    std::vector<double> out(product(shape));
    SmallVector<int64_t> idx(rank, 0);
    for (double &v : out) {
      int64_t at = 0;
      for (int64_t d = 0, i = 0; d < rank; ++d)
        if (d != *axis)
          at += idx[d] * istrides[i++];
      v = pair->values[position(where->values[at]) == idx[*axis] ? 1 : 0];
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < shape[d])
          break;
        idx[d] = 0;
      }
    }
    ctx.setOutput(0, makeHost(elementType, shape, std::move(out)));
    return success();
  }
  Value indexValue = ctx.value(0);
  Value pairValue = reshape(ctx.b, ctx.loc, ctx.value(2), {2});
  ctx.setOutput(
      0,
      generate(
          ctx.b, ctx.loc, shape, elementType,
          [&](OpBuilder &b, Location loc) -> Value {
            SmallVector<Value> at;
            for (int64_t d = 0; d < rank; ++d)
              if (d != *axis)
                at.push_back(linalg::IndexOp::create(b, loc, d));
            // Indices may be floats: truncated, as ONNX casts them.
            Value read = tensor::ExtractOp::create(b, loc, indexValue, at);
            if (isa<FloatType>(read.getType()))
              read = arith::FPToSIOp::create(b, loc, b.getI64Type(), read);
            Value k =
                arith::IndexCastOp::create(b, loc, b.getIndexType(), read);
            Value negative = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, k, indexConst(b, loc, 0));
            k = arith::SelectOp::create(
                b, loc, negative,
                arith::AddIOp::create(b, loc, k, indexConst(b, loc, depth)), k);
            Value hot =
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k,
                                      linalg::IndexOp::create(b, loc, *axis));
            Value which = arith::SelectOp::create(
                b, loc, hot, indexConst(b, loc, 1), indexConst(b, loc, 0));
            return tensor::ExtractOp::create(b, loc, pairValue,
                                             ValueRange{which});
          }));
  return success();
}

/// The axis input (a scalar known at import time) of CumSum.
FailureOr<int64_t> axisInput(NodeContext &ctx, int index, int64_t rank) {
  std::optional<SmallVector<int64_t>> axes = ctx.ints(index);
  if (!axes || axes->size() != 1)
    return LogicalResult(ctx.error()
                         << "needs axis, a scalar known at import time");
  std::optional<int64_t> axis = normalizeAxis((*axes)[0], rank);
  if (!axis)
    return LogicalResult(ctx.error() << "has axis " << (*axes)[0]
                                     << " out of range for rank " << rank);
  return *axis;
}

/// CumSum: y[..., i, ...] = Σ x[..., j, ...] over j <= i (j < i when
/// exclusive; j >= i, or j > i, when reverse). One generic with the
/// summed index as a reduction loop: quadratic in the axis' length, which
/// position ids and masks keep short. Dynamic sizes are taken at run time.
LogicalResult lowerCumSum(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  if (rank < 1)
    return ctx.error() << "expects an input of rank >= 1";
  FailureOr<int64_t> axis = axisInput(ctx, 1, rank);
  if (failed(axis))
    return failure();
  bool exclusive = ctx.attrInt("exclusive", 0) != 0;
  bool reverse = ctx.attrInt("reverse", 0) != 0;
  Type elementType = x->type.getElementType();
  auto included = [&](int64_t j, int64_t i) {
    return reverse ? (exclusive ? j > i : j >= i)
                   : (exclusive ? j < i : j <= i);
  };
  if (const HostTensor *known = ctx.host(0)) {
    ArrayRef<int64_t> xs = x->type.getShape();
    SmallVector<int64_t> strides = stridesOf(xs);
    std::vector<double> out(known->values.size());
    SmallVector<int64_t> idx(rank, 0);
    for (double &v : out) {
      int64_t base = 0;
      for (int64_t d = 0; d < rank; ++d)
        if (d != *axis)
          base += idx[d] * strides[d];
      double sum = 0;
      for (int64_t j = 0; j < xs[*axis]; ++j)
        if (included(j, idx[*axis]))
          sum += known->values[base + j * strides[*axis]];
      v = sum;
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < xs[d])
          break;
        idx[d] = 0;
      }
    }
    ctx.setOutput(0, makeHost(elementType, xs, std::move(out)));
    return success();
  }
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value input = ctx.value(0);
  MLIRContext *context = b.getContext();
  // Loops: the result's (0 .. rank-1), then j (rank).
  SmallVector<AffineExpr> inputExprs, outputExprs;
  for (int64_t d = 0; d < rank; ++d) {
    outputExprs.push_back(getAffineDimExpr(d, context));
    inputExprs.push_back(getAffineDimExpr(d == *axis ? rank : d, context));
  }
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = filledOf(b, loc, sizesOf(b, loc, input), elementType, 0.0);
  ctx.setOutput(
      0,
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{input}, ValueRange{init},
          SmallVector<AffineMap>{
              AffineMap::get(rank + 1, 0, inputExprs, context),
              AffineMap::get(rank + 1, 0, outputExprs, context)},
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value i = linalg::IndexOp::create(nb, l, *axis);
            Value j = linalg::IndexOp::create(nb, l, rank);
            arith::CmpIPredicate predicate =
                reverse ? (exclusive ? arith::CmpIPredicate::ugt
                                     : arith::CmpIPredicate::uge)
                        : (exclusive ? arith::CmpIPredicate::ult
                                     : arith::CmpIPredicate::ule);
            Value take = arith::CmpIOp::create(nb, l, predicate, j, i);
            Value sum =
                isa<FloatType>(elementType)
                    ? arith::AddFOp::create(nb, l, args[1], args[0]).getResult()
                    : arith::AddIOp::create(nb, l, args[1], args[0])
                          .getResult();
            linalg::YieldOp::create(
                nb, l,
                arith::SelectOp::create(nb, l, take, sum, args[1]).getResult());
          })
          .getResult(0));
  return success();
}

/// ArgMax (`isMax`) and ArgMin along `axis`: the first index of the extreme
/// value (the last with select_last_index), as int64, the axis kept as 1
/// unless keepdims = 0. A NaN is never selected over a number.
LogicalResult lowerArgExtreme(NodeContext &ctx, bool isMax) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  FailureOr<int64_t> axis = ctx.axisAttr(rank, 0);
  if (failed(axis))
    return failure();
  bool keepDims = ctx.attrInt("keepdims", 1) != 0;
  bool last = ctx.attrInt("select_last_index", 0) != 0;
  ArrayRef<int64_t> xs = x->type.getShape();
  if (xs[*axis] == 0)
    return ctx.error() << "reduces an empty dimension";
  SmallVector<int64_t> kept(xs), dropped;
  kept[*axis] = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis)
      dropped.push_back(xs[d]);
  Type i64 = ctx.b.getI64Type();
  Type elementType = x->type.getElementType();
  bool isFloatType = isa<FloatType>(elementType);
  auto better = [&](double v, double best) {
    if (std::isnan(v))
      return false;
    if (std::isnan(best))
      return true;
    return isMax ? (last ? v >= best : v > best)
                 : (last ? v <= best : v < best);
  };
  if (const HostTensor *known = ctx.host(0)) {
    SmallVector<int64_t> strides = stridesOf(xs);
    std::vector<double> out(product(kept));
    SmallVector<int64_t> idx(rank, 0);
    for (double &v : out) {
      int64_t base = 0;
      for (int64_t d = 0; d < rank; ++d)
        base += idx[d] * strides[d];
      int64_t best = 0;
      for (int64_t j = 1; j < xs[*axis]; ++j)
        if (better(known->values[base + j * strides[*axis]],
                   known->values[base + best * strides[*axis]]))
          best = j;
      v = double(best);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < kept[d])
          break;
        idx[d] = 0;
      }
    }
    ctx.setOutput(0, makeHost(i64,
                              keepDims ? ArrayRef<int64_t>(kept)
                                       : ArrayRef<int64_t>(dropped),
                              std::move(out)));
    return success();
  }
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value input = ctx.value(0);
  MLIRContext *context = b.getContext();
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, input);
  SmallVector<OpFoldResult> reducedSizes(sizes);
  reducedSizes.erase(reducedSizes.begin() + *axis);
  // The running best value starts at the first element along the axis'
  // opposite extreme: -inf/+inf (or the integer bounds), index 0.
  double start = isMax ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
  if (!isFloatType) {
    unsigned width = elementType.getIntOrFloatBitWidth();
    start = isMax ? -std::ldexp(1.0, int(width) - 1)
                  : std::ldexp(1.0, int(width) - 1) - 1;
  }
  Value bestValue = filledOf(b, loc, reducedSizes, elementType, start);
  Value bestIndex = filledOf(b, loc, reducedSizes, i64, 0.0);
  SmallVector<AffineExpr> reducedExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis)
      reducedExprs.push_back(getAffineDimExpr(d, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[*axis] = utils::IteratorType::reduction;
  AffineMap reducedMap = AffineMap::get(rank, 0, reducedExprs, context);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{bestValue.getType(), bestIndex.getType()},
      ValueRange{input}, ValueRange{bestValue, bestIndex},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank), reducedMap,
                             reducedMap},
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value v = args[0], best = args[1], index = args[2];
        Value j = arith::IndexCastOp::create(
            nb, l, i64, linalg::IndexOp::create(nb, l, *axis));
        Value take;
        if (isFloatType) {
          arith::CmpFPredicate predicate =
              isMax ? (last ? arith::CmpFPredicate::OGE
                            : arith::CmpFPredicate::OGT)
                    : (last ? arith::CmpFPredicate::OLE
                            : arith::CmpFPredicate::OLT);
          take = arith::CmpFOp::create(nb, l, predicate, v, best);
          // The first element is taken whatever it is (the start value
          // compares false with a NaN, and so does an infinite element).
          Value first = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::eq, j,
              arith::ConstantIntOp::create(nb, l, i64, 0));
          Value bestIsNaN = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::UNO, best, best);
          Value vIsNumber =
              arith::CmpFOp::create(nb, l, arith::CmpFPredicate::ORD, v, v);
          take = arith::OrIOp::create(
              nb, l, take,
              arith::OrIOp::create(
                  nb, l, first,
                  arith::AndIOp::create(nb, l, bestIsNaN, vIsNumber)));
        } else {
          arith::CmpIPredicate predicate =
              isMax ? (last ? arith::CmpIPredicate::sge
                            : arith::CmpIPredicate::sgt)
                    : (last ? arith::CmpIPredicate::sle
                            : arith::CmpIPredicate::slt);
          take = arith::CmpIOp::create(nb, l, predicate, v, best);
          Value first = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::eq, j,
              arith::ConstantIntOp::create(nb, l, i64, 0));
          take = arith::OrIOp::create(nb, l, take, first);
        }
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, take, v, best),
                       arith::SelectOp::create(nb, l, take, j, index)});
      });
  Value result = generic.getResult(1);
  if (keepDims) {
    // Reduced dimension r is result dimension r (before the axis) or r + 1;
    // the axis (size 1) joins the group of its right neighbour, or of its
    // left one when it is last.
    SmallVector<ReassociationIndices> groups;
    for (int64_t r = 0; r < rank - 1; ++r)
      groups.push_back({r < *axis ? r : r + 1});
    if (rank > 1 && *axis < rank - 1)
      groups[*axis].insert(groups[*axis].begin(), *axis);
    else if (rank > 1)
      groups.back().push_back(*axis);
    SmallVector<OpFoldResult> keptSizes(sizes);
    keptSizes[*axis] = b.getIndexAttr(1);
    SmallVector<int64_t> keptShape(x->type.getShape());
    keptShape[*axis] = 1;
    result = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(keptShape, i64), result, groups,
        keptSizes);
  }
  ctx.setOutput(0, result);
  return success();
}

/// An index read when the model runs, made non-negative (k + dim when
/// k < 0) and checked to lie in [0, dim): an assertion naming the node
/// stops the model otherwise.
Value checkedIndex(NodeContext &ctx, OpBuilder &b, Location loc, Value k,
                   int64_t dim, int64_t axis) {
  k = arith::IndexCastOp::create(b, loc, b.getIndexType(), k);
  Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, k,
                                         indexConst(b, loc, 0));
  k = arith::SelectOp::create(
      b, loc, negative,
      arith::AddIOp::create(b, loc, k, indexConst(b, loc, dim)), k);
  Value inRange = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, k,
                            indexConst(b, loc, 0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, k,
                            indexConst(b, loc, dim)));
  cf::AssertOp::create(b, loc, inRange,
                       "node '" + ctx.name() + "': " + ctx.node.op_type() +
                           " index out of range for dimension " +
                           std::to_string(axis) + " of size " +
                           std::to_string(dim));
  return k;
}

/// The reduction attribute of the scatters: none, add, mul, max or min.
enum class ScatterReduction { None, Add, Mul, Max, Min };

FailureOr<ScatterReduction> scatterReduction(NodeContext &ctx) {
  std::string r = ctx.attrString("reduction", "none");
  if (r == "none")
    return ScatterReduction::None;
  if (r == "add")
    return ScatterReduction::Add;
  if (r == "mul")
    return ScatterReduction::Mul;
  if (r == "max")
    return ScatterReduction::Max;
  if (r == "min")
    return ScatterReduction::Min;
  return LogicalResult(ctx.error() << "has reduction '" << r
                                   << "' (none, add, mul, max or min)");
}

double combineHost(ScatterReduction r, double old, double update) {
  switch (r) {
  case ScatterReduction::None:
    return update;
  case ScatterReduction::Add:
    return old + update;
  case ScatterReduction::Mul:
    return old * update;
  case ScatterReduction::Max:
    return std::max(old, update);
  case ScatterReduction::Min:
    return std::min(old, update);
  }
  return update;
}

Value combine(OpBuilder &b, Location loc, ScatterReduction r, Value old,
              Value update) {
  bool isFloat = isa<FloatType>(old.getType());
  switch (r) {
  case ScatterReduction::None:
    return update;
  case ScatterReduction::Add:
    return isFloat ? arith::AddFOp::create(b, loc, old, update).getResult()
                   : arith::AddIOp::create(b, loc, old, update).getResult();
  case ScatterReduction::Mul:
    return isFloat ? arith::MulFOp::create(b, loc, old, update).getResult()
                   : arith::MulIOp::create(b, loc, old, update).getResult();
  case ScatterReduction::Max:
    return isFloat ? arith::MaximumFOp::create(b, loc, old, update).getResult()
                   : arith::MaxSIOp::create(b, loc, old, update).getResult();
  case ScatterReduction::Min:
    return isFloat ? arith::MinimumFOp::create(b, loc, old, update).getResult()
                   : arith::MinSIOp::create(b, loc, old, update).getResult();
  }
  return update;
}

/// The multi-index of `linear` in `shape` (row-major), as index values.
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<int64_t> shape) {
  SmallVector<Value> index(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    Value size = indexConst(b, loc, shape[d]);
    index[d] = arith::RemUIOp::create(b, loc, linear, size);
    linear = arith::DivUIOp::create(b, loc, linear, size);
  }
  return index;
}

/// Data, indices and (for the scatters) updates, all with static shapes
/// and integer indices.
LogicalResult checkIndexedInputs(NodeContext &ctx, int count);

/// A scatter's data, indices and updates (checked by checkIndexedInputs)
/// and its reduction.
struct ScatterInputs {
  Tensor *data, *indices, *updates;
  ScatterReduction reduction;
};

FailureOr<ScatterInputs> scatterInputs(NodeContext &ctx) {
  if (failed(checkIndexedInputs(ctx, 3)))
    return failure();
  FailureOr<ScatterReduction> reduction = scatterReduction(ctx);
  if (failed(reduction))
    return failure();
  return ScatterInputs{ctx.input(0), ctx.input(1), ctx.input(2), *reduction};
}

/// Reads the k index values of `row` of `indices` (the row's leading
/// indices, then j = 0 .. k - 1), each checked against its data dimension
/// dims[j] (dimension first + j).
SmallVector<Value> readIndexRow(NodeContext &ctx, OpBuilder &b, Location loc,
                                Value indices, ArrayRef<Value> row,
                                ArrayRef<int64_t> dims, int64_t first) {
  SmallVector<Value> result;
  for (auto [j, dim] : llvm::enumerate(dims)) {
    SmallVector<Value> at(row);
    at.push_back(indexConst(b, loc, j));
    result.push_back(checkedIndex(
        ctx, b, loc, tensor::ExtractOp::create(b, loc, indices, at), dim,
        first + int64_t(j)));
  }
  return result;
}

LogicalResult checkIndexedInputs(NodeContext &ctx, int count) {
  for (int i = 0; i < count; ++i) {
    Tensor *t = ctx.input(i);
    if (!t)
      return ctx.error() << "expects " << count << " inputs";
    if (!t->type.hasStaticShape())
      return ctx.error() << "needs inputs of static shapes, got input " << i
                         << " " << t->type;
  }
  if (!isa<IntegerType>(ctx.input(1)->type.getElementType()))
    return ctx.error() << "expects integer indices";
  return success();
}

/// GatherND: with B = batch_dims, y[b..., i..., j...] =
/// data[b..., indices[b..., i..., :], j...]: the first B dimensions of data
/// and indices are shared, each row of indices (k values) names data's
/// dimensions B .. B + k - 1.
LogicalResult lowerGatherND(NodeContext &ctx) {
  if (failed(checkIndexedInputs(ctx, 2)))
    return failure();
  Tensor *data = ctx.input(0), *indices = ctx.input(1);
  ArrayRef<int64_t> ds = data->type.getShape(), is = indices->type.getShape();
  int64_t batch = ctx.attrInt("batch_dims", 0);
  if (batch < 0 || batch >= int64_t(is.size()) || batch >= int64_t(ds.size()))
    return ctx.error() << "has batch_dims " << batch
                       << " out of range for the ranks of data and indices";
  for (int64_t d = 0; d < batch; ++d)
    if (ds[d] != is[d])
      return ctx.error() << "needs data and indices of the same size along "
                            "batch dimension "
                         << d;
  if (is.back() < 1 || batch + is.back() > int64_t(ds.size()))
    return ctx.error() << "needs indices whose last dimension is 1 to the "
                          "data's rank minus batch_dims, got "
                       << indices->type;
  int64_t k = is.back(), outer = is.size() - 1;
  SmallVector<int64_t> shape(is.drop_back());
  shape.append(ds.begin() + batch + k, ds.end());
  const HostTensor *known = ctx.hostOrSymbolic(0), *where = ctx.host(1);
  if (known && where && product(shape) <= kFoldLimit) {
    SmallVector<int64_t> strides = stridesOf(ds);
    for (int64_t n = 0; n < int64_t(where->values.size()); ++n) {
      int64_t v = int64_t(where->values[n]), dim = ds[batch + n % k];
      if (v < -dim || v >= dim)
        return ctx.error() << "has index " << v
                           << " out of range for dimension " << batch + n % k;
    }
    ctx.setOutput(0, gatherHost(*known, shape, [&](ArrayRef<int64_t> idx) {
                    int64_t row = 0, offset = 0;
                    for (int64_t d = 0; d < outer; ++d)
                      row = row * is[d] + idx[d];
                    for (int64_t d = 0; d < batch; ++d)
                      offset += idx[d] * strides[d];
                    for (int64_t j = 0; j < k; ++j) {
                      int64_t v = int64_t(where->values[row * k + j]);
                      int64_t dim = ds[batch + j];
                      offset += (v < 0 ? v + dim : v) * strides[batch + j];
                    }
                    for (size_t d = batch + k; d < ds.size(); ++d)
                      offset += idx[outer + d - batch - k] * strides[d];
                    return offset;
                  }));
    return success();
  }
  Value dataValue = ctx.value(0), indexValue = ctx.value(1);
  ctx.setOutput(
      0,
      generate(ctx.b, ctx.loc, shape, data->type.getElementType(),
               [&](OpBuilder &b, Location loc) -> Value {
                 SmallVector<Value> row;
                 for (int64_t d = 0; d < outer; ++d)
                   row.push_back(linalg::IndexOp::create(b, loc, d));
                 SmallVector<Value> position(row.begin(), row.begin() + batch);
                 position.append(readIndexRow(ctx, b, loc, indexValue, row,
                                              ds.slice(batch, k), batch));
                 for (size_t d = batch + k; d < ds.size(); ++d)
                   position.push_back(
                       linalg::IndexOp::create(b, loc, outer + d - batch - k));
                 return tensor::ExtractOp::create(b, loc, dataValue, position);
               }));
  return success();
}

/// ScatterND: a copy of data where each row of indices (k values) names a
/// slice data[i_0, ..., i_{k-1}, :...] that the matching update replaces
/// (or is combined with, by `reduction`), in order.
LogicalResult lowerScatterND(NodeContext &ctx) {
  FailureOr<ScatterInputs> in = scatterInputs(ctx);
  if (failed(in))
    return failure();
  Tensor *data = in->data, *indices = in->indices, *updates = in->updates;
  ScatterReduction reduction = in->reduction;
  ArrayRef<int64_t> ds = data->type.getShape(), is = indices->type.getShape();
  if (is.empty() || is.back() < 1 || is.back() > int64_t(ds.size()))
    return ctx.error() << "needs indices whose last dimension is 1 to the "
                          "data's rank, got "
                       << indices->type;
  int64_t k = is.back();
  SmallVector<int64_t> updateShape(is.drop_back());
  ArrayRef<int64_t> sliceShape = ds.drop_front(k);
  updateShape.append(sliceShape.begin(), sliceShape.end());
  if (updates->type.getShape() != ArrayRef<int64_t>(updateShape))
    return ctx.error() << "needs updates of shape indices[:-1] + data[k:], got "
                       << updates->type;
  if (updates->type.getElementType() != data->type.getElementType())
    return ctx.error() << "needs updates of the data's element type";
  int64_t count = product(is.drop_back()), sliceSize = product(sliceShape);
  const HostTensor *known = ctx.host(0), *where = ctx.host(1),
                   *with = ctx.host(2);
  if (known && where && with) {
    SmallVector<int64_t> strides = stridesOf(ds);
    std::vector<double> out = known->values;
    for (int64_t u = 0; u < count; ++u) {
      int64_t offset = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t v = int64_t(where->values[u * k + j]);
        if (v < -ds[j] || v >= ds[j])
          return ctx.error()
                 << "has index " << v << " out of range for dimension " << j;
        offset += (v < 0 ? v + ds[j] : v) * strides[j];
      }
      for (int64_t e = 0; e < sliceSize; ++e)
        out[offset + e] = combineHost(reduction, out[offset + e],
                                      with->values[u * sliceSize + e]);
    }
    ctx.setOutput(0, makeHost(data->type.getElementType(), ds, std::move(out)));
    return success();
  }
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value indexValue = ctx.value(1), updateValue = ctx.value(2);
  int64_t rank = ds.size(), outer = is.size() - 1;
  auto loop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 0), indexConst(b, loc, count),
      indexConst(b, loc, 1), ValueRange{ctx.value(0)},
      [&](OpBuilder &b, Location loc, Value u, ValueRange carried) {
        SmallVector<Value> row = delinearize(b, loc, u, is.drop_back());
        SmallVector<OpFoldResult> offsets, sizes(k, b.getIndexAttr(1)),
            strides(rank, b.getIndexAttr(1));
        for (Value index :
             readIndexRow(ctx, b, loc, indexValue, row, ds.take_front(k), 0))
          offsets.push_back(index);
        for (int64_t d = k; d < rank; ++d) {
          offsets.push_back(b.getIndexAttr(0));
          sizes.push_back(b.getIndexAttr(ds[d]));
        }
        // The update for this row, as a slice of the data's rank.
        SmallVector<OpFoldResult> updateOffsets(row.begin(), row.end()),
            updateSizes(outer, b.getIndexAttr(1));
        for (int64_t d = k; d < rank; ++d) {
          updateOffsets.push_back(b.getIndexAttr(0));
          updateSizes.push_back(b.getIndexAttr(ds[d]));
        }
        SmallVector<int64_t> slice(k, 1);
        slice.append(sliceShape.begin(), sliceShape.end());
        auto sliceType =
            RankedTensorType::get(slice, data->type.getElementType());
        Value update = tensor::ExtractSliceOp::create(
            b, loc,
            RankedTensorType::get(sliceShape, sliceType.getElementType()),
            updateValue, updateOffsets, updateSizes,
            SmallVector<OpFoldResult>(outer + rank - k, b.getIndexAttr(1)));
        update = reshape(b, loc, update, slice);
        if (reduction != ScatterReduction::None) {
          Value old = tensor::ExtractSliceOp::create(
              b, loc, sliceType, carried[0], offsets, sizes, strides);
          update = broadcastMap(
              b, loc, ValueRange{old, update}, slice,
              sliceType.getElementType(),
              [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                return combine(b, loc, reduction, a[0], a[1]);
              });
        }
        Value next = tensor::InsertSliceOp::create(b, loc, update, carried[0],
                                                   offsets, sizes, strides);
        scf::YieldOp::create(b, loc, next);
      });
  ctx.setOutput(0, loop.getResult(0));
  return success();
}

/// ScatterElements: a copy of data where, for every position p of indices,
/// the element at p with p[axis] = indices[p] becomes updates[p] (or is
/// combined with it by `reduction`), in order.
LogicalResult lowerScatterElements(NodeContext &ctx) {
  FailureOr<ScatterInputs> in = scatterInputs(ctx);
  if (failed(in))
    return failure();
  Tensor *data = in->data, *indices = in->indices, *updates = in->updates;
  ScatterReduction reduction = in->reduction;
  ArrayRef<int64_t> ds = data->type.getShape(), is = indices->type.getShape();
  int64_t rank = ds.size();
  if (int64_t(is.size()) != rank || updates->type.getShape() != is)
    return ctx.error() << "needs indices and updates of one shape and the "
                          "data's rank, got "
                       << indices->type << " and " << updates->type;
  for (int64_t d = 0; d < rank; ++d)
    if (is[d] > ds[d])
      return ctx.error() << "has indices larger than the data along dimension "
                         << d;
  FailureOr<int64_t> axis = ctx.axisAttr(rank, 0);
  if (failed(axis))
    return failure();
  int64_t dim = ds[*axis], count = product(is);
  const HostTensor *known = ctx.host(0), *where = ctx.host(1),
                   *with = ctx.host(2);
  if (known && where && with) {
    SmallVector<int64_t> strides = stridesOf(ds), istrides = stridesOf(is);
    std::vector<double> out = known->values;
    for (int64_t p = 0; p < count; ++p) {
      int64_t v = int64_t(where->values[p]), offset = 0;
      if (v < -dim || v >= dim)
        return ctx.error() << "has index " << v
                           << " out of range for dimension " << dim;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t i = (p / istrides[d]) % is[d];
        offset += (d == *axis ? (v < 0 ? v + dim : v) : i) * strides[d];
      }
      out[offset] = combineHost(reduction, out[offset], with->values[p]);
    }
    ctx.setOutput(0, makeHost(data->type.getElementType(), ds, std::move(out)));
    return success();
  }
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value indexValue = ctx.value(1), updateValue = ctx.value(2);
  auto loop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 0), indexConst(b, loc, count),
      indexConst(b, loc, 1), ValueRange{ctx.value(0)},
      [&](OpBuilder &b, Location loc, Value p, ValueRange carried) {
        SmallVector<Value> at = delinearize(b, loc, p, is);
        SmallVector<Value> target(at);
        target[*axis] = checkedIndex(
            ctx, b, loc, tensor::ExtractOp::create(b, loc, indexValue, at), dim,
            *axis);
        Value update = tensor::ExtractOp::create(b, loc, updateValue, at);
        if (reduction != ScatterReduction::None)
          update = combine(
              b, loc, reduction,
              tensor::ExtractOp::create(b, loc, carried[0], target), update);
        scf::YieldOp::create(
            b, loc,
            tensor::InsertOp::create(b, loc, update, carried[0], target)
                .getResult());
      });
  ctx.setOutput(0, loop.getResult(0));
  return success();
}

/// Einsum: one linalg.generic whose loops are the equation's letters, the
/// output's first (in the order the output names them), then the summed
/// ones. An ellipsis stands for the same trailing-aligned dimensions in
/// every operand (broadcast where an operand's size is 1); an implicit
/// output (no "->") is the ellipsis' dimensions, then the letters used
/// once in alphabetical order; a letter repeated within an operand reads
/// its diagonal.
LogicalResult lowerEinsum(NodeContext &ctx) {
  std::string equation = ctx.attrString("equation", "");
  equation.erase(std::remove(equation.begin(), equation.end(), ' '),
                 equation.end());
  StringRef text(equation);
  auto [lhs, rhs] = text.split("->");
  bool implicit = !text.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  int n = ctx.numInputs();
  if (int(terms.size()) != n)
    return ctx.error() << "has " << terms.size() << " operands in '" << equation
                       << "' for " << n << " inputs";
  // The ellipsis' dimensions are named '0', '1', ... (right-aligned: the
  // last one is always the highest digit).
  int64_t ellipsis = 0;
  SmallVector<SmallVector<char>> names(n);
  auto expand = [&](StringRef term, int64_t rank,
                    SmallVector<char> &out) -> LogicalResult {
    size_t dots = term.find("...");
    int64_t letters = int64_t(term.size()) - (dots == StringRef::npos ? 0 : 3);
    int64_t covered = dots == StringRef::npos ? 0 : rank - letters;
    if (covered < 0 || (dots == StringRef::npos && letters != rank) ||
        (dots != StringRef::npos && term.drop_front(dots + 3).contains('.')))
      return ctx.error() << "cannot match '" << term << "' to rank " << rank;
    for (size_t i = 0; i < term.size(); ++i) {
      if (i == dots) {
        for (int64_t e = 0; e < covered; ++e)
          out.push_back(char('9' - covered + 1 + e));
        i += 2;
        continue;
      }
      if (!llvm::isAlpha(term[i]))
        return ctx.error() << "has '" << term[i] << "' in '" << equation
                           << "' (letters and one ellipsis per operand)";
      out.push_back(term[i]);
    }
    ellipsis = std::max(ellipsis, covered);
    return success();
  };
  llvm::DenseMap<char, int64_t> sizes;
  llvm::DenseMap<char, int> uses;
  Type elementType;
  for (int i = 0; i < n; ++i) {
    Tensor *t = ctx.input(i);
    if (!t)
      return ctx.error() << "expects input " << i;
    if (!t->type.hasStaticShape())
      return ctx.error() << "needs inputs of static shapes, got " << t->type;
    if (i == 0)
      elementType = t->type.getElementType();
    else if (t->type.getElementType() != elementType)
      return ctx.error() << "needs inputs of one element type";
    if (failed(expand(terms[i], t->type.getRank(), names[i])))
      return failure();
    for (auto [d, c] : llvm::enumerate(names[i])) {
      int64_t size = t->type.getDimSize(d);
      auto [it, inserted] = sizes.try_emplace(c, size);
      // Ellipsis dimensions broadcast; letters must agree.
      if (!inserted && it->second != size) {
        if (llvm::isAlpha(c) || (size != 1 && it->second != 1))
          return ctx.error() << "gives '" << c << "' sizes " << it->second
                             << " and " << size;
        it->second = std::max(it->second, size);
      }
      ++uses[c];
    }
  }
  SmallVector<char> output;
  for (int64_t e = 0; e < ellipsis; ++e)
    output.push_back(char('9' - ellipsis + 1 + e));
  if (implicit) {
    SmallVector<char> once;
    for (auto &[c, count] : uses)
      if (count == 1 && llvm::isAlpha(c))
        once.push_back(c);
    llvm::sort(once);
    output.append(once.begin(), once.end());
  } else {
    output.clear();
    if (failed(expand(rhs,
                      int64_t(rhs.size()) - (rhs.contains("...") ? 3 : 0) +
                          (rhs.contains("...") ? ellipsis : 0),
                      output)))
      return failure();
  }
  SmallVector<char> loops;
  SmallVector<int64_t> shape;
  for (char c : output) {
    if (!sizes.count(c))
      return ctx.error() << "has output letter '" << c
                         << "' that no input names";
    if (llvm::is_contained(loops, c))
      return ctx.error() << "repeats '" << c << "' in its output";
    loops.push_back(c);
    shape.push_back(sizes[c]);
  }
  int64_t parallel = loops.size();
  for (const SmallVector<char> &term : names)
    for (char c : term)
      if (!llvm::is_contained(loops, c))
        loops.push_back(c);
  MLIRContext *context = ctx.b.getContext();
  auto mapOf = [&](ArrayRef<char> letters, ArrayRef<int64_t> dims) {
    SmallVector<AffineExpr> exprs;
    for (auto [d, c] : llvm::enumerate(letters)) {
      // A broadcast dimension (size 1 against a larger loop) reads index 0.
      if (!dims.empty() && dims[d] == 1 && sizes[c] != 1) {
        exprs.push_back(getAffineConstantExpr(0, context));
        continue;
      }
      exprs.push_back(getAffineDimExpr(
          std::find(loops.begin(), loops.end(), c) - loops.begin(), context));
    }
    return AffineMap::get(loops.size(), 0, exprs, context);
  };
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs;
  for (int i = 0; i < n; ++i) {
    maps.push_back(mapOf(names[i], ctx.input(i)->type.getShape()));
    inputs.push_back(ctx.value(i));
  }
  maps.push_back(mapOf(output, {}));
  SmallVector<utils::IteratorType> iterators(parallel,
                                             utils::IteratorType::parallel);
  iterators.append(loops.size() - parallel, utils::IteratorType::reduction);
  bool isFloat = isa<FloatType>(elementType);
  Value init = filled(ctx.b, ctx.loc, shape, elementType, 0.0);
  ctx.setOutput(
      0,
      linalg::GenericOp::create(
          ctx.b, ctx.loc, init.getType(), inputs, ValueRange{init}, maps,
          iterators,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value product = args[0];
            for (Value v : args.drop_front().drop_back())
              product =
                  isFloat
                      ? arith::MulFOp::create(b, loc, product, v).getResult()
                      : arith::MulIOp::create(b, loc, product, v).getResult();
            Value sum =
                isFloat ? arith::AddFOp::create(b, loc, args.back(), product)
                              .getResult()
                        : arith::AddIOp::create(b, loc, args.back(), product)
                              .getResult();
            linalg::YieldOp::create(b, loc, sum);
          })
          .getResult(0));
  return success();
}

/// TopK along `axis` (k known at import): each element's rank (how many
/// elements come before it: larger ones, or smaller with largest = 0, and
/// equal ones at lower indices), then the element of rank j for each of
/// the k outputs: two generics, quadratic in the axis' length. Values and
/// int64 indices come out sorted (which `sorted = 0` allows too); ties
/// keep the lower index first, as ONNX asks.
LogicalResult lowerTopK(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  std::optional<SmallVector<int64_t>> ks = ctx.ints(1);
  if (!ks || ks->size() != 1)
    return ctx.error() << "needs k, one value known at import time";
  int64_t k = (*ks)[0];
  int64_t rank = x->type.getRank();
  FailureOr<int64_t> axis = ctx.axisAttr(rank, -1);
  if (failed(axis))
    return failure();
  int64_t n = x->type.getDimSize(*axis);
  if (ShapedType::isDynamic(n))
    return ctx.error() << "sorts along dimension " << *axis << " of " << x->type
                       << ", which is dynamic";
  if (k < 0 || k > n)
    return ctx.error() << "has k = " << k << " for a dimension of " << n;
  bool largest = ctx.attrInt("largest", 1) != 0;
  Type elementType = x->type.getElementType();
  bool isFloat = isa<FloatType>(elementType);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value input = ctx.value(0);
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type();
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, input);
  // Ranks: loops (x's dims..., l) with l a reduction over the axis.
  SmallVector<AffineExpr> self, other;
  for (int64_t d = 0; d < rank; ++d) {
    self.push_back(getAffineDimExpr(d, context));
    other.push_back(getAffineDimExpr(d == *axis ? rank : d, context));
  }
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value ranks =
      linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get(x->type.getShape(), i64)},
          ValueRange{input, input},
          ValueRange{filledOf(b, loc, sizes, i64, 0.0)},
          SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, self, context),
                                 AffineMap::get(rank + 1, 0, other, context),
                                 AffineMap::get(rank + 1, 0, self, context)},
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value mine = args[0], theirs = args[1];
            Value i = linalg::IndexOp::create(nb, l, *axis);
            Value j = linalg::IndexOp::create(nb, l, rank);
            Value before, equal;
            if (isFloat) {
              before =
                  arith::CmpFOp::create(nb, l,
                                        largest ? arith::CmpFPredicate::OGT
                                                : arith::CmpFPredicate::OLT,
                                        theirs, mine);
              equal = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                            theirs, mine);
            } else {
              before =
                  arith::CmpIOp::create(nb, l,
                                        largest ? arith::CmpIPredicate::sgt
                                                : arith::CmpIPredicate::slt,
                                        theirs, mine);
              equal = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                            theirs, mine);
            }
            Value tieBefore = arith::AndIOp::create(
                nb, l, equal,
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, j, i));
            Value counts = arith::OrIOp::create(nb, l, before, tieBefore);
            Value add = arith::ExtUIOp::create(nb, l, i64, counts);
            linalg::YieldOp::create(
                nb, l, arith::AddIOp::create(nb, l, args[2], add).getResult());
          })
          .getResult(0);
  // Outputs: loops (result dims with the axis running over k..., i) with i
  // a reduction over the axis: the element whose rank is the output's
  // position is selected.
  SmallVector<OpFoldResult> outSizes(sizes);
  outSizes[*axis] = b.getIndexAttr(k);
  SmallVector<int64_t> outShape(x->type.getShape());
  outShape[*axis] = k;
  SmallVector<AffineExpr> out, source;
  for (int64_t d = 0; d < rank; ++d) {
    out.push_back(getAffineDimExpr(d, context));
    source.push_back(getAffineDimExpr(d == *axis ? rank : d, context));
  }
  auto selected = linalg::GenericOp::create(
      b, loc,
      TypeRange{RankedTensorType::get(outShape, elementType),
                RankedTensorType::get(outShape, i64)},
      ValueRange{input, ranks},
      ValueRange{filledOf(b, loc, outSizes, elementType, 0.0),
                 filledOf(b, loc, outSizes, i64, 0.0)},
      SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, source, context),
                             AffineMap::get(rank + 1, 0, source, context),
                             AffineMap::get(rank + 1, 0, out, context),
                             AffineMap::get(rank + 1, 0, out, context)},
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value position = arith::IndexCastOp::create(
            nb, l, i64, linalg::IndexOp::create(nb, l, *axis));
        Value match = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                            args[1], position);
        Value index = arith::IndexCastOp::create(
            nb, l, i64, linalg::IndexOp::create(nb, l, rank));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, match, args[0], args[2]),
                       arith::SelectOp::create(nb, l, match, index, args[3])});
      });
  ctx.setOutput(0, selected.getResult(0));
  ctx.setOutput(1, selected.getResult(1));
  return success();
}

/// NonZero: its result's shape depends on the input's values, so it is
/// computed when the input is known at import time and refused otherwise.
LogicalResult lowerNonZero(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  const HostTensor *known = ctx.host(0);
  if (!known)
    return ctx.error() << "needs its input known at import time: the number "
                          "of non-zero elements is its result's shape";
  ArrayRef<int64_t> xs = x->type.getShape();
  int64_t rank = xs.size();
  std::vector<int64_t> found;
  for (size_t i = 0; i < known->values.size(); ++i)
    if (known->values[i] != 0)
      found.push_back(int64_t(i));
  SmallVector<int64_t> strides = stridesOf(xs);
  int64_t count = found.size();
  std::vector<double> out(rank * count);
  for (int64_t c = 0; c < count; ++c)
    for (int64_t d = 0; d < rank; ++d)
      out[d * count + c] = double((found[c] / strides[d]) % xs[d]);
  ctx.setOutput(0, makeHost(ctx.b.getI64Type(), {rank, count}, std::move(out)));
  return success();
}

} // namespace

void mlir::tern::onnx_import::registerIndexingOps(HandlerTable &t) {
  t["Tile"] = lowerTile;
  t["DepthToSpace"] = [](NodeContext &ctx) {
    return lowerDepthSpace(ctx, true);
  };
  t["SpaceToDepth"] = [](NodeContext &ctx) {
    return lowerDepthSpace(ctx, false);
  };
  t["GatherElements"] = lowerGatherElements;
  t["GatherND"] = lowerGatherND;
  t["ScatterND"] = lowerScatterND;
  t["ScatterElements"] = lowerScatterElements;
  // Scatter (opset 9, deprecated since 11) is ScatterElements.
  t["Scatter"] = lowerScatterElements;
  t["OneHot"] = lowerOneHot;
  t["Einsum"] = lowerEinsum;
  t["TopK"] = lowerTopK;
  t["NonZero"] = lowerNonZero;
  t["CumSum"] = lowerCumSum;
  t["ArgMax"] = [](NodeContext &ctx) { return lowerArgExtreme(ctx, true); };
  t["ArgMin"] = [](NodeContext &ctx) { return lowerArgExtreme(ctx, false); };
}
