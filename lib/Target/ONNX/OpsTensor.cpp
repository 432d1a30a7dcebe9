//===- OpsTensor.cpp - shape and data movement ONNX ops -------------------===//
//
// This file lowers the ONNX ops that move data without arithmetic: shapes,
// reshapes, transposes, slices, gathers, concatenations and padding. Each
// one computes its result shape statically and, when its inputs are known
// at import time, its result too: that folds the Shape -> Gather -> Concat
// -> Reshape chains exporters emit, so the IR keeps static shapes.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "tern/Support/Signature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// Sets the output to `input` viewed with `shape` (same elements).
LogicalResult setReshaped(NodeContext &ctx, Tensor &input,
                          ArrayRef<int64_t> shape) {
  if (product(shape) != input.type.getNumElements())
    return ctx.error() << "cannot reshape " << input.type << " to "
                       << product(shape) << " elements";
  if (input.host || input.symbolic) {
    HostTensor host = input.host ? *input.host : *input.symbolic;
    host.shape.assign(shape.begin(), shape.end());
    ctx.setOutput(0, std::move(host));
    return success();
  }
  if (input.raw && !input.value) {
    Tensor t;
    t.type = RankedTensorType::get(shape, input.type.getElementType());
    t.raw = input.raw;
    ctx.setOutput(0, std::move(t));
    return success();
  }
  ctx.setOutput(0, reshape(ctx.b, ctx.loc, ctx.value(0), shape));
  return success();
}

/// Sets the output to input 0 viewed with `sizes` (run-time sizes allowed;
/// same elements when the model runs).
LogicalResult setReshapedTo(NodeContext &ctx, ArrayRef<OpFoldResult> sizes) {
  Tensor &input = *ctx.input(0);
  SmallVector<int64_t> shape = staticShapeOf(sizes);
  if (input.type.hasStaticShape() &&
      !llvm::any_of(shape, ShapedType::isDynamic))
    return setReshaped(ctx, input, shape);
  ctx.setOutput(0, reshapeTo(ctx.b, ctx.loc, ctx.value(0), sizes));
  return success();
}

LogicalResult lowerConstant(NodeContext &ctx) {
  if (const onnx::AttributeProto *value = ctx.attr("value")) {
    FailureOr<Tensor> t = constantFromProto(ctx, value->t());
    if (failed(t))
      return failure();
    t->name = ctx.node.output(0);
    ctx.setOutput(0, std::move(*t));
    return success();
  }
  Builder b(ctx.b.getContext());
  if (ctx.hasAttr("value_float"))
    ctx.setOutput(
        0, makeHost(b.getF32Type(), {}, {ctx.attrFloat("value_float", 0)}));
  else if (ctx.hasAttr("value_int"))
    ctx.setOutput(
        0, makeHost(b.getI64Type(), {}, {double(ctx.attrInt("value_int", 0))}));
  else if (ctx.hasAttr("value_floats")) {
    std::vector<float> f = ctx.attrFloats("value_floats");
    ctx.setOutput(0, makeHost(b.getF32Type(), {int64_t(f.size())},
                              std::vector<double>(f.begin(), f.end())));
  } else if (ctx.hasAttr("value_ints")) {
    SmallVector<int64_t> v = ctx.attrInts("value_ints");
    ctx.setOutput(0, makeHost(b.getI64Type(), {int64_t(v.size())},
                              std::vector<double>(v.begin(), v.end())));
  } else
    return ctx.error() << "has no value attribute tern reads (value, "
                          "value_float(s), value_int(s))";
  return success();
}

LogicalResult lowerShape(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  int64_t start = ctx.attrInt("start", 0), end = ctx.attrInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<double> dims;
  std::vector<Value> symbols;
  Value value = x->type.hasStaticShape() ? Value() : ctx.value(0);
  for (int64_t i = start; i < end; ++i) {
    bool dynamic = x->type.isDynamicDim(i);
    dims.push_back(dynamic ? 0.0 : double(x->type.getDimSize(i)));
    symbols.push_back(
        dynamic ? Value(arith::IndexCastOp::create(
                      ctx.b, ctx.loc, ctx.b.getI64Type(),
                      tensor::DimOp::create(ctx.b, ctx.loc, value, i)))
                : Value());
  }
  HostTensor shape =
      makeHost(ctx.b.getI64Type(), {int64_t(dims.size())}, std::move(dims));
  if (!x->type.hasStaticShape())
    shape.symbols = std::move(symbols);
  ctx.setOutput(0, std::move(shape));
  return success();
}

LogicalResult lowerSize(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  ctx.setOutput(
      0, makeHost(ctx.b.getI64Type(), {}, {double(x->type.getNumElements())}));
  return success();
}

/// Reshape to a target known only in part at import time, or of an input
/// with dynamic dimensions: 0 copies the input's size, -1 is inferred from
/// the element count, both when the model runs if need be.
LogicalResult lowerDynamicReshape(NodeContext &ctx,
                                  ArrayRef<OpFoldResult> target) {
  Tensor *x = ctx.input(0);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  bool allowZero = ctx.attrInt("allowzero", 0) != 0;
  SmallVector<OpFoldResult> input = sizesOf(b, loc, ctx.value(0));
  SmallVector<OpFoldResult> sizes(target);
  std::optional<size_t> inferred;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    std::optional<int64_t> known = getConstantIntValue(size);
    if (!known)
      continue;
    if (*known == 0 && !allowZero) {
      if (int64_t(i) >= x->type.getRank())
        return ctx.error() << "copies dimension " << i << " of a rank-"
                           << x->type.getRank() << " input";
      size = input[i];
    } else if (*known == -1) {
      if (inferred)
        return ctx.error() << "has more than one -1 in its target shape";
      inferred = i;
    } else if (*known < 0) {
      return ctx.error() << "has an invalid target dimension " << *known;
    }
  }
  if (inferred) {
    SmallVector<OpFoldResult> others(sizes);
    others[*inferred] = b.getIndexAttr(1);
    OpFoldResult known = productOf(b, loc, others);
    OpFoldResult total = productOf(b, loc, input);
    std::optional<int64_t> k = getConstantIntValue(known),
                           n = getConstantIntValue(total);
    if (k && n) {
      if (*k == 0 || *n % *k)
        return ctx.error() << "cannot infer the -1 dimension of a reshape of "
                           << x->type;
      sizes[*inferred] = b.getIndexAttr(*n / *k);
    } else {
      sizes[*inferred] =
          arith::DivUIOp::create(b, loc,
                                 getValueOrCreateConstantIndexOp(b, loc, total),
                                 getValueOrCreateConstantIndexOp(b, loc, known))
              .getResult();
    }
  }
  return setReshapedTo(ctx, sizes);
}

LogicalResult lowerReshape(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  if (ctx.opset >= 5 && (!x->type.hasStaticShape() || !ctx.host(1))) {
    std::optional<SmallVector<OpFoldResult>> target = ctx.sizes(1);
    if (!target)
      return ctx.error() << "needs its target shape (input 1) to be known at "
                            "import time (from constants and input sizes)";
    return lowerDynamicReshape(ctx, *target);
  }
  SmallVector<int64_t> shape;
  if (ctx.opset < 5) {
    shape = ctx.attrInts("shape");
  } else {
    std::optional<SmallVector<int64_t>> given = ctx.ints(1);
    if (!given)
      return ctx.error() << "needs its target shape (input 1) to be known at "
                            "import time";
    shape = *given;
  }
  bool allowZero = ctx.attrInt("allowzero", 0) != 0;
  int64_t inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (int64_t(i) >= x->type.getRank())
        return ctx.error() << "copies dimension " << i << " of a rank-"
                           << x->type.getRank() << " input";
      shape[i] = x->type.getDimSize(i);
    }
    if (shape[i] == -1) {
      if (inferred >= 0)
        return ctx.error() << "has more than one -1 in its target shape";
      inferred = int64_t(i);
      continue;
    }
    if (shape[i] < 0)
      return ctx.error() << "has an invalid target dimension " << shape[i];
  }
  if (inferred >= 0) {
    SmallVector<int64_t> others(shape);
    others[inferred] = 1;
    int64_t known = product(others);
    if (known == 0 || x->type.getNumElements() % known)
      return ctx.error() << "cannot infer the -1 dimension of a reshape of "
                         << x->type;
    shape[inferred] = x->type.getNumElements() / known;
  }
  return setReshaped(ctx, *x, shape);
}

LogicalResult lowerFlatten(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  int64_t axis = ctx.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return ctx.error() << "has axis " << ctx.attrInt("axis", 1)
                       << " out of range for rank " << rank;
  ArrayRef<int64_t> s = x->type.getShape();
  return setReshaped(
      ctx, *x, {product(s.take_front(axis)), product(s.drop_front(axis))});
}

LogicalResult lowerSqueeze(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  auto axes = ctx.intsAttrOrInput("axes", 1, 13);
  if (failed(axes))
    return failure();
  int64_t rank = x->type.getRank();
  SmallVector<bool> drop(rank, false);
  if (*axes) {
    for (int64_t a : **axes) {
      std::optional<int64_t> axis = normalizeAxis(a, rank);
      if (!axis || x->type.getDimSize(*axis) != 1)
        return ctx.error() << "cannot squeeze axis " << a << " of " << x->type;
      drop[*axis] = true;
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = x->type.getDimSize(i) == 1;
  }
  if (!x->type.hasStaticShape()) {
    SmallVector<OpFoldResult> all = sizesOf(ctx.b, ctx.loc, ctx.value(0)), kept;
    for (int64_t i = 0; i < rank; ++i)
      if (!drop[i])
        kept.push_back(all[i]);
    return setReshapedTo(ctx, kept);
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(x->type.getDimSize(i));
  return setReshaped(ctx, *x, shape);
}

LogicalResult lowerUnsqueeze(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  auto axes = ctx.intsAttrOrInput("axes", 1, 13);
  if (failed(axes))
    return failure();
  if (!*axes)
    return ctx.error() << "needs axes";
  int64_t rank = x->type.getRank() + int64_t((*axes)->size());
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : **axes) {
    std::optional<int64_t> axis = normalizeAxis(a, rank);
    if (!axis || inserted[*axis])
      return ctx.error() << "has an invalid or repeated axis " << a;
    inserted[*axis] = true;
  }
  if (!x->type.hasStaticShape()) {
    // An expand_shape: each group one input dimension and the unit ones
    // inserted after it (before the first, the leading ones). Unlike a
    // reshape it is a view of any strided buffer, such as a key/value
    // cache appended to in place (tern-cache-in-place).
    SmallVector<OpFoldResult> all = sizesOf(ctx.b, ctx.loc, ctx.value(0)),
                              sizes;
    SmallVector<int64_t> shape;
    SmallVector<ReassociationIndices> groups;
    int64_t next = 0;
    for (int64_t i = 0; i < rank; ++i) {
      if (!inserted[i])
        groups.emplace_back();
      (groups.empty() ? groups.emplace_back() : groups.back()).push_back(i);
      sizes.push_back(inserted[i] ? ctx.b.getIndexAttr(1) : all[next]);
      shape.push_back(inserted[i] ? 1 : x->type.getDimSize(next));
      next += !inserted[i];
    }
    // Leading unit dimensions share the first input dimension's group.
    if (groups.size() > size_t(x->type.getRank())) {
      ReassociationIndices leading = groups.front();
      groups.erase(groups.begin());
      groups.front().insert(groups.front().begin(), leading.begin(),
                            leading.end());
    }
    ctx.setOutput(0, tensor::ExpandShapeOp::create(
                         ctx.b, ctx.loc,
                         RankedTensorType::get(shape, x->type.getElementType()),
                         ctx.value(0), groups, sizes)
                         .getResult());
    return success();
  }
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : x->type.getDimSize(next++));
  return setReshaped(ctx, *x, shape);
}

LogicalResult lowerTranspose(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  SmallVector<int64_t> perm = ctx.attrInts("perm");
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  for (int64_t i = 0; i < rank; ++i)
    if (int64_t(sorted.size()) != rank || sorted[i] != i)
      return ctx.error() << "has perm that is not a permutation of 0.."
                         << rank - 1;
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x->type.getDimSize(p));
  if (x->host) {
    SmallVector<int64_t> strides = stridesOf(x->type.getShape());
    ctx.setOutput(0, gatherHost(*x->host, shape, [&](ArrayRef<int64_t> idx) {
                    int64_t offset = 0;
                    for (int64_t i = 0; i < rank; ++i)
                      offset += idx[i] * strides[perm[i]];
                    return offset;
                  }));
    return success();
  }
  ctx.setOutput(0, transpose(ctx.b, ctx.loc, ctx.value(0), perm));
  return success();
}

LogicalResult lowerConcat(NodeContext &ctx) {
  SmallVector<Tensor *> inputs;
  for (int i = 0; i < ctx.numInputs(); ++i)
    if (Tensor *t = ctx.input(i))
      inputs.push_back(t);
  if (inputs.empty())
    return ctx.error() << "expects inputs";
  int64_t rank = inputs[0]->type.getRank();
  FailureOr<int64_t> axis = ctx.axisAttr(rank, 0);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(inputs[0]->type.getShape());
  shape[*axis] = 0;
  for (Tensor *t : inputs) {
    if (t->type.getRank() != rank ||
        t->type.getElementType() != inputs[0]->type.getElementType())
      return ctx.error() << "concatenates " << inputs[0]->type << " and "
                         << t->type;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && t->type.getDimSize(d) != shape[d] &&
          !t->type.isDynamicDim(d) && !ShapedType::isDynamic(shape[d]))
        return ctx.error() << "concatenates " << inputs[0]->type << " and "
                           << t->type << " along axis " << *axis;
    shape[*axis] += t->type.getDimSize(*axis);
  }
  bool dynamic =
      llvm::any_of(inputs, [](Tensor *t) { return !t->type.hasStaticShape(); });
  auto known = [](Tensor *t) { return t->host ? t->host : t->symbolic; };
  if (!dynamic && llvm::all_of(inputs, known)) {
    int64_t outer = product(ArrayRef<int64_t>(shape).take_front(*axis));
    int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(*axis + 1));
    std::vector<double> values;
    std::vector<Value> symbols;
    for (int64_t o = 0; o < outer; ++o)
      for (Tensor *t : inputs) {
        const HostTensor &host = *known(t);
        int64_t chunk = t->type.getDimSize(*axis) * inner;
        for (int64_t e = o * chunk; e < (o + 1) * chunk; ++e) {
          values.push_back(host.values[e]);
          symbols.push_back(host.isSymbolic() ? host.symbols[e] : Value());
        }
      }
    HostTensor result =
        makeHost(inputs[0]->type.getElementType(), shape, std::move(values));
    if (llvm::any_of(symbols, [](Value v) { return bool(v); }))
      result.symbols = std::move(symbols);
    ctx.setOutput(0, std::move(result));
    return success();
  }
  if (dynamic) {
    SmallVector<Value> pieces;
    for (int i = 0; i < ctx.numInputs(); ++i)
      if (ctx.input(i))
        pieces.push_back(ctx.value(i));
    ctx.setOutput(0, concatOf(ctx.b, ctx.loc, pieces, *axis));
    return success();
  }
  Value result = empty(ctx.b, ctx.loc, shape, inputs[0]->type.getElementType());
  int64_t offset = 0;
  for (int i = 0; i < ctx.numInputs(); ++i) {
    Tensor *t = ctx.input(i);
    if (!t)
      continue;
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    offsets[*axis] = offset;
    result =
        insertSlice(ctx.b, ctx.loc, ctx.value(i), result, offsets, strides);
    offset += t->type.getDimSize(*axis);
  }
  ctx.setOutput(0, result);
  return success();
}

/// A strided slice of input 0: `sizes` elements from `offsets` in `steps`
/// (negative steps read backwards). A dynamic size (kDynamic) takes a whole
/// dynamic dimension of the input (offset 0, step 1).
void setSlice(NodeContext &ctx, int output, ArrayRef<int64_t> offsets,
              ArrayRef<int64_t> sizes, ArrayRef<int64_t> steps) {
  Tensor *x = ctx.input(0);
  if (llvm::any_of(sizes, ShapedType::isDynamic)) {
    Value source = ctx.value(0);
    SmallVector<OpFoldResult> all = sizesOf(ctx.b, ctx.loc, source), mixed;
    for (auto [d, size] : llvm::enumerate(sizes))
      mixed.push_back(ShapedType::isDynamic(size)
                          ? all[d]
                          : OpFoldResult(ctx.b.getIndexAttr(size)));
    ctx.setOutput(
        output, tensor::ExtractSliceOp::create(
                    ctx.b, ctx.loc, source,
                    getAsIndexOpFoldResult(ctx.b.getContext(), offsets), mixed,
                    getAsIndexOpFoldResult(ctx.b.getContext(), steps)));
    return;
  }
  if (const HostTensor *known = ctx.hostOrSymbolic(0)) {
    SmallVector<int64_t> strides = stridesOf(x->type.getShape());
    ctx.setOutput(output, gatherHost(*known, sizes, [&](ArrayRef<int64_t> idx) {
                    int64_t offset = 0;
                    for (size_t d = 0; d < idx.size(); ++d)
                      offset += (offsets[d] + idx[d] * steps[d]) * strides[d];
                    return offset;
                  }));
    return;
  }
  // Negative steps: the same elements read with a positive step, then the
  // order of those dimensions reversed.
  SmallVector<int64_t> first(offsets), stride(steps);
  SmallVector<bool> reversed(steps.size(), false);
  for (size_t d = 0; d < steps.size(); ++d)
    if (steps[d] < 0) {
      first[d] = sizes[d] ? offsets[d] + (sizes[d] - 1) * steps[d] : 0;
      stride[d] = -steps[d];
      reversed[d] = true;
    }
  Value slice =
      extractSlice(ctx.b, ctx.loc, ctx.value(0), first, sizes, stride);
  if (llvm::is_contained(reversed, true)) {
    Type element = x->type.getElementType();
    slice = generate(
        ctx.b, ctx.loc, sizes, element,
        [&](OpBuilder &b, Location loc) -> Value {
          SmallVector<Value> at;
          for (size_t d = 0; d < sizes.size(); ++d) {
            Value i = linalg::IndexOp::create(b, loc, d);
            if (reversed[d])
              i = arith::SubIOp::create(
                  b, loc, arith::ConstantIndexOp::create(b, loc, sizes[d] - 1),
                  i);
            at.push_back(i);
          }
          return tensor::ExtractOp::create(b, loc, slice, at);
        });
  }
  ctx.setOutput(output, slice);
}

/// A Slice bound (`start` or `end`) along a dimension of size `dim`,
/// resolved as ONNX says: a negative bound counts from the end, then the
/// bound is clamped to [0, dim].
int64_t clampSliceBound(int64_t bound, int64_t dim) {
  return std::clamp<int64_t>(bound < 0 ? bound + dim : bound, 0, dim);
}

/// clampSliceBound when the model runs; folded when both are known.
OpFoldResult sliceBound(OpBuilder &b, Location loc, OpFoldResult bound,
                        OpFoldResult dim) {
  std::optional<int64_t> v = getConstantIntValue(bound),
                         d = getConstantIntValue(dim);
  if (v && d)
    return b.getIndexAttr(clampSliceBound(*v, *d));
  // 0 stays 0, and a bound no dimension reaches (exporters write INT64_MAX
  // for "to the end") is the dimension.
  if (v && *v == 0)
    return b.getIndexAttr(0);
  if (v && *v >= (int64_t(1) << 62))
    return dim;
  Value value = getValueOrCreateConstantIndexOp(b, loc, bound);
  Value size = getValueOrCreateConstantIndexOp(b, loc, dim);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, value, zero);
  value = arith::SelectOp::create(
      b, loc, negative, arith::AddIOp::create(b, loc, value, size), value);
  return arith::MaxSIOp::create(b, loc, zero,
                                arith::MinSIOp::create(b, loc, value, size))
      .getResult();
}

/// Slice of data with dynamic dimensions, or with starts and ends known
/// only when the model runs (shape arithmetic, computed values): the bounds
/// are resolved when the model runs. Axes and steps are known at import
/// time.
LogicalResult lowerDynamicSlice(NodeContext &ctx, ArrayRef<OpFoldResult> starts,
                                ArrayRef<OpFoldResult> ends,
                                ArrayRef<int64_t> axes,
                                ArrayRef<int64_t> steps) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value x = ctx.value(0);
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<OpFoldResult> dims = sizesOf(b, loc, x), sizes = dims;
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
      strides(rank, b.getIndexAttr(1));
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = *normalizeAxis(axes[i], rank);
    OpFoldResult start = sliceBound(b, loc, starts[i], dims[axis]);
    OpFoldResult end = sliceBound(b, loc, ends[i], dims[axis]);
    offsets[axis] = start;
    strides[axis] = b.getIndexAttr(steps[i]);
    std::optional<int64_t> s = getConstantIntValue(start),
                           e = getConstantIntValue(end);
    if (s && e) {
      sizes[axis] =
          b.getIndexAttr(*e > *s ? (*e - *s + steps[i] - 1) / steps[i] : 0);
      continue;
    }
    // max(0, ceil((end - start) / step)).
    Value length = arith::SubIOp::create(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, end),
        getValueOrCreateConstantIndexOp(b, loc, start));
    if (steps[i] != 1)
      length = arith::CeilDivSIOp::create(
          b, loc, length, arith::ConstantIndexOp::create(b, loc, steps[i]));
    sizes[axis] = arith::MaxSIOp::create(
                      b, loc, arith::ConstantIndexOp::create(b, loc, 0), length)
                      .getResult();
  }
  ctx.setOutput(
      0, tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides)
             .getResult());
  return success();
}

LogicalResult lowerSlice(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  // Starts and ends known only when the model runs (shape arithmetic, or
  // values the model computes, such as a Loop's iteration number).
  std::optional<SmallVector<OpFoldResult>> symbolicStarts, symbolicEnds;
  if (ctx.opset < 10) {
    starts = ctx.attrInts("starts");
    ends = ctx.attrInts("ends");
    axes = ctx.attrInts("axes");
  } else {
    for (int i = 1; i <= 4; ++i) {
      if (!ctx.input(i))
        continue;
      std::optional<SmallVector<int64_t>> v = ctx.ints(i);
      if (!v && i <= 2) {
        (i == 1 ? symbolicStarts : symbolicEnds) = ctx.indices(i);
        if ((i == 1 ? symbolicStarts : symbolicEnds))
          continue;
      }
      if (!v)
        return ctx.error() << "needs input " << i
                           << (i <= 2 ? " (starts, ends) to be known at "
                                        "import time or of a static length"
                                      : " (axes, steps) to be known at "
                                        "import time");
      (i == 1 ? starts : i == 2 ? ends : i == 3 ? axes : steps) = *v;
    }
  }
  bool dynamic = symbolicStarts || symbolicEnds || !x->type.hasStaticShape();
  auto toSizes = [&](ArrayRef<int64_t> v) {
    return getAsIndexOpFoldResult(ctx.b.getContext(), v);
  };
  size_t count = symbolicStarts ? symbolicStarts->size() : starts.size();
  if (axes.empty())
    for (size_t i = 0; i < count; ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(count, 1);
  if (dynamic) {
    SmallVector<OpFoldResult> s =
        symbolicStarts ? *symbolicStarts : toSizes(starts);
    SmallVector<OpFoldResult> e = symbolicEnds ? *symbolicEnds : toSizes(ends);
    if (e.size() != s.size() || axes.size() != s.size() ||
        steps.size() != s.size())
      return ctx.error() << "has starts, ends, axes and steps of different "
                            "lengths";
    for (auto [axis, step] : llvm::zip(axes, steps)) {
      if (!normalizeAxis(axis, rank))
        return ctx.error() << "has axis " << axis << " out of range";
      if (step <= 0)
        return ctx.error() << "has step " << step
                           << " on an input of dynamic shape or bounds known "
                              "only when the model runs; tern supports "
                              "negative steps there only with static shapes "
                              "(--input-shape)";
    }
    return lowerDynamicSlice(ctx, s, e, axes, steps);
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return ctx.error() << "has starts, ends, axes and steps of different "
                          "lengths";
  SmallVector<int64_t> offsets(rank, 0), sizes(x->type.getShape()),
      strides(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], rank);
    if (!axis)
      return ctx.error() << "has axis " << axes[i] << " out of range";
    int64_t dim = x->type.getDimSize(*axis), step = steps[i];
    if (step == 0 || step == std::numeric_limits<int64_t>::min())
      return ctx.error() << "has step " << step;
    if (step < 0) {
      // Backwards: start clamped to [0, dim - 1], end to [-1, dim - 1].
      auto bound = [&](int64_t v) {
        return std::clamp<int64_t>(v < 0 ? v + dim : v, -1, dim - 1);
      };
      int64_t start = std::max<int64_t>(bound(starts[i]), 0);
      int64_t end = bound(ends[i]);
      offsets[*axis] = start;
      sizes[*axis] =
          start > end && dim > 0 ? (start - end - step - 1) / -step : 0;
      strides[*axis] = step;
      continue;
    }
    int64_t start = clampSliceBound(starts[i], dim);
    int64_t end = clampSliceBound(ends[i], dim);
    offsets[*axis] = start;
    sizes[*axis] = end > start ? (end - start + step - 1) / step : 0;
    strides[*axis] = step;
  }
  setSlice(ctx, 0, offsets, sizes, strides);
  return success();
}

LogicalResult lowerSplit(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  FailureOr<int64_t> axis = ctx.axisAttr(rank, 0);
  if (failed(axis))
    return failure();
  auto split = ctx.intsAttrOrInput("split", 1, 13);
  if (failed(split))
    return failure();
  int64_t dim = x->type.getDimSize(*axis);
  if (ShapedType::isDynamic(dim))
    return ctx.error() << "splits dimension " << *axis << " of " << x->type
                       << ", which is dynamic";
  int64_t outputs = ctx.node.output_size();
  SmallVector<int64_t> sizes;
  if (*split) {
    sizes = **split;
  } else {
    int64_t n = ctx.attrInt("num_outputs", outputs);
    int64_t chunk = (dim + n - 1) / n;
    for (int64_t i = 0; i < n; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  }
  if (int64_t(sizes.size()) != outputs ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != dim)
    return ctx.error() << "splits dimension " << dim << " into " << sizes.size()
                       << " parts that do not add up for " << outputs
                       << " outputs";
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    SmallVector<int64_t> offsets(rank, 0), shape(x->type.getShape()),
        steps(rank, 1);
    offsets[*axis] = offset;
    shape[*axis] = sizes[i];
    setSlice(ctx, int(i), offsets, shape, steps);
    offset += sizes[i];
  }
  return success();
}

LogicalResult lowerGather(NodeContext &ctx) {
  Tensor *data = ctx.input(0), *indices = ctx.input(1);
  if (!data || !indices)
    return ctx.error() << "expects data and indices";
  if (isa<FloatType>(indices->type.getElementType()))
    return ctx.error() << "expects integer indices";
  int64_t rank = data->type.getRank();
  FailureOr<int64_t> axis = ctx.axisAttr(rank, 0);
  if (failed(axis))
    return failure();
  int64_t dim = data->type.getDimSize(*axis);
  ArrayRef<int64_t> ds = data->type.getShape(), is = indices->type.getShape();
  SmallVector<int64_t> shape(ds.take_front(*axis));
  shape.append(is.begin(), is.end());
  shape.append(ds.begin() + *axis + 1, ds.end());
  int64_t indexRank = indices->type.getRank();

  if (indices->host) {
    for (double v : indices->host->values)
      if (v < -dim || v >= dim)
        return ctx.error() << "has index " << int64_t(v)
                           << " out of range for dimension " << dim;
  }
  const HostTensor *known = ctx.hostOrSymbolic(0);
  if (known && indices->host && data->type.hasStaticShape() &&
      product(shape) <= kFoldLimit) {
    SmallVector<int64_t> strides = stridesOf(ds);
    SmallVector<int64_t> istrides = stridesOf(is);
    ctx.setOutput(0, gatherHost(*known, shape, [&](ArrayRef<int64_t> idx) {
                    int64_t at = 0;
                    for (int64_t i = 0; i < indexRank; ++i)
                      at += idx[*axis + i] * istrides[i];
                    int64_t k = int64_t(indices->host->values[at]);
                    if (k < 0)
                      k += dim;
                    int64_t offset = 0;
                    for (int64_t d = 0; d < rank; ++d) {
                      int64_t i = d < *axis    ? idx[d]
                                  : d == *axis ? k
                                               : idx[d - 1 + indexRank];
                      offset += i * strides[d];
                    }
                    return offset;
                  }));
    return success();
  }
  // One generic over the result: read the index, then the data.
  Value dataValue = ctx.value(0), indexValue = ctx.value(1);
  Type elementType = data->type.getElementType();
  if (ShapedType::isDynamic(dim))
    return ctx.error() << "gathers along dimension " << *axis << " of "
                       << data->type << ", which is dynamic";
  SmallVector<OpFoldResult> dataSizes = sizesOf(ctx.b, ctx.loc, dataValue),
                            indexSizes = sizesOf(ctx.b, ctx.loc, indexValue);
  SmallVector<OpFoldResult> sizes(
      ArrayRef<OpFoldResult>(dataSizes).take_front(*axis));
  sizes.append(indexSizes.begin(), indexSizes.end());
  sizes.append(dataSizes.begin() + *axis + 1, dataSizes.end());
  // ONNX makes an index outside [-dim, dim) an error: checked once per
  // index when the model runs (a token id past the vocabulary, a position
  // past a rotary table), before the gather reads.
  if (!indices->host)
    assertIndicesInRange(ctx, indexValue, dim, *axis);
  Value result = generateOf(
      ctx.b, ctx.loc, sizes, elementType,
      [&](OpBuilder &b, Location loc) -> Value {
        SmallVector<Value> at;
        for (int64_t i = 0; i < indexRank; ++i)
          at.push_back(linalg::IndexOp::create(b, loc, *axis + i));
        Value k = tensor::ExtractOp::create(b, loc, indexValue, at);
        k = arith::IndexCastOp::create(b, loc, b.getIndexType(), k);
        Value negative =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, k,
                                  arith::ConstantIndexOp::create(b, loc, 0));
        k = arith::SelectOp::create(
            b, loc, negative,
            arith::AddIOp::create(b, loc, k,
                                  arith::ConstantIndexOp::create(b, loc, dim)),
            k);
        // Indices were checked above (or are constants checked at import
        // time); the clamp keeps the read in bounds regardless.
        k = arith::MaxSIOp::create(
            b, loc, arith::ConstantIndexOp::create(b, loc, 0),
            arith::MinSIOp::create(
                b, loc, k, arith::ConstantIndexOp::create(b, loc, dim - 1)));
        SmallVector<Value> position;
        for (int64_t d = 0; d < rank; ++d) {
          if (d == *axis)
            position.push_back(k);
          else
            position.push_back(linalg::IndexOp::create(
                b, loc, d < *axis ? d : d - 1 + indexRank));
        }
        Value v = tensor::ExtractOp::create(b, loc, dataValue, position);
        return v;
      });
  ctx.setOutput(0, result);
  return success();
}

/// Expand to a shape known only in part at import time, or of an input with
/// dynamic dimensions. A target size of 1 keeps the input's; an input size
/// of 1 takes the target's; other sizes must agree when the model runs.
LogicalResult lowerDynamicExpand(NodeContext &ctx,
                                 ArrayRef<OpFoldResult> target) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value x = ctx.value(0);
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> xs = sizesOf(b, loc, x);
  int64_t rank = std::max<int64_t>(type.getRank(), target.size());
  SmallVector<OpFoldResult> sizes;
  SmallVector<AffineExpr> exprs;
  MLIRContext *context = b.getContext();
  for (int64_t p = 0; p < rank; ++p) {
    int64_t xd = p - (rank - type.getRank());
    int64_t td = p - (rank - int64_t(target.size()));
    std::optional<int64_t> t =
        td >= 0 ? getConstantIntValue(target[td]) : std::optional<int64_t>(1);
    bool xOne = xd < 0 || type.getDimSize(xd) == 1;
    OpFoldResult size;
    if (t && *t == 1)
      size = xd >= 0 ? xs[xd] : b.getIndexAttr(1);
    else if (xOne)
      size = target[td];
    else
      size = xs[xd];
    if (t && *t != 1 && xd >= 0 && !type.isDynamicDim(xd) &&
        type.getDimSize(xd) != 1 && type.getDimSize(xd) != *t)
      return ctx.error() << "cannot expand " << type << " to size " << *t
                         << " in dimension " << p;
    sizes.push_back(size);
    if (xd >= 0)
      exprs.push_back(xOne ? getAffineConstantExpr(0, context)
                           : getAffineDimExpr(p, context));
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank, 0, exprs, context),
      AffineMap::getMultiDimIdentityMap(rank, context)};
  Value init = emptyOf(b, loc, sizes, type.getElementType());
  ctx.setOutput(
      0,
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{x}, ValueRange{init}, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(nb, nloc, args[0]);
          })
          .getResult(0));
  return success();
}

LogicalResult lowerExpand(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (x && (!x->type.hasStaticShape() || !ctx.host(1))) {
    std::optional<SmallVector<OpFoldResult>> target = ctx.sizes(1);
    if (target)
      return lowerDynamicExpand(ctx, *target);
  }
  std::optional<SmallVector<int64_t>> target = ctx.ints(1);
  if (!x || !target)
    return ctx.error() << "needs its shape (input 1) to be known at import "
                          "time";
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes({x->type.getShape(), *target});
  if (!shape)
    return ctx.error() << "cannot expand " << x->type << " to the given shape";
  if (x->host && product(*shape) <= kFoldLimit) {
    ArrayRef<int64_t> s = x->type.getShape();
    SmallVector<int64_t> strides = stridesOf(s);
    int64_t rank = shape->size();
    ctx.setOutput(0, gatherHost(*x->host, *shape, [&](ArrayRef<int64_t> idx) {
                    int64_t offset = 0;
                    for (size_t d = 0; d < s.size(); ++d)
                      offset += (s[d] == 1 ? 0 : idx[rank - s.size() + d]) *
                                strides[d];
                    return offset;
                  }));
    return success();
  }
  ctx.setOutput(0, broadcastTo(ctx.b, ctx.loc, ctx.value(0), *shape));
  return success();
}

LogicalResult lowerConstantOfShape(NodeContext &ctx) {
  std::optional<SmallVector<int64_t>> shape = ctx.ints(0);
  if (!shape) {
    std::optional<SmallVector<OpFoldResult>> sizes = ctx.sizes(0);
    if (!sizes)
      return ctx.error() << "needs its shape to be known at import time (from "
                            "constants and input sizes)";
    Type type = ctx.b.getF32Type();
    double value = 0;
    if (const onnx::AttributeProto *attr = ctx.attr("value")) {
      FailureOr<Tensor> t = constantFromProto(ctx, attr->t());
      if (failed(t) || !t->host || t->host->size() != 1)
        return ctx.error() << "expects a one-element value";
      type = t->type.getElementType();
      value = t->host->values[0];
    }
    ctx.setOutput(0, filledOf(ctx.b, ctx.loc, *sizes, type, value));
    return success();
  }
  for (int64_t d : *shape)
    if (d < 0)
      return ctx.error() << "has a negative dimension " << d;
  Type type = ctx.b.getF32Type();
  double value = 0;
  if (const onnx::AttributeProto *attr = ctx.attr("value")) {
    FailureOr<Tensor> t = constantFromProto(ctx, attr->t());
    if (failed(t) || !t->host || t->host->size() != 1)
      return ctx.error() << "expects a one-element value";
    type = t->type.getElementType();
    value = t->host->values[0];
  }
  if (product(*shape) <= kFoldLimit) {
    ctx.setOutput(
        0, makeHost(type, *shape, std::vector<double>(product(*shape), value)));
    return success();
  }
  ctx.setOutput(0, filled(ctx.b, ctx.loc, *shape, type, value));
  return success();
}

/// Range whose bounds are known only when the model runs (integers).
LogicalResult lowerDynamicRange(NodeContext &ctx) {
  std::optional<SmallVector<OpFoldResult>> start = ctx.sizes(0),
                                           limit = ctx.sizes(1),
                                           delta = ctx.sizes(2);
  if (!start || !limit || !delta || start->size() != 1 || limit->size() != 1 ||
      delta->size() != 1)
    return ctx.error() << "needs scalar start, limit and delta known at "
                          "import time (from constants and input sizes)";
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value s = getValueOrCreateConstantIndexOp(b, loc, (*start)[0]);
  Value l = getValueOrCreateConstantIndexOp(b, loc, (*limit)[0]);
  Value d = getValueOrCreateConstantIndexOp(b, loc, (*delta)[0]);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  cf::AssertOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, d, zero),
      "node '" + ctx.name() + "': Range has delta 0");
  // n = max(0, ceil((limit - start) / delta)).
  Value n = arith::MaxSIOp::create(
      b, loc, zero,
      arith::CeilDivSIOp::create(b, loc, arith::SubIOp::create(b, loc, l, s),
                                 d));
  Type type = ctx.input(0)->type.getElementType();
  ctx.setOutput(
      0, generateOf(b, loc, {OpFoldResult(n)}, type,
                    [&](OpBuilder &b, Location loc) -> Value {
                      Value i = linalg::IndexOp::create(b, loc, 0);
                      Value v = arith::AddIOp::create(
                          b, loc, s, arith::MulIOp::create(b, loc, i, d));
                      return arith::IndexCastOp::create(b, loc, type, v);
                    }));
  return success();
}

LogicalResult lowerRange(NodeContext &ctx) {
  if (ctx.hostOrSymbolic(0) && ctx.hostOrSymbolic(1) && ctx.hostOrSymbolic(2) &&
      !(ctx.host(0) && ctx.host(1) && ctx.host(2)) &&
      !isa<FloatType>(ctx.input(0)->type.getElementType()))
    return lowerDynamicRange(ctx);
  const HostTensor *start = ctx.host(0), *limit = ctx.host(1),
                   *delta = ctx.host(2);
  if (!start || !limit || !delta || start->size() != 1 || limit->size() != 1 ||
      delta->size() != 1)
    return ctx.error() << "needs scalar start, limit and delta known at "
                          "import time";
  double s = start->values[0], l = limit->values[0], d = delta->values[0];
  if (d == 0)
    return ctx.error() << "has delta 0";
  int64_t n = std::max<int64_t>(0, int64_t(std::ceil((l - s) / d)));
  if (n > kFoldLimit)
    return ctx.error() << "produces " << n
                       << " elements, more than tern "
                          "folds";
  std::vector<double> values(n);
  for (int64_t i = 0; i < n; ++i)
    values[i] = s + double(i) * d;
  ctx.setOutput(0, makeHost(start->elementType, {n}, std::move(values)));
  return success();
}

LogicalResult lowerTrilu(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x || x->type.getRank() < 2)
    return ctx.error() << "expects an input of rank >= 2";
  int64_t k = 0;
  if (ctx.input(1)) {
    std::optional<SmallVector<int64_t>> kk = ctx.ints(1);
    if (!kk || kk->size() != 1)
      return ctx.error() << "needs k to be a scalar known at import time";
    k = (*kk)[0];
  }
  bool upper = ctx.attrInt("upper", 1) != 0;
  int64_t rank = x->type.getRank();
  Type type = x->type.getElementType();
  MLIRContext *context = ctx.b.getContext();
  Value input = ctx.value(0);
  Value result =
      linalg::GenericOp::create(
          ctx.b, ctx.loc, x->type, ValueRange{input},
          ValueRange{
              emptyOf(ctx.b, ctx.loc, sizesOf(ctx.b, ctx.loc, input), type)},
          SmallVector<AffineMap>(
              2, AffineMap::getMultiDimIdentityMap(rank, context)),
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value row = arith::IndexCastOp::create(
                b, loc, b.getI64Type(),
                linalg::IndexOp::create(b, loc, rank - 2));
            Value col = arith::IndexCastOp::create(
                b, loc, b.getI64Type(),
                linalg::IndexOp::create(b, loc, rank - 1));
            // Kept: col - row >= k (upper) or col - row <= k (lower).
            Value diff = arith::SubIOp::create(b, loc, col, row);
            Value keep = arith::CmpIOp::create(
                b, loc,
                upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
                diff, scalar(b, loc, b.getI64Type(), double(k)));
            Value v = arith::SelectOp::create(b, loc, keep, args[0],
                                              scalar(b, loc, type, 0));
            linalg::YieldOp::create(b, loc, v);
          })
          .getResult(0);
  ctx.setOutput(0, result);
  return success();
}

LogicalResult lowerPad(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  SmallVector<int64_t> pads;
  double value = 0;
  if (ctx.opset < 11) {
    pads = ctx.attrInts("pads");
    value = ctx.attrFloat("value", 0);
  } else {
    std::optional<SmallVector<int64_t>> p = ctx.ints(1);
    if (!p)
      return ctx.error() << "needs pads (input 1) known at import time";
    pads = *p;
    if (ctx.input(2)) {
      const HostTensor *v = ctx.host(2);
      if (!v || v->size() != 1)
        return ctx.error() << "needs a constant scalar pad value";
      value = v->values[0];
    }
    if (ctx.input(3)) {
      std::optional<SmallVector<int64_t>> axes = ctx.ints(3);
      if (!axes)
        return ctx.error() << "needs axes known at import time";
      SmallVector<int64_t> full(2 * rank, 0);
      for (size_t i = 0; i < axes->size(); ++i) {
        std::optional<int64_t> a = normalizeAxis((*axes)[i], rank);
        if (!a || pads.size() != 2 * axes->size())
          return ctx.error() << "has invalid axes or pads";
        full[*a] = pads[i];
        full[*a + rank] = pads[i + axes->size()];
      }
      pads = full;
    }
  }
  if (int64_t(pads.size()) != 2 * rank)
    return ctx.error() << "has " << pads.size() << " pads for rank " << rank;
  for (int64_t p : pads)
    if (p < 0)
      return ctx.error() << "has negative pads, which tern does not support";
  std::string mode = ctx.attrString("mode", "constant");
  ArrayRef<int64_t> low = ArrayRef<int64_t>(pads).take_front(rank);
  ArrayRef<int64_t> high = ArrayRef<int64_t>(pads).drop_front(rank);
  if (mode == "constant") {
    ctx.setOutput(0,
                  padConstant(ctx.b, ctx.loc, ctx.value(0), low, high, value));
    return success();
  }
  if (mode != "edge" && mode != "reflect")
    return ctx.error() << "has unsupported mode '" << mode << "'";
  if (!x->type.hasStaticShape())
    return ctx.error() << "pads in mode '" << mode << "' an input of shape "
                       << shapeString(x->type.getShape())
                       << "; tern pads in that mode only inputs of static "
                          "shape (fix them with --input-shape)";
  for (int64_t d = 0; d < rank; ++d)
    if (mode == "reflect" &&
        (low[d] >= x->type.getDimSize(d) || high[d] >= x->type.getDimSize(d)))
      return ctx.error() << "reflects by more than the dimension allows";
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(x->type.getDimSize(d) + low[d] + high[d]);
  Type type = x->type.getElementType();
  Value input = ctx.value(0);
  bool reflect = mode == "reflect";
  Value result = generate(
      ctx.b, ctx.loc, shape, type, [&](OpBuilder &b, Location loc) -> Value {
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d) {
          auto c = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, loc, v);
          };
          Value i = arith::SubIOp::create(
              b, loc, linalg::IndexOp::create(b, loc, d), c(low[d]));
          int64_t n = x->type.getDimSize(d);
          if (reflect) {
            // Mirror without repeating the edge: -i, then 2(n-1) - i.
            Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                              i, c(0));
            i = arith::SelectOp::create(
                b, loc, neg, arith::SubIOp::create(b, loc, c(0), i), i);
            Value over = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::sgt, i, c(n - 1));
            i = arith::SelectOp::create(
                b, loc, over, arith::SubIOp::create(b, loc, c(2 * (n - 1)), i),
                i);
          } else {
            i = arith::MaxSIOp::create(
                b, loc, c(0), arith::MinSIOp::create(b, loc, i, c(n - 1)));
          }
          at.push_back(i);
        }
        Value v = tensor::ExtractOp::create(b, loc, input, at);
        return v;
      });
  ctx.setOutput(0, result);
  return success();
}

} // namespace

void onnx_import::registerTensorOps(HandlerTable &t) {
  t["Constant"] = lowerConstant;
  t["Shape"] = lowerShape;
  t["Size"] = lowerSize;
  t["Reshape"] = lowerReshape;
  t["Flatten"] = lowerFlatten;
  t["Squeeze"] = lowerSqueeze;
  t["Unsqueeze"] = lowerUnsqueeze;
  t["Transpose"] = lowerTranspose;
  t["Concat"] = lowerConcat;
  t["Slice"] = lowerSlice;
  t["Split"] = lowerSplit;
  t["Gather"] = lowerGather;
  t["Expand"] = lowerExpand;
  t["ConstantOfShape"] = lowerConstantOfShape;
  t["Range"] = lowerRange;
  t["Trilu"] = lowerTrilu;
  t["Pad"] = lowerPad;
}
