//===- OpsAttention.cpp - ONNX Runtime's attention ops --------------------===//
//
// This file lowers the attention ops of ONNX Runtime's contributed domain
// (com.microsoft) that onnxruntime-genai and Optimum exports use:
// RotaryEmbedding, MultiHeadAttention and GroupQueryAttention, the last
// with its KV-cache semantics. Each becomes the linalg that the same
// attention written as ONNX MatMul, Softmax and friends imports to: heads
// split by reshapes and transposes, scores by batch matmuls (query heads
// grouped onto their key/value head), masks by one linalg.generic over the
// scores, then softmax and the product with the values. The semantics are
// those of ONNX Runtime 1.30's CPU kernels (docs/ONNXImport.md); inputs and
// attribute values those kernels reject, or that tern does not implement,
// are refused with the node named.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

Value loopIndex(OpBuilder &b, Location loc, int64_t dim) {
  return linalg::IndexOp::create(b, loc, dim);
}

/// An integer scalar as an index.
Value asIndex(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// Element `indices` of `tensor`.
Value elementAt(OpBuilder &b, Location loc, Value tensor, ValueRange indices) {
  return tensor::ExtractOp::create(b, loc, tensor, indices);
}

/// The integer scalar (rank 0, or one element) `tensor` holds, as an index.
Value scalarIndex(OpBuilder &b, Location loc, Value tensor) {
  return asIndex(b, loc, onlyElement(b, loc, tensor));
}

/// x [B, S, N*H] as heads [B, N, S, H].
Value splitHeads(OpBuilder &b, Location loc, Value x, int64_t heads,
                 int64_t headSize) {
  SmallVector<OpFoldResult> s = sizesOf(b, loc, x);
  Value split = reshapeTo(
      b, loc, x, {s[0], s[1], b.getIndexAttr(heads), b.getIndexAttr(headSize)});
  return transpose(b, loc, split, {0, 2, 1, 3});
}

/// Heads [B, N, S, H] as [B, S, N*H].
Value mergeHeads(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value t = transpose(b, loc, x, {0, 2, 1, 3});
  SmallVector<OpFoldResult> s = sizesOf(b, loc, t);
  return reshapeTo(
      b, loc, t,
      {s[0], s[1], b.getIndexAttr(type.getDimSize(1) * type.getDimSize(3))});
}

/// x [..., D] plus bias[offset : offset + D].
Value addBiasSlice(NodeContext &ctx, Value x, Value bias, int64_t offset) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t d = type.getShape().back();
  Value slice = extractSlice(ctx.b, ctx.loc, bias, {offset}, {d}, {1});
  return broadcastMap(ctx.b, ctx.loc, ValueRange{x, slice}, type.getShape(),
                      type.getElementType(),
                      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                        return arith::AddFOp::create(b, loc, a[0], a[1]);
                      });
}

/// Rotary position embedding of x [B, N, S, H] at `positions` [B, S]
/// (integers), with the tables cos and sin [M, R/2]: in each head, the
/// pairs (k, k + R/2) of its first R elements, or (2k, 2k + 1) when
/// `interleaved`, rotated by the angle of row `position` of the tables:
///   out[a] = x[a] cos[p, k] - x[b] sin[p, k],
///   out[b] = x[b] cos[p, k] + x[a] sin[p, k];
/// the elements from R on are copied. Asserts that every position is a row
/// of the tables.
Value rotary(NodeContext &ctx, Value x, Value positions, Value cos, Value sin,
             int64_t rotaryDim, bool interleaved) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t headSize = type.getDimSize(3), half = rotaryDim / 2;
  Value rows = asIndex(b, loc, tensor::DimOp::create(b, loc, cos, 0));
  assertAllInRange(ctx, positions, indexConstant(b, loc, 0), rows,
                   "a position lies outside the cos/sin cache");
  return generateOf(
      b, loc, sizesOf(b, loc, x), type.getElementType(),
      [&](OpBuilder &nb, Location l) -> Value {
        Value batch = loopIndex(nb, l, 0), head = loopIndex(nb, l, 1),
              token = loopIndex(nb, l, 2), h = loopIndex(nb, l, 3);
        Value self = elementAt(nb, l, x, {batch, head, token, h});
        // Elements past R read the first pair's indices, then are
        // replaced by themselves.
        Value rotated =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, h,
                                  indexConstant(nb, l, rotaryDim));
        Value zero = indexConstant(nb, l, 0);
        Value hr = rotaryDim < headSize
                       ? arith::SelectOp::create(nb, l, rotated, h, zero)
                       : h;
        Value k, partner, first;
        if (interleaved) {
          Value two = indexConstant(nb, l, 2);
          k = arith::DivUIOp::create(nb, l, hr, two);
          Value odd = arith::RemUIOp::create(nb, l, hr, two);
          first =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, odd, zero);
          Value one = indexConstant(nb, l, 1);
          partner = arith::SelectOp::create(
              nb, l, first, arith::AddIOp::create(nb, l, hr, one),
              arith::SubIOp::create(nb, l, hr, one));
        } else {
          Value halfIndex = indexConstant(nb, l, half);
          first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, hr,
                                        halfIndex);
          Value low = arith::SubIOp::create(nb, l, hr, halfIndex);
          k = arith::SelectOp::create(nb, l, first, hr, low);
          partner = arith::SelectOp::create(
              nb, l, first, arith::AddIOp::create(nb, l, hr, halfIndex), low);
        }
        Value p = asIndex(nb, l, elementAt(nb, l, positions, {batch, token}));
        Value c = elementAt(nb, l, cos, {p, k});
        Value s = elementAt(nb, l, sin, {p, k});
        Value other = elementAt(nb, l, x, {batch, head, token, partner});
        Value cross = arith::MulFOp::create(nb, l, other, s);
        Value signedCross = arith::SelectOp::create(
            nb, l, first, arith::NegFOp::create(nb, l, cross), cross);
        Value out = arith::AddFOp::create(
            nb, l, arith::MulFOp::create(nb, l, self, c), signedCross);
        if (rotaryDim < headSize)
          out = arith::SelectOp::create(nb, l, rotated, out, self);
        return out;
      });
}

/// Positions [B, S] (i64) offset + s for every batch.
Value offsetPositions(OpBuilder &b, Location loc, OpFoldResult batch,
                      OpFoldResult tokens, Value offset) {
  return generateOf(
      b, loc, {batch, tokens}, b.getI64Type(),
      [&](OpBuilder &nb, Location l) -> Value {
        Value p = arith::AddIOp::create(nb, l, offset, loopIndex(nb, l, 1));
        return arith::IndexCastOp::create(nb, l, nb.getI64Type(), p);
      });
}

/// left [B, N, S, X] @ right [B, Nkv, X, Y] -> [B, N, S, Y], query head n
/// against key/value head n / (N / Nkv): the heads of one key/value head
/// are viewed as one [B, Nkv, G * S, X] batch of rows.
FailureOr<Value> groupedProduct(NodeContext &ctx, Value left, Value right) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto lt = cast<RankedTensorType>(left.getType());
  auto rt = cast<RankedTensorType>(right.getType());
  int64_t heads = lt.getDimSize(1), kvHeads = rt.getDimSize(1);
  SmallVector<OpFoldResult> ls = sizesOf(b, loc, left);
  SmallVector<OpFoldResult> rs = sizesOf(b, loc, right);
  OpFoldResult rows =
      productOf(b, loc, {b.getIndexAttr(heads / kvHeads), ls[2]});
  Value grouped =
      reshapeTo(b, loc, left, {ls[0], b.getIndexAttr(kvHeads), rows, ls[3]});
  FailureOr<Value> product = numpyMatmul(ctx, grouped, right);
  if (failed(product))
    return failure();
  return reshapeTo(b, loc, *product,
                   {ls[0], b.getIndexAttr(heads), ls[2], rs[3]});
}

/// Output 0 of an attention node: softmax(scores) (with `sink`, see
/// softmaxParts) times `values` [B, Nkv, T, Hv], heads merged.
LogicalResult attendTo(NodeContext &ctx, Value scores, Value values,
                       Value sink) {
  auto type = cast<RankedTensorType>(scores.getType());
  SoftmaxParts parts =
      softmaxParts(ctx.b, ctx.loc, scores, type.getShape(), 3, sink);
  Value probabilities =
      broadcastMap(ctx.b, ctx.loc, ValueRange{parts.exp, parts.sum},
                   type.getShape(), type.getElementType(),
                   [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     return arith::DivFOp::create(nb, l, a[0], a[1]);
                   });
  FailureOr<Value> out = groupedProduct(ctx, probabilities, values);
  if (failed(out))
    return failure();
  ctx.setOutput(0, mergeHeads(ctx.b, ctx.loc, *out));
  return success();
}

/// Q Kᵀ for queries [B, N, S, H] and keys [B, Nkv, T, H]: [B, N, S, T].
FailureOr<Value> queryKeyProducts(NodeContext &ctx, Value queries, Value keys) {
  return groupedProduct(ctx, queries,
                        transpose(ctx.b, ctx.loc, keys, {0, 1, 3, 2}));
}

/// The `scale` attribute of an attention node: what Q Kᵀ is multiplied
/// by, 1 / √(head size) when absent or 0.
double scaleOf(NodeContext &ctx, int64_t headSize) {
  double scale = ctx.attrFloat("scale", 0);
  return scale != 0 ? scale : 1 / std::sqrt(double(headSize));
}

/// The body of the masked-score generic: the score at loop indices (b, n,
/// i, j) from the raw product Q Kᵀ there.
using ScoreBody =
    function_ref<Value(OpBuilder &, Location, Value raw, ValueRange indices)>;

/// scores [B, N, S, T] rewritten element by element by `body`.
Value mapScores(OpBuilder &b, Location loc, Value products, ScoreBody body) {
  auto type = cast<RankedTensorType>(products.getType());
  return generateOf(b, loc, sizesOf(b, loc, products), type.getElementType(),
                    [&](OpBuilder &nb, Location l) -> Value {
                      SmallVector<Value> indices;
                      for (int64_t d = 0; d < 4; ++d)
                        indices.push_back(loopIndex(nb, l, d));
                      Value raw = elementAt(nb, l, products, indices);
                      return body(nb, l, raw, indices);
                    });
}

/// The element of `bias` ([B|1, N|1, S, T]) for scores at `indices`.
Value biasAt(OpBuilder &b, Location loc, Value bias, ValueRange indices) {
  auto type = cast<RankedTensorType>(bias.getType());
  SmallVector<Value> at(indices);
  for (int64_t d = 0; d < 2; ++d)
    if (type.getDimSize(d) == 1)
      at[d] = indexConstant(b, loc, 0);
  return elementAt(b, loc, bias, at);
}

/// The checks of an attention_bias [B|1, N|1, S, T] input.
LogicalResult checkAttentionBias(NodeContext &ctx, int index, Type element,
                                 int64_t heads) {
  Tensor *bias = ctx.input(index);
  if (!bias)
    return success();
  if (bias->type.getRank() != 4 || bias->type.getElementType() != element ||
      (!bias->type.isDynamicDim(1) && bias->type.getDimSize(1) != 1 &&
       bias->type.getDimSize(1) != heads))
    return ctx.error() << "takes an attention_bias of shape (batch or 1, "
                          "num_heads or 1, sequence, total sequence) and the "
                          "query's type, got "
                       << bias->type;
  return success();
}

/// The element type the attention ops compute in: f32 (ONNX Runtime
/// computes f16 attention in f32 on x86; tern does not import it yet).
Type f32Of(NodeContext &ctx) { return ctx.b.getF32Type(); }

/// A float input of one of `ranks` (and of type `element` if given), or an
/// error naming it.
LogicalResult checkFloat(NodeContext &ctx, int index, StringRef name,
                         ArrayRef<int64_t> ranks, Type element = {}) {
  Tensor *t = ctx.input(index);
  if (!t)
    return ctx.error() << "needs its input " << index << " (" << name << ")";
  if (!isa<FloatType>(t->type.getElementType()) ||
      (element && t->type.getElementType() != element) ||
      !llvm::is_contained(ranks, t->type.getRank())) {
    InFlightDiagnostic diag = ctx.error();
    diag << "takes " << name << " as a float tensor of rank " << ranks[0];
    if (ranks.size() > 1)
      diag << " or " << ranks[1];
    if (element)
      diag << " of " << element;
    return diag << ", got " << t->type;
  }
  return success();
}

/// Refuses the optional inputs from `first` on that tern does not
/// implement, naming them.
LogicalResult refuseInputs(NodeContext &ctx, int first,
                           ArrayRef<StringRef> names) {
  for (auto [i, name] : llvm::enumerate(names))
    if (ctx.input(first + int(i)))
      return ctx.error() << "has input " << first + i << " (" << name
                         << "), which tern does not implement";
  return success();
}

//===----------------------------------------------------------------------===//
// RotaryEmbedding
//===----------------------------------------------------------------------===//

LogicalResult lowerRotaryEmbedding(NodeContext &ctx) {
  if (failed(checkFloat(ctx, 0, "input", {3, 4}, f32Of(ctx))))
    return failure();
  Tensor *x = ctx.input(0);
  Type element = x->type.getElementType();
  if (failed(checkFloat(ctx, 2, "cos_cache", {2}, element)) ||
      failed(checkFloat(ctx, 3, "sin_cache", {2}, element)))
    return failure();
  Tensor *positions = ctx.input(1);
  if (!positions || !positions->type.getElementType().isInteger(64) ||
      positions->type.getRank() > 2 ||
      (positions->type.getRank() < 2 &&
       product(positions->type.getShape()) != 1))
    return ctx.error() << "takes position_ids as int64 of shape (batch, "
                          "sequence) or one offset";
  RankedTensorType cosType = ctx.input(2)->type;
  if (cosType != ctx.input(3)->type || cosType.isDynamicDim(1))
    return ctx.error() << "takes cos_cache and sin_cache of one shape "
                          "(positions, rotary dim / 2), got "
                       << cosType << " and " << ctx.input(3)->type;
  bool fourD = x->type.getRank() == 4;
  ArrayRef<int64_t> shape = x->type.getShape();
  if ((fourD &&
       (ShapedType::isDynamic(shape[1]) || ShapedType::isDynamic(shape[3]))) ||
      (!fourD && ShapedType::isDynamic(shape[2])))
    return ctx.error() << "needs static heads and head size, got " << x->type;
  int64_t hidden = fourD ? shape[1] * shape[3] : shape[2];
  int64_t tableWidth = cosType.getDimSize(1);
  int64_t rotaryDim = ctx.attrInt("rotary_embedding_dim", 0);
  int64_t heads = ctx.attrInt("num_heads", 0);
  int64_t headSize;
  if (rotaryDim == 0) {
    headSize = 2 * tableWidth;
    if (headSize == 0)
      return ctx.error() << "has an empty cos_cache";
    if (!heads)
      heads = hidden / headSize;
    rotaryDim = headSize;
  } else {
    if (heads <= 0)
      return ctx.error() << "needs num_heads with rotary_embedding_dim";
    headSize = hidden / heads;
  }
  if (heads <= 0 || hidden != heads * headSize ||
      (fourD && (heads != shape[1] || headSize != shape[3])) ||
      rotaryDim > headSize || rotaryDim % 2 || rotaryDim != 2 * tableWidth)
    return ctx.error() << "rotates " << rotaryDim << " of " << headSize
                       << " elements of " << heads << " heads of " << x->type
                       << " with tables of " << tableWidth
                       << " columns: the shapes do not agree";
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value v = ctx.value(0);
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, v);
  OpFoldResult batch = sizes[0], tokens = sizes[fourD ? 2 : 1];
  Value pos = ctx.value(1);
  if (positions->type.getRank() < 2)
    pos = offsetPositions(b, loc, batch, tokens, scalarIndex(b, loc, pos));
  else if (llvm::any_of(
               llvm::zip(positions->type.getShape(),
                         ArrayRef<int64_t>{staticShapeOf({batch, tokens})}),
               [](auto pair) {
                 auto [p, s] = pair;
                 return !ShapedType::isDynamic(p) &&
                        !ShapedType::isDynamic(s) && p != s;
               }))
    return ctx.error() << "takes position_ids " << positions->type
                       << " that are not (batch, sequence) of " << x->type;
  Value heads4 = fourD ? v : splitHeads(b, loc, v, heads, headSize);
  Value out = rotary(ctx, heads4, pos, ctx.value(2), ctx.value(3), rotaryDim,
                     ctx.attrInt("interleaved", 0) != 0);
  ctx.setOutput(0, fourD ? out : mergeHeads(b, loc, out));
  return success();
}

//===----------------------------------------------------------------------===//
// MultiHeadAttention
//===----------------------------------------------------------------------===//

LogicalResult lowerMultiHeadAttention(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t heads = ctx.attrInt("num_heads", 0);
  if (heads <= 0)
    return ctx.error() << "needs num_heads > 0";
  if (ctx.input(0) && ctx.input(0)->type.getRank() == 5)
    return ctx.error() << "takes packed QKV (a 5-D query), which ONNX "
                          "Runtime's CPU kernel does not implement either";
  if (ctx.input(1) && ctx.input(1)->type.getRank() == 5)
    return ctx.error() << "takes packed KV (a 5-D key), which ONNX Runtime's "
                          "CPU kernel does not implement either";
  if (failed(refuseInputs(ctx, 8,
                          {"past_sequence_length", "cache_indirection"})) ||
      failed(checkFloat(ctx, 0, "query", {3}, f32Of(ctx))))
    return failure();
  Type element = ctx.input(0)->type.getElementType();
  if (failed(checkFloat(ctx, 1, "key", {3, 4}, element)) ||
      failed(checkFloat(ctx, 2, "value", {3, 4}, element)) ||
      failed(checkAttentionBias(ctx, 5, element, heads)))
    return failure();
  RankedTensorType qt = ctx.input(0)->type, kt = ctx.input(1)->type,
                   vt = ctx.input(2)->type;
  bool headsGiven = kt.getRank() == 4;
  int64_t d = qt.getDimSize(2);
  int64_t dv = headsGiven ? heads * vt.getDimSize(3) : vt.getDimSize(2);
  if (ShapedType::isDynamic(d) || d % heads ||
      ShapedType::isDynamic(vt.getDimSize(vt.getRank() - 1)) || dv % heads ||
      vt.getRank() != kt.getRank() ||
      (headsGiven ? (kt.getDimSize(1) != heads ||
                     kt.getDimSize(3) != d / heads || vt != kt)
                  : kt.getDimSize(2) != d))
    return ctx.error() << "takes query " << qt << ", key " << kt
                       << " and value " << vt << " for " << heads
                       << " heads: the shapes do not agree";
  int64_t headSize = d / heads, valueSize = dv / heads;
  bool past = ctx.input(6) || ctx.input(7);
  if (past && headsGiven)
    return ctx.error() << "takes key and value per head with a past, which "
                          "ONNX Runtime does not define";
  if (past && (!ctx.input(6) || !ctx.input(7) ||
               failed(checkFloat(ctx, 6, "past_key", {4}, element)) ||
               failed(checkFloat(ctx, 7, "past_value", {4}, element)) ||
               ctx.input(6)->type.getDimSize(1) != heads ||
               ctx.input(6)->type.getDimSize(3) != headSize ||
               ctx.input(7)->type.getDimSize(3) != valueSize))
    return ctx.error() << "takes past_key and past_value together, of shape "
                          "(batch, num_heads, past, head size)";
  Value query = ctx.value(0), key = ctx.value(1), value = ctx.value(2);
  if (Tensor *bias = ctx.input(3)) {
    if (bias->type != RankedTensorType::get({2 * d + dv}, element))
      return ctx.error() << "takes a bias of " << 2 * d + dv
                         << " elements (query, key and value), got "
                         << bias->type;
    Value biasValue = ctx.value(3);
    query = addBiasSlice(ctx, query, biasValue, 0);
    // ONNX Runtime adds no bias to key and value given per head.
    if (!headsGiven) {
      key = addBiasSlice(ctx, key, biasValue, d);
      value = addBiasSlice(ctx, value, biasValue, 2 * d);
    }
  }
  Value q = splitHeads(b, loc, query, heads, headSize);
  Value k = headsGiven ? key : splitHeads(b, loc, key, heads, headSize);
  Value v = headsGiven ? value : splitHeads(b, loc, value, heads, valueSize);
  OpFoldResult pastLength = b.getIndexAttr(0);
  if (past) {
    pastLength = sizesOf(b, loc, ctx.value(6))[2];
    k = concatOf(b, loc, {ctx.value(6), k}, 2);
    v = concatOf(b, loc, {ctx.value(7), v}, 2);
  }
  ctx.setOutput(1, k);
  ctx.setOutput(2, v);

  // The padding mask: key lengths (B), or 1 to keep and 0 to mask per key
  // (B, T) or per query and key (B, S, T).
  Tensor *mask = ctx.input(4);
  if (mask &&
      (!mask->type.getElementType().isInteger(32) || mask->type.getRank() > 3))
    return ctx.error() << "takes key_padding_mask as int32 of shape "
                          "(batch), (batch, total) or (batch, sequence, "
                          "total), got "
                       << mask->type;
  if (mask && mask->type.getRank() == 1 && !mask->type.isDynamicDim(0) &&
      !qt.isDynamicDim(0) && mask->type.getDimSize(0) != qt.getDimSize(0))
    return ctx.error() << "takes a key_padding_mask of "
                       << mask->type.getDimSize(0)
                       << " key lengths; only one per batch (not 2 or 3 "
                          "per batch plus 2) is implemented";
  FailureOr<Value> products = queryKeyProducts(ctx, q, k);
  if (failed(products))
    return failure();
  double scale = scaleOf(ctx, headSize);
  double filter = ctx.attrFloat("mask_filter_value", -10000.0f);
  bool causal = ctx.attrInt("unidirectional", 0) != 0;
  Value maskValue = mask ? ctx.value(4) : Value();
  Value bias = ctx.input(5) ? ctx.value(5) : Value();
  Value pastIndex = getValueOrCreateConstantIndexOp(b, loc, pastLength);
  Value tokens = getValueOrCreateConstantIndexOp(b, loc, sizesOf(b, loc, q)[2]);
  Value scores = mapScores(
      b, loc, *products,
      [&](OpBuilder &nb, Location l, Value raw, ValueRange at) -> Value {
        Type type = raw.getType();
        Value s = arith::MulFOp::create(nb, l, raw, scalar(nb, l, type, scale));
        if (bias)
          s = arith::AddFOp::create(nb, l, s, biasAt(nb, l, bias, at));
        // The causal mask replaces the padding mask: both add to this.
        Value unmasked = s;
        if (maskValue) {
          Value masked;
          int64_t rank = cast<RankedTensorType>(maskValue.getType()).getRank();
          if (rank == 1) {
            Value length = asIndex(nb, l, elementAt(nb, l, maskValue, {at[0]}));
            masked = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge,
                                           at[3], length);
          } else {
            Value keep = elementAt(nb, l, maskValue,
                                   rank == 2 ? ValueRange{at[0], at[3]}
                                             : ValueRange{at[0], at[2], at[3]});
            masked = arith::CmpIOp::create(
                nb, l, arith::CmpIPredicate::sle, keep,
                arith::ConstantIntOp::create(nb, l, 0, 32));
          }
          s = arith::SelectOp::create(
              nb, l, masked,
              arith::AddFOp::create(nb, l, s, scalar(nb, l, type, filter)), s);
        }
        if (causal) {
          // Queries see keys up to past + i, when more than one query is
          // given; the lowest float replaces the padding value.
          Value limit = arith::AddIOp::create(nb, l, pastIndex, at[2]);
          Value future = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ugt,
                                               at[3], limit);
          Value several =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ugt, tokens,
                                    indexConstant(nb, l, 1));
          Value hidden = arith::AndIOp::create(nb, l, future, several);
          Value lowest =
              scalar(nb, l, type, -double(std::numeric_limits<float>::max()));
          s = arith::SelectOp::create(
              nb, l, hidden, arith::AddFOp::create(nb, l, unmasked, lowest), s);
        }
        return s;
      });
  ctx.setOutput(3, scores);
  return attendTo(ctx, scores, v, /*sink=*/nullptr);
}

//===----------------------------------------------------------------------===//
// GroupQueryAttention
//===----------------------------------------------------------------------===//

/// com.microsoft GroupQueryAttention: attention of N query heads over Nkv
/// key/value heads with a KV cache. Batch b holds total_b = seqlens_k[b] +
/// 1 tokens, the last S of them new; on the first prompt (S equal to
/// total_sequence_length) the past is not read and every batch's new
/// tokens start at 0 (right padding). present = past[:, :, :total_b - S],
/// the new keys (rotated with do_rotary), zeros up to max(total, past
/// buffer); query i of batch b sees keys [lo, min(total_b - S + i + 1,
/// total_b)) (all total_b without `causal`), lo from local_window_size;
/// other keys get probability 0.
LogicalResult lowerGroupQueryAttention(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t heads = ctx.attrInt("num_heads", 0);
  int64_t kvHeads = ctx.attrInt("kv_num_heads", 0);
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads)
    return ctx.error() << "needs num_heads and kv_num_heads > 0, the first "
                          "a multiple of the second, got "
                       << heads << " and " << kvHeads;
  if (ctx.attrString("k_quant_type", "NONE") != "NONE" ||
      ctx.attrString("v_quant_type", "NONE") != "NONE" ||
      ctx.attrInt("kv_cache_bit_width", 0) != 0)
    return ctx.error() << "has a quantized KV cache, which tern does not "
                          "implement";
  if (ctx.attrInt("sliding_window_cache", 0) != 0)
    return ctx.error() << "has sliding_window_cache = 1, which tern does not "
                          "implement";
  int64_t qkOutput = ctx.attrInt("qk_output", 0);
  if (qkOutput != 0 ||
      (ctx.node.output_size() > 3 && !ctx.node.output(3).empty()))
    return ctx.error() << "asks for output_qk, which tern does not implement";
  int64_t causalAttr = ctx.attrInt("causal", 1);
  int64_t window = ctx.attrInt("local_window_size", -1);
  if ((causalAttr != 0 && causalAttr != 1) || window == 0 || window < -1 ||
      (causalAttr == 0 && window != -1))
    return ctx.error() << "has causal = " << causalAttr
                       << " and local_window_size = " << window
                       << " (causal is 0 or 1; the window -1 or > 0, and -1 "
                          "without causal)";
  if (failed(refuseInputs(
          ctx, 12, {"k_scale", "v_scale", "q_norm_weight", "k_norm_weight"})) ||
      failed(checkFloat(ctx, 0, "query", {3}, f32Of(ctx))))
    return failure();
  Type element = ctx.input(0)->type.getElementType();
  RankedTensorType qt = ctx.input(0)->type;
  bool packed = !ctx.input(1);
  if (packed != !ctx.input(2))
    return ctx.error() << "takes key and value together, or neither (packed "
                          "QKV in the query)";
  int64_t width = qt.getDimSize(2);
  int64_t headSize = ShapedType::isDynamic(width)
                         ? 0
                         : width / (packed ? heads + 2 * kvHeads : heads);
  if (headSize <= 0 ||
      width != headSize * (packed ? heads + 2 * kvHeads : heads) ||
      headSize % 8)
    return ctx.error() << "takes a query " << qt << " that is not " << heads
                       << (packed ? " + 2 x " + std::to_string(kvHeads) : "")
                       << " heads of a static size that is a multiple of 8";
  Value query = ctx.value(0), key, value;
  SmallVector<OpFoldResult> qs = sizesOf(b, loc, query);
  if (packed) {
    auto slice = [&](int64_t offset, int64_t size) -> Value {
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                           b.getIndexAttr(offset)};
      SmallVector<OpFoldResult> sizes = {qs[0], qs[1], b.getIndexAttr(size)};
      SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
      return tensor::ExtractSliceOp::create(b, loc, query, offsets, sizes,
                                            strides);
    };
    int64_t qWidth = heads * headSize, kvWidth = kvHeads * headSize;
    key = slice(qWidth, kvWidth);
    value = slice(qWidth + kvWidth, kvWidth);
    query = slice(0, qWidth);
  } else {
    if (failed(checkFloat(ctx, 1, "key", {3}, element)) ||
        failed(checkFloat(ctx, 2, "value", {3}, element)))
      return failure();
    RankedTensorType kt = ctx.input(1)->type;
    if (kt != ctx.input(2)->type || kt.getDimSize(2) != kvHeads * headSize ||
        (!kt.isDynamicDim(1) && !qt.isDynamicDim(1) &&
         kt.getDimSize(1) != qt.getDimSize(1)))
      return ctx.error() << "takes key and value of shape (batch, sequence, "
                         << kvHeads * headSize << ") like the query's " << qt
                         << ", got " << kt << " and " << ctx.input(2)->type;
    key = ctx.value(1);
    value = ctx.value(2);
  }
  bool past = ctx.input(3) || ctx.input(4);
  if (past && (!ctx.input(3) || !ctx.input(4) ||
               failed(checkFloat(ctx, 3, "past_key", {4}, element)) ||
               failed(checkFloat(ctx, 4, "past_value", {4}, element)) ||
               ctx.input(3)->type != ctx.input(4)->type ||
               ctx.input(3)->type.getDimSize(1) != kvHeads ||
               ctx.input(3)->type.getDimSize(3) != headSize))
    return ctx.error() << "takes past_key and past_value together, of shape "
                          "(batch, "
                       << kvHeads << ", past, " << headSize << ")";
  Tensor *seqlens = ctx.input(5), *total = ctx.input(6);
  if (!seqlens || !total || !seqlens->type.getElementType().isInteger(32) ||
      seqlens->type.getRank() != 1 ||
      !total->type.getElementType().isInteger(32) ||
      product(total->type.getShape()) != 1)
    return ctx.error() << "needs seqlens_k (int32, one per batch) and "
                          "total_sequence_length (int32 scalar)";
  bool doRotary = ctx.attrInt("do_rotary", 0) != 0;
  int64_t rotaryDim = 0;
  if (doRotary) {
    if (failed(checkFloat(ctx, 7, "cos_cache", {2}, element)) ||
        failed(checkFloat(ctx, 8, "sin_cache", {2}, element)))
      return failure();
    RankedTensorType cosType = ctx.input(7)->type;
    rotaryDim = 2 * cosType.getDimSize(1);
    if (cosType != ctx.input(8)->type || cosType.isDynamicDim(1) ||
        rotaryDim > headSize || headSize % 16 || cosType.getDimSize(1) % 8)
      return ctx.error() << "takes cos_cache and sin_cache of one shape "
                            "(positions, at most head size / 2, a multiple "
                            "of 8), with a head size that is a multiple of "
                            "16; got "
                         << cosType << ", " << ctx.input(8)->type
                         << " and head size " << headSize;
  }
  Tensor *positionIds = ctx.input(9);
  if (positionIds && (!positionIds->type.getElementType().isInteger(64) ||
                      positionIds->type.getRank() != 2))
    return ctx.error() << "takes position_ids as int64 (batch, sequence)";
  if (failed(checkAttentionBias(ctx, 10, element, heads)))
    return failure();
  Tensor *sink = ctx.input(11);
  if (sink && sink->type != RankedTensorType::get({heads}, element))
    return ctx.error() << "takes a head_sink of one value per head";

  // The lengths, as index values: S, total_b, past_b, the cache's length.
  Value tokens = getValueOrCreateConstantIndexOp(b, loc, qs[1]);
  Value totalLength = scalarIndex(b, loc, ctx.value(6));
  Value seqlensValue = ctx.value(5);
  Value firstPrompt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            tokens, totalLength);
  Value pastBuffer = past ? getValueOrCreateConstantIndexOp(
                                b, loc, sizesOf(b, loc, ctx.value(3))[2])
                          : indexConstant(b, loc, 0);
  Value cacheLength = arith::MaxUIOp::create(b, loc, totalLength, pastBuffer);
  // ONNX Runtime's run-time checks: each batch's total within the cache,
  // and (but on the first prompt) at least the new tokens.
  {
    Value one = indexConstant(b, loc, 1);
    Value low =
        arith::SelectOp::create(b, loc, firstPrompt, indexConstant(b, loc, 0),
                                arith::SubIOp::create(b, loc, tokens, one));
    assertAllInRange(ctx, seqlensValue, low, cacheLength,
                     "seqlens_k lies outside [S - 1, the cache's length)");
    // After the first prompt the past holds total_b - S rows.
    if (past) {
      Value limit = arith::SelectOp::create(
          b, loc, firstPrompt, cacheLength,
          arith::AddIOp::create(b, loc, pastBuffer,
                                arith::SubIOp::create(b, loc, tokens, one)));
      assertAllInRange(ctx, seqlensValue, low,
                       arith::AddIOp::create(b, loc, limit, one),
                       "seqlens_k - S + 1 exceeds the past's length");
    }
  }
  // Total and past length of batch b.
  auto totalOf = [&](OpBuilder &nb, Location l, Value batch) -> Value {
    return arith::AddIOp::create(
        nb, l, asIndex(nb, l, elementAt(nb, l, seqlensValue, {batch})),
        indexConstant(nb, l, 1));
  };
  auto pastOf = [&](OpBuilder &nb, Location l, Value batch) -> Value {
    return arith::SelectOp::create(
        nb, l, firstPrompt, indexConstant(nb, l, 0),
        arith::SubIOp::create(nb, l, totalOf(nb, l, batch), tokens));
  };

  Value q = splitHeads(b, loc, query, heads, headSize);
  Value k = splitHeads(b, loc, key, kvHeads, headSize);
  Value v = splitHeads(b, loc, value, kvHeads, headSize);
  if (doRotary) {
    // Positions: position_ids[0, 0] + s (or s) on the first prompt, else
    // position_ids (or past_b + s).
    Value ids = positionIds ? ctx.value(9) : Value();
    Value positions = generateOf(
        b, loc, {qs[0], qs[1]}, b.getI64Type(),
        [&](OpBuilder &nb, Location l) -> Value {
          Value batch = loopIndex(nb, l, 0), s = loopIndex(nb, l, 1);
          Value zero = indexConstant(nb, l, 0);
          Value firstStart =
              ids ? asIndex(nb, l, elementAt(nb, l, ids, {zero, zero})) : zero;
          Value first = arith::AddIOp::create(nb, l, firstStart, s);
          Value later =
              ids ? asIndex(nb, l, elementAt(nb, l, ids, {batch, s}))
                  : arith::AddIOp::create(nb, l, pastOf(nb, l, batch), s);
          return arith::IndexCastOp::create(
              nb, l, nb.getI64Type(),
              arith::SelectOp::create(nb, l, firstPrompt, first, later));
        });
    bool interleaved = ctx.attrInt("rotary_interleaved", 0) != 0;
    q = rotary(ctx, q, positions, ctx.value(7), ctx.value(8), rotaryDim,
               interleaved);
    k = rotary(ctx, k, positions, ctx.value(7), ctx.value(8), rotaryDim,
               interleaved);
  }
  // present[b] = past[b, :, :past_b], the S new rows, then zeros: per
  // batch, two slice copies into a zero cache.
  auto present = [&](Value fresh, Value old) -> Value {
    SmallVector<OpFoldResult> sizes = {qs[0], b.getIndexAttr(kvHeads),
                                       cacheLength, b.getIndexAttr(headSize)};
    Value zeros = filledOf(b, loc, sizes, element, 0.0);
    Value batches = getValueOrCreateConstantIndexOp(b, loc, qs[0]);
    auto loop = scf::ForOp::create(
        b, loc, indexConstant(b, loc, 0), batches, indexConstant(b, loc, 1),
        ValueRange{zeros},
        [&](OpBuilder &nb, Location l, Value batch, ValueRange carried) {
          Value start = pastOf(nb, l, batch);
          SmallVector<OpFoldResult> strides(4, nb.getIndexAttr(1));
          auto copy = [&](Value from, Value into, OpFoldResult fromRow,
                          OpFoldResult rows, OpFoldResult intoRow) {
            SmallVector<OpFoldResult> sliceSizes = {
                nb.getIndexAttr(1), nb.getIndexAttr(kvHeads), rows,
                nb.getIndexAttr(headSize)};
            Value slice = tensor::ExtractSliceOp::create(
                nb, l, from,
                SmallVector<OpFoldResult>{batch, nb.getIndexAttr(0), fromRow,
                                          nb.getIndexAttr(0)},
                sliceSizes, strides);
            return tensor::InsertSliceOp::create(
                       nb, l, slice, into,
                       SmallVector<OpFoldResult>{batch, nb.getIndexAttr(0),
                                                 intoRow, nb.getIndexAttr(0)},
                       sliceSizes, strides)
                .getResult();
          };
          Value cache = carried[0];
          if (old)
            cache =
                copy(old, cache, nb.getIndexAttr(0), start, nb.getIndexAttr(0));
          cache = copy(fresh, cache, nb.getIndexAttr(0), tokens, start);
          scf::YieldOp::create(nb, l, cache);
        });
    return loop.getResult(0);
  };
  Value presentKey = present(k, past ? ctx.value(3) : Value());
  Value presentValue = present(v, past ? ctx.value(4) : Value());
  ctx.setOutput(1, presentKey);
  ctx.setOutput(2, presentValue);

  FailureOr<Value> products = queryKeyProducts(ctx, q, presentKey);
  if (failed(products))
    return failure();
  double scale = scaleOf(ctx, headSize);
  double softcap = ctx.attrFloat("softcap", 0);
  Value bias = ctx.input(10) ? ctx.value(10) : Value();
  bool causal = causalAttr != 0;
  Value scores = mapScores(
      b, loc, *products,
      [&](OpBuilder &nb, Location l, Value raw, ValueRange at) -> Value {
        Type type = raw.getType();
        Value s = arith::MulFOp::create(nb, l, raw, scalar(nb, l, type, scale));
        if (softcap > 0) {
          Value cap = scalar(nb, l, type, softcap);
          s = arith::MulFOp::create(
              nb, l, cap,
              math::TanhOp::create(nb, l,
                                   arith::DivFOp::create(nb, l, s, cap)));
        }
        if (bias)
          s = arith::AddFOp::create(nb, l, s, biasAt(nb, l, bias, at));
        Value totalB = totalOf(nb, l, at[0]);
        Value end = totalB;
        if (causal)
          end = arith::MinUIOp::create(
              nb, l, totalB,
              arith::AddIOp::create(
                  nb, l, pastOf(nb, l, at[0]),
                  arith::AddIOp::create(nb, l, at[2],
                                        indexConstant(nb, l, 1))));
        Value visible =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, at[3], end);
        if (window > 0) {
          // The window holds the query's own key and window - 1 before it.
          Value w = indexConstant(nb, l, window);
          Value wide =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ugt, end, w);
          Value start = arith::SelectOp::create(
              nb, l, wide, arith::SubIOp::create(nb, l, end, w),
              indexConstant(nb, l, 0));
          visible = arith::AndIOp::create(
              nb, l, visible,
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::uge, at[3],
                                    start));
        }
        return arith::SelectOp::create(nb, l, visible, s,
                                       scalar(nb, l, type, -INFINITY));
      });
  // smooth_softmax is a sink of 0 in every head; head_sink gives each its
  // own.
  Value sinkValue;
  if (sink || ctx.attrInt("smooth_softmax", -1) == 1) {
    Value perHead =
        sink ? ctx.value(11)
             : filledOf(b, loc, {b.getIndexAttr(heads)}, element, 0.0);
    sinkValue = reshapeTo(b, loc, perHead,
                          {b.getIndexAttr(1), b.getIndexAttr(heads),
                           b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  return attendTo(ctx, scores, presentValue, sinkValue);
}

} // namespace

void onnx_import::registerAttentionOps(HandlerTable &t) {
  t[contribOp("RotaryEmbedding")] = lowerRotaryEmbedding;
  t[contribOp("MultiHeadAttention")] = lowerMultiHeadAttention;
  t[contribOp("GroupQueryAttention")] = lowerGroupQueryAttention;
}
