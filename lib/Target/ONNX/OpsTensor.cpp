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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <numeric>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Builds a host result of `shape` whose element at each index is
/// `source(index)`, an offset into `input`.
HostTensor gatherHost(const HostTensor &input, ArrayRef<int64_t> shape,
                      function_ref<int64_t(ArrayRef<int64_t>)> source) {
  int64_t size = product(shape);
  std::vector<double> values(size);
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < size; ++linear) {
    values[linear] = input.values[source(index)];
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
  return makeHost(input.elementType, shape, std::move(values));
}

/// Sets the output to `input` viewed with `shape` (same elements).
LogicalResult setReshaped(NodeContext &ctx, Tensor &input,
                          ArrayRef<int64_t> shape) {
  if (product(shape) != input.type.getNumElements())
    return ctx.error() << "cannot reshape " << input.type << " to "
                       << product(shape) << " elements";
  if (input.host) {
    HostTensor host = *input.host;
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
  for (int64_t i = start; i < end; ++i)
    dims.push_back(double(x->type.getDimSize(i)));
  ctx.setOutput(
      0, makeHost(ctx.b.getI64Type(), {int64_t(dims.size())}, std::move(dims)));
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

LogicalResult lowerReshape(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
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
  std::optional<int64_t> axis = normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (!axis)
    return ctx.error() << "has axis " << ctx.attrInt("axis", 0)
                       << " out of range for rank " << rank;
  SmallVector<int64_t> shape(inputs[0]->type.getShape());
  shape[*axis] = 0;
  for (Tensor *t : inputs) {
    if (t->type.getRank() != rank ||
        t->type.getElementType() != inputs[0]->type.getElementType())
      return ctx.error() << "concatenates " << inputs[0]->type << " and "
                         << t->type;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && t->type.getDimSize(d) != shape[d])
        return ctx.error() << "concatenates " << inputs[0]->type << " and "
                           << t->type << " along axis " << *axis;
    shape[*axis] += t->type.getDimSize(*axis);
  }
  if (llvm::all_of(inputs, [](Tensor *t) { return t->host != nullptr; })) {
    int64_t outer = product(ArrayRef<int64_t>(shape).take_front(*axis));
    int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(*axis + 1));
    std::vector<double> values;
    for (int64_t o = 0; o < outer; ++o)
      for (Tensor *t : inputs) {
        int64_t chunk = t->type.getDimSize(*axis) * inner;
        auto begin = t->host->values.begin() + o * chunk;
        values.insert(values.end(), begin, begin + chunk);
      }
    ctx.setOutput(0, makeHost(inputs[0]->type.getElementType(), shape,
                              std::move(values)));
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

/// A strided slice of input 0 (positive steps).
void setSlice(NodeContext &ctx, int output, ArrayRef<int64_t> offsets,
              ArrayRef<int64_t> sizes, ArrayRef<int64_t> steps) {
  Tensor *x = ctx.input(0);
  if (x->host) {
    SmallVector<int64_t> strides = stridesOf(x->type.getShape());
    ctx.setOutput(output,
                  gatherHost(*x->host, sizes, [&](ArrayRef<int64_t> idx) {
                    int64_t offset = 0;
                    for (size_t d = 0; d < idx.size(); ++d)
                      offset += (offsets[d] + idx[d] * steps[d]) * strides[d];
                    return offset;
                  }));
    return;
  }
  ctx.setOutput(output, extractSlice(ctx.b, ctx.loc, ctx.value(0), offsets,
                                     sizes, steps));
}

LogicalResult lowerSlice(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  int64_t rank = x->type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (ctx.opset < 10) {
    starts = ctx.attrInts("starts");
    ends = ctx.attrInts("ends");
    axes = ctx.attrInts("axes");
  } else {
    for (int i = 1; i <= 4; ++i) {
      if (!ctx.input(i))
        continue;
      std::optional<SmallVector<int64_t>> v = ctx.ints(i);
      if (!v)
        return ctx.error() << "needs input " << i
                           << " (starts, ends, axes, steps) to be known at "
                              "import time";
      (i == 1 ? starts : i == 2 ? ends : i == 3 ? axes : steps) = *v;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
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
    if (step <= 0)
      return ctx.error() << "has step " << step
                         << "; only positive steps are supported";
    int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
    int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
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
  std::optional<int64_t> axis = normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (!axis)
    return ctx.error() << "has axis " << ctx.attrInt("axis", 0)
                       << " out of range";
  auto split = ctx.intsAttrOrInput("split", 1, 13);
  if (failed(split))
    return failure();
  int64_t dim = x->type.getDimSize(*axis);
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
  std::optional<int64_t> axis = normalizeAxis(ctx.attrInt("axis", 0), rank);
  if (!axis)
    return ctx.error() << "has axis " << ctx.attrInt("axis", 0)
                       << " out of range";
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
  if (data->host && indices->host && product(shape) <= kFoldLimit) {
    SmallVector<int64_t> strides = stridesOf(ds);
    SmallVector<int64_t> istrides = stridesOf(is);
    ctx.setOutput(0, gatherHost(*data->host, shape, [&](ArrayRef<int64_t> idx) {
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
  Value result = generate(
      ctx.b, ctx.loc, shape, elementType,
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
        // Out-of-range indices are clamped rather than read out of
        // bounds; ONNX leaves them undefined.
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

LogicalResult lowerExpand(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
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
  if (!shape)
    return ctx.error() << "needs its shape to be known at import time";
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

LogicalResult lowerRange(NodeContext &ctx) {
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
  ArrayRef<int64_t> shape = x->type.getShape();
  Type type = x->type.getElementType();
  MLIRContext *context = ctx.b.getContext();
  Value input = ctx.value(0);
  Value result =
      linalg::GenericOp::create(
          ctx.b, ctx.loc, x->type, ValueRange{input},
          ValueRange{empty(ctx.b, ctx.loc, shape, type)},
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
