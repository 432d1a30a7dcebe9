//===- OpsNN.cpp - neural network ONNX ops --------------------------------===//
//
// This file lowers the ONNX ops that carry the weights and the structure of
// a network: MatMul, Gemm and Conv become linalg named ops (linalg.matmul,
// linalg.conv_2d_nchw_fchw, ...) with their constant weights as direct
// operands, which is what the quantization passes look for; pooling,
// normalization, softmax, reductions and resizing become linalg ops too.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "tern/Support/Signature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

bool isFloatTensor(Tensor *t) {
  return t && isa<FloatType>(t->type.getElementType());
}

/// A copy of the constant `t` with its two last dimensions swapped, done at
/// import time so that weights stay plain constants.
std::optional<Tensor> transposedConstant(Tensor &t) {
  if (!t.isConstant() || t.type.getRank() != 2)
    return std::nullopt;
  int64_t rows = t.type.getDimSize(0), cols = t.type.getDimSize(1);
  Tensor result;
  result.type = RankedTensorType::get({cols, rows}, t.type.getElementType());
  if (t.host) {
    HostTensor h = *t.host;
    h.shape = {cols, rows};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        h.values[c * rows + r] = t.host->values[r * cols + c];
    result.host = std::make_shared<HostTensor>(std::move(h));
    return result;
  }
  ArrayRef<char> bytes = t.rawBytes();
  int64_t width = int64_t(bytes.size()) / (rows * cols);
  auto raw = std::make_shared<std::string>(bytes.size(), '\0');
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(&(*raw)[(c * rows + r) * width],
                  &bytes[(r * cols + c) * width], width);
  result.raw = raw;
  return result;
}

/// x [P, K] * w [K, N] -> [P, N] with linalg.matmul (P may be dynamic).
Value matmul2D(NodeContext &ctx, Value x, Value w) {
  auto xt = cast<RankedTensorType>(x.getType());
  Value init =
      filledOf(ctx.b, ctx.loc,
               {sizesOf(ctx.b, ctx.loc, x)[0], sizesOf(ctx.b, ctx.loc, w)[1]},
               xt.getElementType(), 0);
  return linalg::MatmulOp::create(ctx.b, ctx.loc, ValueRange{x, w},
                                  ValueRange{init})
      .getResult(0);
}

LogicalResult lowerMatMul(NodeContext &ctx) {
  if (!ctx.input(0) || !ctx.input(1))
    return ctx.error() << "expects two inputs";
  FailureOr<Value> r = numpyMatmul(ctx, ctx.value(0), ctx.value(1));
  if (failed(r))
    return failure();
  ctx.setOutput(0, *r);
  return success();
}

Value elementwise2(NodeContext &ctx, Value x, Value y,
                   function_ref<Value(OpBuilder &, Location, Value, Value)> f) {
  auto xs = cast<RankedTensorType>(x.getType()).getShape();
  auto ys = cast<RankedTensorType>(y.getType()).getShape();
  SmallVector<int64_t> shape = *broadcastShapes({xs, ys});
  return broadcastMap(ctx.b, ctx.loc, ValueRange{x, y}, shape,
                      cast<RankedTensorType>(x.getType()).getElementType(),
                      [&](OpBuilder &b, Location loc, ValueRange a) {
                        return f(b, loc, a[0], a[1]);
                      });
}

/// The values of constant input `i` (of any size: known contents, or the
/// raw bytes of a large initializer) as doubles; u8, i8, f32 and f16 only.
std::optional<std::vector<double>> constantValues(NodeContext &ctx, int i) {
  Tensor *t = ctx.input(i);
  if (!t || !t->isConstant())
    return std::nullopt;
  if (t->host)
    return t->host->values;
  ArrayRef<char> bytes = t->rawBytes();
  Type type = t->type.getElementType();
  std::vector<double> values;
  if (type.isInteger(8)) {
    bool isSigned = !type.isUnsignedInteger();
    for (char c : bytes)
      values.push_back(isSigned ? double(int8_t(c)) : double(uint8_t(c)));
  } else if (type.isF32()) {
    values.resize(bytes.size() / 4);
    for (size_t e = 0; e < values.size(); ++e) {
      float v;
      std::memcpy(&v, bytes.data() + 4 * e, 4);
      values[e] = v;
    }
  } else if (type.isF16()) {
    values.resize(bytes.size() / 2);
    for (size_t e = 0; e < values.size(); ++e) {
      uint16_t bits;
      std::memcpy(&bits, bytes.data() + 2 * e, 2);
      values[e] =
          APFloat(APFloat::IEEEhalf(), APInt(16, bits)).convertToDouble();
    }
  } else {
    return std::nullopt;
  }
  return values;
}

/// com.microsoft MatMulNBits: A times weights held as `bits`-bit codes in
/// blocks of `block_size` along K, each block with a scale and a zero
/// point (packed codes, or floats; 2^(bits-1) by default), plus an optional
/// bias. The weights are dequantized here, w = (q - z) · s, into a constant
/// K x N of A's element type: the model is a float model again, which
/// tern-ternarize can quantize anew (a 4-bit model in, a ternary one out).
LogicalResult lowerMatMulNBits(NodeContext &ctx) {
  Tensor *a = ctx.input(0);
  if (!isFloatTensor(a))
    return ctx.error() << "expects float activations";
  int64_t k = ctx.attrInt("K", 0), n = ctx.attrInt("N", 0);
  int64_t bits = ctx.attrInt("bits", 4), block = ctx.attrInt("block_size", 0);
  if (k < 1 || n < 1)
    return ctx.error() << "needs K and N >= 1, got " << k << " and " << n;
  if (bits < 2 || bits > 8 || 8 % bits)
    return ctx.error() << "has bits = " << bits << " (2, 4 or 8 are read)";
  if (block < 16 || !llvm::isPowerOf2_64(block))
    return ctx.error() << "has block_size " << block
                       << " (a power of 2, at least 16)";
  if (ctx.input(4))
    return ctx.error() << "has g_idx (act-order), which tern does not read";
  if (a->type.getDimSize(a->type.getRank() - 1) != k)
    return ctx.error() << "needs activations with K = " << k
                       << " in the last dimension, got " << a->type;
  int64_t blocks = (k + block - 1) / block, blob = block * bits / 8;
  std::optional<std::vector<double>> codes = constantValues(ctx, 1),
                                     scales = constantValues(ctx, 2);
  if (!codes || int64_t(codes->size()) != n * blocks * blob)
    return ctx.error() << "needs constant codes of " << n << " x " << blocks
                       << " x " << blob << " bytes";
  if (!scales || int64_t(scales->size()) != n * blocks)
    return ctx.error() << "needs " << n * blocks << " constant scales";
  // Zero points: absent (2^(bits-1)), packed codes (bits each, a row of
  // ceil(blocks * bits / 8) bytes per output), or one float per block.
  std::vector<double> zero(n * blocks, double(1 << (bits - 1)));
  if (ctx.input(3)) {
    std::optional<std::vector<double>> given = constantValues(ctx, 3);
    Type zt = ctx.input(3)->type.getElementType();
    int64_t rowBytes = (blocks * bits + 7) / 8;
    if (!given)
      return ctx.error() << "needs constant zero points";
    if (isa<FloatType>(zt) && int64_t(given->size()) == n * blocks) {
      zero = *given;
    } else if (zt.isInteger(8) && int64_t(given->size()) == n * rowBytes) {
      for (int64_t r = 0; r < n; ++r)
        for (int64_t b = 0; b < blocks; ++b) {
          int64_t bit = b * bits;
          uint8_t byte = uint8_t((*given)[r * rowBytes + bit / 8]);
          zero[r * blocks + b] =
              double((byte >> (bit % 8)) & ((1 << bits) - 1));
        }
    } else {
      return ctx.error() << "has zero points of " << ctx.input(3)->type << " ("
                         << n * rowBytes << " packed bytes or " << n * blocks
                         << " floats expected)";
    }
  }
  // w[kk, r] = (q - z) · s, K x N row-major, in A's element type.
  Type type = a->type.getElementType();
  int64_t width = type.getIntOrFloatBitWidth() / 8;
  auto raw = std::make_shared<std::string>(size_t(k * n * width), '\0');
  for (int64_t r = 0; r < n; ++r)
    for (int64_t kk = 0; kk < k; ++kk) {
      int64_t b = kk / block, i = kk % block, bit = i * bits;
      uint8_t byte = uint8_t((*codes)[(r * blocks + b) * blob + bit / 8]);
      double q = double((byte >> (bit % 8)) & ((1 << bits) - 1));
      float w = float((q - zero[r * blocks + b]) * (*scales)[r * blocks + b]);
      char *out = &(*raw)[(kk * n + r) * width];
      if (width == 4) {
        std::memcpy(out, &w, 4);
      } else {
        APFloat value(w);
        bool losesInfo = false;
        value.convert(cast<FloatType>(type).getFloatSemantics(),
                      APFloat::rmNearestTiesToEven, &losesInfo);
        uint16_t half = uint16_t(value.bitcastToAPInt().getZExtValue());
        std::memcpy(out, &half, 2);
      }
    }
  Tensor weights;
  weights.type = RankedTensorType::get({k, n}, type);
  weights.raw = raw;
  weights.name = ctx.name() + ".weights";
  FailureOr<Value> product =
      numpyMatmul(ctx, ctx.value(0), materializeConstant(ctx, weights));
  if (failed(product))
    return failure();
  Value result = *product;
  if (ctx.input(5)) {
    auto rt = cast<RankedTensorType>(result.getType());
    result = broadcastMap(
        ctx.b, ctx.loc, ValueRange{result, ctx.value(5)}, rt.getShape(), type,
        [](OpBuilder &b, Location loc, ValueRange v) -> Value {
          return arith::AddFOp::create(b, loc, v[0], v[1]);
        });
  }
  ctx.setOutput(0, result);
  return success();
}

LogicalResult lowerGemm(NodeContext &ctx) {
  Tensor *a = ctx.input(0), *b = ctx.input(1);
  if (!isFloatTensor(a) || !isFloatTensor(b) || a->type.getRank() != 2 ||
      b->type.getRank() != 2)
    return ctx.error() << "expects two float matrices";
  float alpha = ctx.attrFloat("alpha", 1), beta = ctx.attrFloat("beta", 1);
  Value av = ctx.value(0);
  if (ctx.attrInt("transA", 0))
    av = transpose(ctx.b, ctx.loc, av, {1, 0});
  Value bv;
  if (ctx.attrInt("transB", 0)) {
    if (std::optional<Tensor> t = transposedConstant(*b))
      bv = materializeConstant(ctx, *t);
    else
      bv = transpose(ctx.b, ctx.loc, ctx.value(1), {1, 0});
  } else {
    bv = ctx.value(1);
  }
  auto at = cast<RankedTensorType>(av.getType());
  auto bt = cast<RankedTensorType>(bv.getType());
  if (at.getDimSize(1) != bt.getDimSize(0))
    return ctx.error() << "multiplies " << at << " by " << bt
                       << ": inner dimensions differ";
  Value y = matmul2D(ctx, av, bv);
  Type type = at.getElementType();
  if (alpha != 1) {
    auto shape = cast<RankedTensorType>(y.getType()).getShape();
    y = broadcastMap(
        ctx.b, ctx.loc, y, shape, type,
        [alpha](OpBuilder &b, Location loc, ValueRange v) -> Value {
          return arith::MulFOp::create(b, loc, v[0],
                                       scalar(b, loc, v[0].getType(), alpha));
        });
  }
  if (Tensor *c = ctx.input(2)) {
    auto ys = cast<RankedTensorType>(y.getType()).getShape();
    if (!broadcastShapes({ys, c->type.getShape()}) ||
        *broadcastShapes({ys, c->type.getShape()}) != SmallVector<int64_t>(ys))
      return ctx.error() << "cannot broadcast C " << c->type << " to "
                         << y.getType();
    Value cv = ctx.value(2);
    y = elementwise2(
        ctx, y, cv,
        [beta](OpBuilder &b, Location loc, Value x, Value c) -> Value {
          if (beta != 1)
            c = arith::MulFOp::create(b, loc, c,
                                      scalar(b, loc, c.getType(), beta));
          return arith::AddFOp::create(b, loc, x, c);
        });
  }
  ctx.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// Window geometry of a 2-D conv or pool along H and W. Along a dimension
/// known only when the model runs, `output` is kDynamic: windowSizes
/// computes it then.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padLow, padHigh, output;
  /// Of padHigh, what ceil_mode added (never counted as padding).
  SmallVector<int64_t> ceilExtra;
};

/// Reads kernel_shape, strides, dilations, pads and auto_pad for `spatial`
/// dims of `input` (sizes, kDynamic for those known only when the model
/// runs), with kernel sizes `kernel`. `ceilMode` rounds output sizes up
/// (pooling). Along a dynamic dimension the pads must not depend on its
/// size: auto_pad SAME and ceil_mode with a stride above 1 are refused
/// there.
FailureOr<Window> readWindow(NodeContext &ctx, ArrayRef<int64_t> input,
                             ArrayRef<int64_t> kernel, bool ceilMode) {
  size_t n = input.size();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = ctx.attrInts("strides");
  w.dilations = ctx.attrInts("dilations");
  SmallVector<int64_t> pads = ctx.attrInts("pads");
  if (w.strides.empty())
    w.strides.assign(n, 1);
  if (w.dilations.empty())
    w.dilations.assign(n, 1);
  if (pads.empty())
    pads.assign(2 * n, 0);
  if (w.strides.size() != n || w.dilations.size() != n || pads.size() != 2 * n)
    return ctx.error() << "has strides, dilations or pads of the wrong length "
                          "for "
                       << n << " spatial dimensions",
           failure();
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  for (size_t i = 0; i < n; ++i) {
    if (w.strides[i] < 1 || w.dilations[i] < 1 || w.kernel[i] < 1 ||
        pads[i] < 0 || pads[i + n] < 0)
      return ctx.error() << "has a non-positive stride, dilation or kernel, or "
                            "a negative pad",
             failure();
    int64_t extent = w.dilations[i] * (w.kernel[i] - 1) + 1;
    int64_t low = pads[i], high = pads[i + n];
    bool dynamic = ShapedType::isDynamic(input[i]);
    if (dynamic && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
      return ctx.error() << "has auto_pad " << autoPad
                         << " along spatial dimension " << i
                         << ", whose size is known only when the model runs; "
                            "tern needs explicit pads there (or fix the size "
                            "with --input-shape)",
             failure();
    if (dynamic && ceilMode && w.strides[i] > 1)
      return ctx.error() << "has ceil_mode with stride " << w.strides[i]
                         << " along spatial dimension " << i
                         << ", whose size is known only when the model runs; "
                            "fix the size with --input-shape",
             failure();
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (input[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.strides[i] + extent - input[i]);
      low = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      high = total - low;
    } else if (autoPad == "VALID") {
      low = high = 0;
    } else if (autoPad != "NOTSET") {
      return ctx.error() << "has unknown auto_pad '" << autoPad << "'",
             failure();
    }
    if (dynamic) {
      w.padLow.push_back(low);
      w.padHigh.push_back(high);
      w.ceilExtra.push_back(0);
      w.output.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t span = input[i] + low + high - extent;
    if (span < 0)
      return ctx.error() << "has a window larger than its padded input",
             failure();
    int64_t out = span / w.strides[i] + 1;
    int64_t extra = 0;
    if (ceilMode && span % w.strides[i]) {
      // One more window, starting inside the input.
      if ((out)*w.strides[i] < input[i] + low)
        ++out;
      extra = (out - 1) * w.strides[i] + extent - (input[i] + low + high);
    }
    w.padLow.push_back(low);
    w.padHigh.push_back(high + extra);
    w.ceilExtra.push_back(extra);
    w.output.push_back(out);
  }
  return w;
}

/// The window of a 2-D op over the H x W of its NC(H)W input. For a 1-D op
/// (`oneD`, H = 1) the attributes describe W only and H gets a unit window.
FailureOr<Window> readWindow2D(NodeContext &ctx, ArrayRef<int64_t> hw,
                               ArrayRef<int64_t> kernelHW, bool ceilMode,
                               bool oneD) {
  if (!oneD)
    return readWindow(ctx, hw, kernelHW, ceilMode);
  FailureOr<Window> w = readWindow(ctx, {hw[1]}, {kernelHW[1]}, ceilMode);
  if (failed(w))
    return failure();
  auto lift = [](SmallVector<int64_t> &v, int64_t h) {
    v.insert(v.begin(), h);
  };
  lift(w->kernel, 1);
  lift(w->strides, 1);
  lift(w->dilations, 1);
  lift(w->padLow, 0);
  lift(w->padHigh, 0);
  lift(w->output, 1);
  lift(w->ceilExtra, 0);
  return w;
}

/// Views a rank-3 (1-D) NCL tensor as NC1L, so that one 2-D path serves both.
Value as2D(NodeContext &ctx, Value v) {
  if (cast<RankedTensorType>(v.getType()).getRank() == 4)
    return v;
  SmallVector<OpFoldResult> sizes = sizesOf(ctx.b, ctx.loc, v);
  sizes.insert(sizes.begin() + 2, ctx.b.getIndexAttr(1));
  return reshapeTo(ctx.b, ctx.loc, v, sizes);
}

/// The output sizes [N, channels, OH, OW] of window `w` over the padded
/// NCHW input `padded`: constants where the window is static, and where it
/// is not, (size - extent) / stride + 1 computed when the model runs, with
/// a check that the window fits.
SmallVector<OpFoldResult> windowSizes(NodeContext &ctx, Value padded,
                                      const Window &w, int64_t channels) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, padded);
  sizes[1] = b.getIndexAttr(channels);
  for (int d = 0; d < 2; ++d) {
    if (!ShapedType::isDynamic(w.output[d])) {
      sizes[2 + d] = b.getIndexAttr(w.output[d]);
      continue;
    }
    Value size = getValueOrCreateConstantIndexOp(b, loc, sizes[2 + d]);
    Value extent = arith::ConstantIndexOp::create(
        b, loc, w.dilations[d] * (w.kernel[d] - 1) + 1);
    cf::AssertOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, size, extent),
        "node '" + ctx.name() + "': " + ctx.node.op_type() +
            " window larger than its padded input along spatial dimension " +
            std::to_string(d) + " when the model runs");
    Value span = arith::SubIOp::create(b, loc, size, extent);
    Value stride = arith::ConstantIndexOp::create(b, loc, w.strides[d]);
    sizes[2 + d] = arith::AddIOp::create(
                       b, loc, arith::DivUIOp::create(b, loc, span, stride),
                       arith::ConstantIndexOp::create(b, loc, 1))
                       .getResult();
  }
  return sizes;
}

/// [N, M, H, W] of `sizes` filled with bias[m] (or zeros).
Value convInit(NodeContext &ctx, ArrayRef<OpFoldResult> sizes, Type type,
               Value bias) {
  if (!bias)
    return filledOf(ctx.b, ctx.loc, sizes, type, 0);
  return linalg::BroadcastOp::create(ctx.b, ctx.loc, bias,
                                     emptyOf(ctx.b, ctx.loc, sizes, type),
                                     ArrayRef<int64_t>{0, 2, 3})
      .getResult()[0];
}

/// The 2-D convolution of the NCHW `padded` image with `weights` (F x C/G x
/// KH x KW) in `group` groups, accumulated into `init` (of sizes
/// `outSizes`): linalg's NCHW convolution, its depthwise one (one filter
/// per channel), or its grouped one on N x G x C/G x H x W views.
Value convolution(NodeContext &ctx, Value padded, Value weights, Value init,
                  ArrayRef<OpFoldResult> outSizes, int64_t group,
                  ArrayRef<int64_t> strideValues,
                  ArrayRef<int64_t> dilationValues) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  auto wt = cast<RankedTensorType>(weights.getType());
  int64_t c = cast<RankedTensorType>(padded.getType()).getDimSize(1);
  int64_t m = wt.getDimSize(0), cg = wt.getDimSize(1);
  int64_t kh = wt.getDimSize(2), kw = wt.getDimSize(3);
  auto strides = b.getI64TensorAttr(strideValues);
  auto dilations = b.getI64TensorAttr(dilationValues);
  if (group == 1)
    return linalg::Conv2DNchwFchwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{padded, weights},
               ValueRange{init}, strides, dilations)
        .getResult(0);
  if (group == c && m == c) {
    Value w3 = reshape(b, loc, weights, {c, kh, kw});
    return linalg::DepthwiseConv2DNchwChwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{padded, w3},
               ValueRange{init}, strides, dilations)
        .getResult(0);
  }
  SmallVector<OpFoldResult> in5 = sizesOf(b, loc, padded);
  in5[1] = b.getIndexAttr(c / group);
  in5.insert(in5.begin() + 1, b.getIndexAttr(group));
  Value x5 = reshapeTo(b, loc, padded, in5);
  Value w5 = reshape(b, loc, weights, {group, m / group, cg, kh, kw});
  SmallVector<OpFoldResult> out5(outSizes);
  out5[1] = b.getIndexAttr(m / group);
  out5.insert(out5.begin() + 1, b.getIndexAttr(group));
  Value init5 = reshapeTo(b, loc, init, out5);
  Value r = linalg::Conv2DNgchwGfchwOp::create(
                b, loc, TypeRange{init5.getType()}, ValueRange{x5, w5},
                ValueRange{init5}, strides, dilations)
                .getResult(0);
  return reshapeTo(b, loc, r, outSizes);
}

LogicalResult lowerConv(NodeContext &ctx) {
  Tensor *x = ctx.input(0), *w = ctx.input(1);
  if (!isFloatTensor(x) || !isFloatTensor(w))
    return ctx.error() << "expects float input and weights";
  int64_t rank = x->type.getRank();
  if ((rank != 3 && rank != 4) || w->type.getRank() != rank)
    return ctx.error() << "supports 1-D and 2-D convolutions (input rank 3 or "
                          "4), got input "
                       << x->type << " and weights " << w->type;
  if (x->type.isDynamicDim(1) || !w->type.hasStaticShape())
    return ctx.error() << "needs the input channels and the weights' shape "
                          "known at import, got input "
                       << shapeString(x->type.getShape()) << " and weights "
                       << shapeString(w->type.getShape());
  Value input = as2D(ctx, ctx.value(0));
  Value weights = as2D(ctx, ctx.value(1));
  auto it = cast<RankedTensorType>(input.getType());
  auto wt = cast<RankedTensorType>(weights.getType());
  int64_t c = it.getDimSize(1);
  int64_t m = wt.getDimSize(0), cg = wt.getDimSize(1);
  int64_t group = ctx.attrInt("group", 1);
  if (group < 1 || c % group || m % group || cg * group != c)
    return ctx.error() << "has group " << group << " inconsistent with " << c
                       << " input channels and weights " << w->type;
  Tensor *biasTensor = ctx.input(2);
  if (biasTensor &&
      (biasTensor->type.getRank() != 1 || biasTensor->type.getDimSize(0) != m))
    return ctx.error() << "has a bias of shape "
                       << shapeString(biasTensor->type.getShape())
                       << ", expected (" << m << ")";
  SmallVector<int64_t> kernel = {wt.getDimSize(2), wt.getDimSize(3)};
  SmallVector<int64_t> spatial = {it.getDimSize(2), it.getDimSize(3)};
  FailureOr<Window> win =
      readWindow2D(ctx, spatial, kernel, /*ceilMode=*/false, rank == 3);
  if (failed(win))
    return failure();
  Value padded =
      padConstant(ctx.b, ctx.loc, input, win->padLow, win->padHigh, 0);
  Type type = it.getElementType();
  SmallVector<OpFoldResult> outSizes = windowSizes(ctx, padded, *win, m);
  Value bias = biasTensor ? ctx.value(2) : Value();
  Value init = convInit(ctx, outSizes, type, bias);
  Value result = convolution(ctx, padded, weights, init, outSizes, group,
                             win->strides, win->dilations);
  if (rank == 3)
    result = reshapeTo(ctx.b, ctx.loc, result,
                       {outSizes[0], outSizes[1], outSizes[3]});
  ctx.setOutput(0, result);
  return success();
}

LogicalResult lowerConvTranspose(NodeContext &ctx) {
  Tensor *x = ctx.input(0), *w = ctx.input(1);
  if (!isFloatTensor(x) || !isFloatTensor(w) || x->type.getRank() != 4 ||
      w->type.getRank() != 4)
    return ctx.error() << "supports 2-D transposed convolutions of float "
                          "tensors";
  if (!w->isConstant())
    return ctx.error() << "needs constant weights";
  ArrayRef<int64_t> xs = x->type.getShape(), ws = w->type.getShape();
  int64_t c = xs[1], h = xs[2], wd = xs[3];
  int64_t group = ctx.attrInt("group", 1);
  if (ShapedType::isDynamic(c))
    return ctx.error() << "needs the number of channels known at import, got "
                          "input "
                       << shapeString(xs);
  bool dynamicImage = x->type.isDynamicDim(2) || x->type.isDynamicDim(3);
  if (dynamicImage &&
      (ctx.hasAttr("output_shape") ||
       ctx.attrString("auto_pad", "NOTSET").rfind("SAME", 0) == 0))
    return ctx.error() << "derives its pads from an output size and an input "
                          "of shape "
                       << shapeString(xs)
                       << ", whose height or width is known only when the "
                          "model runs; fix them with --input-shape";
  if (ws[0] != c)
    return ctx.error() << "has weights " << w->type << " for " << c
                       << " input channels";
  if (group < 1 || c % group)
    return ctx.error() << "has group " << group << " inconsistent with " << c
                       << " input channels";
  // Group g maps input channels [g·C/G, (g+1)·C/G) to outputs
  // [g·M/G, (g+1)·M/G); the weights hold C x M/G x KH x KW.
  int64_t cg = c / group, mg = ws[1], m = mg * group, kh = ws[2], kw = ws[3];
  SmallVector<int64_t> strides = ctx.attrInts("strides"),
                       dil = ctx.attrInts("dilations"),
                       pads = ctx.attrInts("pads"),
                       outPad = ctx.attrInts("output_padding"),
                       outShape = ctx.attrInts("output_shape");
  if (strides.empty())
    strides = {1, 1};
  if (dil.empty())
    dil = {1, 1};
  if (pads.empty())
    pads = {0, 0, 0, 0};
  if (outPad.empty())
    outPad = {0, 0};
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4 ||
      outPad.size() != 2 ||
      (!outShape.empty() && outShape.size() != 2 && outShape.size() != 4))
    return ctx.error() << "has attributes of the wrong length";
  if (outShape.size() == 4)
    outShape = {outShape[2], outShape[3]};
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER" && autoPad != "VALID")
    return ctx.error() << "has unknown auto_pad '" << autoPad << "'";
  if (outShape.empty() && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
    outShape = {h * strides[0], wd * strides[1]};
  if (autoPad == "VALID")
    pads = {0, 0, 0, 0};
  if (!outShape.empty()) {
    // Pads that produce the requested output size (ONNX's rule).
    int64_t in[2] = {h, wd}, k[2] = {kh, kw};
    for (int d = 0; d < 2; ++d) {
      int64_t total = strides[d] * (in[d] - 1) + outPad[d] +
                      (k[d] - 1) * dil[d] + 1 - outShape[d];
      // Floor division, as ONNX's reference; a negative total grows the
      // output like output_padding does.
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      bool upper = autoPad == "SAME_UPPER";
      pads[d] = upper ? half : total - half;
      pads[d + 2] = total - pads[d];
    }
  }
  // Flip the kernel spatially and swap its channel dims at import time:
  // W'[g·M/G + m, c, i, j] = W[g·C/G + c, m, kh-1-i, kw-1-j] (for one
  // group, W'[m, c, i, j] = W[c, m, kh-1-i, kw-1-j]).
  Tensor flipped;
  flipped.type =
      RankedTensorType::get({m, cg, kh, kw}, w->type.getElementType());
  auto src = [&](int64_t mm, int64_t cc, int64_t i, int64_t j) {
    int64_t g = mm / mg;
    return (((g * cg + cc) * mg + mm % mg) * kh + (kh - 1 - i)) * kw +
           (kw - 1 - j);
  };
  int64_t count = m * cg * kh * kw;
  if (w->host) {
    HostTensor hf = *w->host;
    hf.shape = {m, cg, kh, kw};
    for (int64_t mm = 0, o = 0; mm < m; ++mm)
      for (int64_t cc = 0; cc < cg; ++cc)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j, ++o)
            hf.values[o] = w->host->values[src(mm, cc, i, j)];
    flipped.host = std::make_shared<HostTensor>(std::move(hf));
  } else {
    ArrayRef<char> bytes = w->rawBytes();
    int64_t width = int64_t(bytes.size()) / count;
    auto raw = std::make_shared<std::string>(bytes.size(), '\0');
    for (int64_t mm = 0, o = 0; mm < m; ++mm)
      for (int64_t cc = 0; cc < cg; ++cc)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j, ++o)
            std::memcpy(&(*raw)[o * width], &bytes[src(mm, cc, i, j) * width],
                        width);
    flipped.raw = raw;
  }
  Value weights = materializeConstant(ctx, flipped);
  Type type = x->type.getElementType();
  // Spread the input by the stride, then pad by the kernel extent minus the
  // pads; negative amounts crop. With a dynamic height or width the spread
  // size, (size - 1) * stride + 1, is computed when the model runs.
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Value spread = ctx.value(0);
  if (strides[0] != 1 || strides[1] != 1) {
    SmallVector<OpFoldResult> inSizes = sizesOf(b, loc, spread);
    SmallVector<OpFoldResult> spreadSizes(inSizes);
    for (int d = 0; d < 2; ++d) {
      int64_t size = xs[2 + d], stride = strides[d];
      if (!ShapedType::isDynamic(size)) {
        spreadSizes[2 + d] = b.getIndexAttr((size - 1) * stride + 1);
        continue;
      }
      Value v = cast<Value>(inSizes[2 + d]);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      cf::AssertOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, v, one),
          "node '" + ctx.name() +
              "': ConvTranspose of an empty spatial dimension " +
              std::to_string(d) + " when the model runs");
      Value scaled =
          arith::MulIOp::create(b, loc, arith::SubIOp::create(b, loc, v, one),
                                arith::ConstantIndexOp::create(b, loc, stride));
      spreadSizes[2 + d] =
          arith::AddIOp::create(b, loc, scaled, one).getResult();
    }
    MLIRContext *context = b.getContext();
    spread = tensor::InsertSliceOp::create(
        b, loc, spread, filledOf(b, loc, spreadSizes, type, 0),
        getAsIndexOpFoldResult(context, {0, 0, 0, 0}), inSizes,
        getAsIndexOpFoldResult(context, {1, 1, strides[0], strides[1]}));
  }
  int64_t eh = dil[0] * (kh - 1), ew = dil[1] * (kw - 1);
  int64_t lowH = eh - pads[0], lowW = ew - pads[1];
  int64_t highH = eh - pads[2] + outPad[0], highW = ew - pads[3] + outPad[1];
  if (dynamicImage && (lowH < 0 || lowW < 0 || highH < 0 || highW < 0))
    return ctx.error() << "has pads larger than its kernel's extent, which "
                          "crop an input of shape "
                       << shapeString(xs)
                       << " whose height or width is known only when the "
                          "model runs; fix them with --input-shape";
  Value padded = padConstant(
      ctx.b, ctx.loc, spread,
      {std::max<int64_t>(lowH, 0), std::max<int64_t>(lowW, 0)},
      {std::max<int64_t>(highH, 0), std::max<int64_t>(highW, 0)}, 0);
  if (lowH < 0 || lowW < 0 || highH < 0 || highW < 0) {
    auto pt = cast<RankedTensorType>(padded.getType());
    int64_t ch = -std::min<int64_t>(lowH, 0), cw = -std::min<int64_t>(lowW, 0);
    int64_t sh = pt.getDimSize(2) - ch + std::min<int64_t>(highH, 0);
    int64_t sw = pt.getDimSize(3) - cw + std::min<int64_t>(highW, 0);
    if (sh < 1 || sw < 1)
      return ctx.error() << "has pads larger than its output";
    padded = extractSlice(ctx.b, ctx.loc, padded, {0, 0, ch, cw},
                          {xs[0], c, sh, sw}, {1, 1, 1, 1});
  }
  // The output is the padded spread input less the kernel's extent: the
  // windows of the flipped kernel at stride 1.
  Window window;
  window.kernel = {kh, kw};
  window.strides = {1, 1};
  window.dilations = dil;
  auto pt = cast<RankedTensorType>(padded.getType());
  for (int d = 0; d < 2; ++d) {
    int64_t size = pt.getDimSize(2 + d);
    if (ShapedType::isDynamic(size)) {
      window.output.push_back(ShapedType::kDynamic);
      continue;
    }
    window.output.push_back(size - (d ? ew : eh));
    if (window.output.back() < 1)
      return ctx.error() << "has an empty output";
  }
  if (Tensor *bias = ctx.input(2);
      bias && (bias->type.getRank() != 1 || bias->type.getDimSize(0) != m))
    return ctx.error() << "has a bias of shape "
                       << shapeString(bias->type.getShape()) << ", expected ("
                       << m << ")";
  SmallVector<OpFoldResult> outSizes = windowSizes(ctx, padded, window, m);
  Value init =
      convInit(ctx, outSizes, type, ctx.input(2) ? ctx.value(2) : Value());
  ctx.setOutput(
      0, convolution(ctx, padded, weights, init, outSizes, group, {1, 1}, dil));
  return success();
}

/// How many positions of each window of `w` along spatial dimension `d`
/// an average divides by: those inside the input of size `size` (and, with
/// `includePad`, in its explicit pads; ceil_mode's extra padding never
/// counts). Along a dimension known only when the model runs every window
/// counts the same, one entry (readWindow allows no ceil_mode padding
/// there; lowerPool refuses partial windows).
std::vector<double> windowCounts(const Window &w, int d, int64_t size,
                                 bool includePad) {
  if (ShapedType::isDynamic(size))
    return {double(w.kernel[d])};
  int64_t lo = includePad ? -w.padLow[d] : 0;
  int64_t hi = includePad ? size + w.padHigh[d] - w.ceilExtra[d] : size;
  std::vector<double> counts;
  for (int64_t o = 0; o < w.output[d]; ++o) {
    int64_t inside = 0;
    for (int64_t k = 0; k < w.kernel[d]; ++k) {
      int64_t at = o * w.strides[d] - w.padLow[d] + k * w.dilations[d];
      inside += at >= lo && at < hi;
    }
    counts.push_back(double(std::max<int64_t>(inside, 1)));
  }
  return counts;
}

LogicalResult lowerPool(NodeContext &ctx, bool isMax) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || (x->type.getRank() != 4 && x->type.getRank() != 3))
    return ctx.error() << "supports 1-D and 2-D pooling of float tensors";
  if (ctx.node.output_size() > 1 && !ctx.node.output(1).empty())
    return ctx.error() << "does not produce the Indices output";
  int64_t rank = x->type.getRank();
  if (x->type.isDynamicDim(1))
    return ctx.error() << "needs the number of channels known at import, got "
                          "input "
                       << shapeString(x->type.getShape());
  SmallVector<int64_t> kernel = ctx.attrInts("kernel_shape");
  if (int64_t(kernel.size()) != rank - 2)
    return ctx.error() << "needs kernel_shape with " << rank - 2 << " values";
  Value input = as2D(ctx, ctx.value(0));
  auto it = cast<RankedTensorType>(input.getType());
  bool ceilMode = ctx.attrInt("ceil_mode", 0) != 0;
  FailureOr<Window> win =
      readWindow2D(ctx, {it.getDimSize(2), it.getDimSize(3)},
                   rank == 3 ? SmallVector<int64_t>{1, kernel[0]} : kernel,
                   ceilMode, rank == 3);
  if (failed(win))
    return failure();
  bool includePad = ctx.attrInt("count_include_pad", 0) != 0;
  for (int d = 0; d < 2; ++d)
    if (!isMax && it.isDynamicDim(2 + d) && !includePad &&
        (win->padLow[d] || win->padHigh[d]))
      return ctx.error() << "averages windows that reach into its pads along "
                            "spatial dimension "
                         << d
                         << ", whose size is known only when the model runs; "
                            "fix the size with --input-shape";
  Type type = it.getElementType();
  double padValue = isMax ? -INFINITY : 0.0;
  Value padded =
      padConstant(ctx.b, ctx.loc, input, win->padLow, win->padHigh, padValue);
  SmallVector<OpFoldResult> outSizes =
      windowSizes(ctx, padded, *win, it.getDimSize(1));
  Value window = empty(ctx.b, ctx.loc, win->kernel, type);
  auto strides = ctx.b.getI64TensorAttr(win->strides);
  auto dilations = ctx.b.getI64TensorAttr(win->dilations);
  Value result;
  if (isMax) {
    Value init = filledOf(ctx.b, ctx.loc, outSizes, type, -INFINITY);
    result =
        linalg::PoolingNchwMaxOp::create(
            ctx.b, ctx.loc, TypeRange{init.getType()},
            ValueRange{padded, window}, ValueRange{init}, strides, dilations)
            .getResult(0);
  } else {
    Value init = filledOf(ctx.b, ctx.loc, outSizes, type, 0);
    Value sum =
        linalg::PoolingNchwSumOp::create(
            ctx.b, ctx.loc, TypeRange{init.getType()},
            ValueRange{padded, window}, ValueRange{init}, strides, dilations)
            .getResult(0);
    // Divide by the product of the counts along H and W, a table computed
    // at import time (one column or row where a size is dynamic).
    std::vector<double> rows =
        windowCounts(*win, 0, it.getDimSize(2), includePad);
    std::vector<double> cols =
        windowCounts(*win, 1, it.getDimSize(3), includePad);
    int64_t oh = rows.size(), ow = cols.size();
    std::vector<double> counts;
    for (double r : rows)
      for (double c : cols)
        counts.push_back(r * c);
    Tensor divisor;
    divisor.type = RankedTensorType::get({oh, ow}, type);
    divisor.host = std::make_shared<HostTensor>(
        makeHost(type, {oh, ow}, std::move(counts)));
    Value d = materializeConstant(ctx, divisor);
    result =
        broadcastMap(ctx.b, ctx.loc, ValueRange{sum, d},
                     cast<RankedTensorType>(sum.getType()).getShape(), type,
                     [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                       return arith::DivFOp::create(b, loc, a[0], a[1]);
                     });
  }
  if (rank == 3)
    result = reshapeTo(ctx.b, ctx.loc, result,
                       {outSizes[0], outSizes[1], outSizes[3]});
  ctx.setOutput(0, result);
  return success();
}

LogicalResult lowerGlobalPool(NodeContext &ctx, bool isMax) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || x->type.getRank() < 3)
    return ctx.error() << "expects a float tensor of rank >= 3";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < x->type.getRank(); ++d)
    axes.push_back(d);
  Value v = ctx.value(0);
  Value r =
      reduce(ctx.b, ctx.loc, v, axes, true, isMax ? -INFINITY : 0.0,
             [&](OpBuilder &b, Location loc, Value acc, Value e) -> Value {
               if (isMax)
                 return arith::MaximumFOp::create(b, loc, acc, e);
               return arith::AddFOp::create(b, loc, acc, e);
             });
  if (!isMax) {
    // 1 / the number of positions averaged, at run time if it is dynamic.
    Type type = x->type.getElementType();
    SmallVector<OpFoldResult> sizes = sizesOf(ctx.b, ctx.loc, v);
    OpFoldResult count =
        productOf(ctx.b, ctx.loc, ArrayRef<OpFoldResult>(sizes).drop_front(2));
    Value scale;
    if (std::optional<int64_t> n = getConstantIntValue(count)) {
      scale = scalar(ctx.b, ctx.loc, type, 1.0 / double(*n));
    } else {
      Value n64 = arith::IndexCastOp::create(ctx.b, ctx.loc, ctx.b.getI64Type(),
                                             cast<Value>(count));
      Value nf = arith::SIToFPOp::create(ctx.b, ctx.loc, type, n64);
      scale = arith::DivFOp::create(ctx.b, ctx.loc,
                                    scalar(ctx.b, ctx.loc, type, 1.0), nf);
    }
    auto shape = cast<RankedTensorType>(r.getType()).getShape();
    r = broadcastMap(ctx.b, ctx.loc, r, shape, type,
                     [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                       return arith::MulFOp::create(b, loc, a[0], scale);
                     });
  }
  ctx.setOutput(0, r);
  return success();
}

LogicalResult lowerBatchNorm(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || x->type.getRank() < 2)
    return ctx.error() << "expects a float input of rank >= 2";
  if (ctx.attrInt("training_mode", 0))
    return ctx.error() << "is in training mode; tern imports inference graphs";
  if (x->type.isDynamicDim(1))
    return ctx.error() << "needs the number of channels known at import, got "
                          "input "
                       << shapeString(x->type.getShape());
  for (int i = 1; i <= 4; ++i)
    if (!ctx.host(i) || ctx.host(i)->size() != x->type.getDimSize(1))
      return ctx.error() << "needs constant scale, bias, mean and variance of "
                         << x->type.getDimSize(1) << " values";
  double eps = ctx.attrFloat("epsilon", 1e-5f);
  int64_t c = x->type.getDimSize(1);
  std::vector<double> a(c), b(c);
  for (int64_t i = 0; i < c; ++i) {
    a[i] = ctx.host(1)->values[i] / std::sqrt(ctx.host(4)->values[i] + eps);
    b[i] = ctx.host(2)->values[i] - ctx.host(3)->values[i] * a[i];
  }
  // y = x * a[c] + b[c], with a and b shaped [C, 1, ..., 1].
  SmallVector<int64_t> shape = {c};
  for (int64_t d = 2; d < x->type.getRank(); ++d)
    shape.push_back(1);
  Type type = x->type.getElementType();
  Tensor ta, tb;
  ta.type = tb.type = RankedTensorType::get(shape, type);
  ta.host = std::make_shared<HostTensor>(makeHost(type, shape, std::move(a)));
  tb.host = std::make_shared<HostTensor>(makeHost(type, shape, std::move(b)));
  Value av = materializeConstant(ctx, ta);
  Value bv = materializeConstant(ctx, tb);
  ctx.setOutput(
      0, broadcastMap(ctx.b, ctx.loc, ValueRange{ctx.value(0), av, bv},
                      x->type.getShape(), type,
                      [](OpBuilder &ob, Location loc, ValueRange v) -> Value {
                        return arith::AddFOp::create(
                            ob, loc, arith::MulFOp::create(ob, loc, v[0], v[1]),
                            v[2]);
                      }));
  return success();
}

Value sumAxes(NodeContext &ctx, Value v, ArrayRef<int64_t> axes) {
  return reduce(ctx.b, ctx.loc, v, axes, true, 0.0,
                [](OpBuilder &b, Location loc, Value acc, Value e) -> Value {
                  return arith::AddFOp::create(b, loc, acc, e);
                });
}

Value scaleBy(NodeContext &ctx, Value v, double s) {
  auto t = cast<RankedTensorType>(v.getType());
  return broadcastMap(ctx.b, ctx.loc, v, t.getShape(), t.getElementType(),
                      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                        return arith::MulFOp::create(
                            b, loc, a[0], scalar(b, loc, a[0].getType(), s));
                      });
}

/// x minus its mean over `axes` (of `count` elements in all), and the
/// variance there with the reduced dimensions kept as 1s: what every
/// normalization computes before its scale.
std::pair<Value, Value> centeredMoments(NodeContext &ctx, Value v,
                                        ArrayRef<int64_t> axes, int64_t count,
                                        Value *mean = nullptr) {
  auto t = cast<RankedTensorType>(v.getType());
  ArrayRef<int64_t> shape = t.getShape();
  Type type = t.getElementType();
  Value m = scaleBy(ctx, sumAxes(ctx, v, axes), 1.0 / double(count));
  Value centered =
      broadcastMap(ctx.b, ctx.loc, ValueRange{v, m}, shape, type,
                   [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                     return arith::SubFOp::create(b, loc, a[0], a[1]);
                   });
  Value sq =
      broadcastMap(ctx.b, ctx.loc, centered, shape, type,
                   [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                     return arith::MulFOp::create(b, loc, a[0], a[0]);
                   });
  if (mean)
    *mean = m;
  return {centered, scaleBy(ctx, sumAxes(ctx, sq, axes), 1.0 / double(count))};
}

/// centered / sqrt(var + eps) times `affine[0]` plus `affine[1]` (if
/// given), all broadcast to the shape of `centered`.
Value normalized(NodeContext &ctx, Value centered, Value var, double eps,
                 ArrayRef<Value> affine) {
  auto t = cast<RankedTensorType>(centered.getType());
  Type type = t.getElementType();
  SmallVector<Value> inputs = {centered, var};
  inputs.append(affine.begin(), affine.end());
  return broadcastMap(
      ctx.b, ctx.loc, inputs, t.getShape(), type,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value denom = math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, a[1], scalar(b, loc, type, eps)));
        Value y = arith::DivFOp::create(b, loc, a[0], denom);
        if (a.size() > 2)
          y = arith::MulFOp::create(b, loc, y, a[2]);
        if (a.size() > 3)
          y = arith::AddFOp::create(b, loc, y, a[3]);
        return y;
      });
}

LogicalResult lowerLayerNorm(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || !ctx.input(1))
    return ctx.error() << "expects a float input and a scale";
  int64_t rank = x->type.getRank();
  FailureOr<int64_t> axis = ctx.axisAttr(rank, -1);
  if (failed(axis))
    return failure();
  double eps = ctx.attrFloat("epsilon", 1e-5f);
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = *axis; d < rank; ++d) {
    if (x->type.isDynamicDim(d))
      return ctx.error() << "normalizes over dimension " << d << " of "
                         << x->type << ", which is dynamic";
    axes.push_back(d);
    count *= x->type.getDimSize(d);
  }
  ArrayRef<int64_t> shape = x->type.getShape();
  Type type = x->type.getElementType();
  Value mean;
  auto [centered, var] = centeredMoments(ctx, ctx.value(0), axes, count, &mean);
  SmallVector<Value> affine = {ctx.value(1)};
  if (ctx.input(2))
    affine.push_back(ctx.value(2));
  for (Value in : affine)
    if (!broadcastShapes(
            {shape, cast<RankedTensorType>(in.getType()).getShape()}))
      return ctx.error() << "cannot broadcast scale or bias to " << x->type;
  // Optional outputs: the mean and 1 / sqrt(var + eps), reduced dims kept.
  ctx.setOutput(1, mean);
  auto reducedShape = cast<RankedTensorType>(var.getType()).getShape();
  ctx.setOutput(
      2, broadcastMap(ctx.b, ctx.loc, var, reducedShape, type,
                      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                        Value d = math::SqrtOp::create(
                            b, loc,
                            arith::AddFOp::create(b, loc, a[0],
                                                  scalar(b, loc, type, eps)));
                        return arith::DivFOp::create(
                            b, loc, scalar(b, loc, type, 1), d);
                      }));
  ctx.setOutput(0, normalized(ctx, centered, var, eps, affine));
  return success();
}

/// RMS normalization over the trailing dimensions from `axis` (static):
/// x / sqrt(mean(x²) + eps) times `scale`; also sets output `invStdOutput`
/// (if >= 0) to 1 / sqrt(mean(x²) + eps), reduced dimensions kept.
LogicalResult rmsNormalize(NodeContext &ctx, Value v, int64_t axis, Value scale,
                           double eps, int invStdOutput) {
  auto t = cast<RankedTensorType>(v.getType());
  int64_t rank = t.getRank();
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = axis; d < rank; ++d) {
    if (t.isDynamicDim(d))
      return ctx.error() << "normalizes over dimension " << d << " of " << t
                         << ", which is dynamic";
    axes.push_back(d);
    count *= t.getDimSize(d);
  }
  Type type = t.getElementType();
  Value squares =
      broadcastMap(ctx.b, ctx.loc, v, t.getShape(), type,
                   [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                     return arith::MulFOp::create(b, loc, a[0], a[0]);
                   });
  Value meanSquare =
      scaleBy(ctx, sumAxes(ctx, squares, axes), 1.0 / double(count));
  auto reduced = cast<RankedTensorType>(meanSquare.getType());
  if (!broadcastShapes(
          {t.getShape(), cast<RankedTensorType>(scale.getType()).getShape()}))
    return ctx.error() << "cannot broadcast the scale to " << t;
  Value invStd = broadcastMap(
      ctx.b, ctx.loc, meanSquare, reduced.getShape(), type,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value d = math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, a[0], scalar(b, loc, type, eps)));
        return arith::DivFOp::create(b, loc, scalar(b, loc, type, 1), d);
      });
  if (invStdOutput >= 0)
    ctx.setOutput(invStdOutput, invStd);
  ctx.setOutput(
      0, broadcastMap(
             ctx.b, ctx.loc, ValueRange{v, invStd, scale}, t.getShape(), type,
             [](OpBuilder &b, Location loc, ValueRange a) -> Value {
               return arith::MulFOp::create(
                   b, loc, arith::MulFOp::create(b, loc, a[0], a[1]), a[2]);
             }));
  return success();
}

/// com.microsoft SimplifiedLayerNormalization (RMSNorm): X, scale.
LogicalResult lowerSimplifiedLayerNorm(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || !ctx.input(1))
    return ctx.error() << "expects a float input and a scale";
  FailureOr<int64_t> axis = ctx.axisAttr(x->type.getRank(), -1);
  if (failed(axis))
    return failure();
  return rmsNormalize(ctx, ctx.value(0), *axis, ctx.value(1),
                      ctx.attrFloat("epsilon", 1e-5f), /*invStdOutput=*/1);
}

/// com.microsoft SkipLayerNormalization (`simplified`: its RMS form):
/// s = input + skip (+ bias), normalized over the last dimension and
/// scaled by gamma (plus beta); s is output 3.
LogicalResult lowerSkipLayerNorm(NodeContext &ctx, bool simplified) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || !ctx.input(1) || !ctx.input(2))
    return ctx.error() << "expects a float input, a skip and a gamma";
  int biasIndex = simplified ? 3 : 4;
  auto t = x->type;
  SmallVector<Value> terms = {ctx.value(0), ctx.value(1)};
  if (ctx.input(biasIndex))
    terms.push_back(ctx.value(biasIndex));
  for (Value v : ArrayRef<Value>(terms).drop_front())
    if (!broadcastShapes(
            {t.getShape(), cast<RankedTensorType>(v.getType()).getShape()}))
      return ctx.error() << "cannot broadcast the skip or bias to " << t;
  Value sum =
      broadcastMap(ctx.b, ctx.loc, terms, t.getShape(), t.getElementType(),
                   [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                     Value s = arith::AddFOp::create(b, loc, a[0], a[1]);
                     if (a.size() > 2)
                       s = arith::AddFOp::create(b, loc, s, a[2]);
                     return s;
                   });
  ctx.setOutput(3, sum);
  int64_t last = t.getRank() - 1;
  // ONNX Runtime's default epsilon for the skip forms.
  double eps = ctx.attrFloat("epsilon", 1e-12f);
  if (simplified)
    return rmsNormalize(ctx, sum, last, ctx.value(2), eps,
                        /*invStdOutput=*/2);
  if (t.isDynamicDim(last))
    return ctx.error() << "normalizes over the last dimension of " << t
                       << ", which is dynamic";
  Value mean;
  auto [centered, var] =
      centeredMoments(ctx, sum, {last}, t.getDimSize(last), &mean);
  SmallVector<Value> affine = {ctx.value(2)};
  if (ctx.input(3))
    affine.push_back(ctx.value(3));
  ctx.setOutput(1, mean);
  ctx.setOutput(0, normalized(ctx, centered, var, eps, affine));
  return success();
}

/// InstanceNormalization (x: N x C x D..., scale and B: C) and
/// GroupNormalization (num_groups G dividing C; scale and bias per group
/// before opset 21, per channel from 21): x viewed as N x G x C/G x D...
/// (G = C for instances), normalized over every dimension after G, then
/// scaled per channel or group. The normalized dimensions must be static.
LogicalResult lowerGroupNorm(NodeContext &ctx, bool instance) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x) || !ctx.input(1) || !ctx.input(2))
    return ctx.error() << "expects a float input, a scale and a bias";
  int64_t rank = x->type.getRank();
  if (rank < 3)
    return ctx.error() << "expects an input of rank >= 3 (N x C x D...), got "
                       << x->type;
  ArrayRef<int64_t> shape = x->type.getShape();
  int64_t channels = shape[1];
  if (ShapedType::isDynamic(channels))
    return ctx.error() << "needs static channels, got " << x->type;
  for (int64_t d = 2; d < rank; ++d)
    if (ShapedType::isDynamic(shape[d]))
      return ctx.error() << "normalizes over dimension " << d << " of "
                         << x->type << ", which is dynamic";
  int64_t groups = instance ? channels : ctx.attrInt("num_groups", 0);
  if (groups < 1 || channels % groups)
    return ctx.error() << "needs num_groups dividing the " << channels
                       << " channels, got " << groups;
  // Per channel: always for instances, from opset 21 for groups.
  bool perChannel = instance || ctx.opset >= 21;
  int64_t affineSize = perChannel ? channels : groups;
  for (int i : {1, 2})
    if (ctx.input(i)->type.getRank() != 1 ||
        ctx.input(i)->type.getDimSize(0) != affineSize)
      return ctx.error() << "needs " << (i == 1 ? "a scale" : "a bias")
                         << " of " << affineSize << " values (one per "
                         << (perChannel ? "channel" : "group") << "), got "
                         << ctx.input(i)->type;
  double eps = ctx.attrFloat("epsilon", 1e-5f);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, ctx.value(0));
  SmallVector<OpFoldResult> grouped = {sizes[0], b.getIndexAttr(groups),
                                       b.getIndexAttr(channels / groups)};
  grouped.append(sizes.begin() + 2, sizes.end());
  Value v = reshapeTo(b, loc, ctx.value(0), grouped);
  SmallVector<int64_t> axes;
  int64_t count = 1;
  for (int64_t d = 2; d < rank + 1; ++d) {
    axes.push_back(d);
    count *= getConstantIntValue(grouped[d]).value_or(1);
  }
  auto [centered, var] = centeredMoments(ctx, v, axes, count);
  // The scale and bias as G x C/G x 1... (per channel) or G x 1 x 1...
  SmallVector<int64_t> affineShape = {groups,
                                      perChannel ? channels / groups : 1};
  affineShape.append(rank - 2, 1);
  SmallVector<Value> affine;
  for (int i : {1, 2})
    affine.push_back(reshape(b, loc, ctx.value(i), affineShape));
  Value y = normalized(ctx, centered, var, eps, affine);
  ctx.setOutput(0, reshapeTo(b, loc, y, sizes));
  return success();
}

LogicalResult lowerSoftmax(NodeContext &ctx, bool logSoftmax) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x))
    return ctx.error() << "expects a float input";
  int64_t rank = x->type.getRank();
  int64_t defaultAxis = ctx.opset < 13 ? 1 : -1;
  FailureOr<int64_t> axis = ctx.axisAttr(rank, defaultAxis);
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> shape = x->type.getShape();
  Value v = ctx.value(0);
  SmallVector<int64_t> axes = {*axis};
  SmallVector<int64_t> work(shape);
  SmallVector<OpFoldResult> sizes = sizesOf(ctx.b, ctx.loc, v);
  if (ctx.opset < 13 && *axis != rank - 1) {
    // Before opset 13 the input is coerced to 2-D at the axis (at the last
    // axis, that is the softmax along it).
    ArrayRef<OpFoldResult> all(sizes);
    SmallVector<OpFoldResult> matrix = {
        productOf(ctx.b, ctx.loc, all.take_front(*axis)),
        productOf(ctx.b, ctx.loc, all.drop_front(*axis))};
    v = reshapeTo(ctx.b, ctx.loc, v, matrix);
    work = staticShapeOf(matrix);
    axes = {1};
  }
  Type type = x->type.getElementType();
  SoftmaxParts parts = softmaxParts(ctx.b, ctx.loc, v, work, axes[0]);
  Value y;
  if (logSoftmax)
    y = broadcastMap(
        ctx.b, ctx.loc, ValueRange{v, parts.max, parts.sum}, work, type,
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value shifted = arith::SubFOp::create(b, loc, a[0], a[1]);
          return arith::SubFOp::create(b, loc, shifted,
                                       math::LogOp::create(b, loc, a[2]));
        });
  else
    y = broadcastMap(ctx.b, ctx.loc, ValueRange{parts.exp, parts.sum}, work,
                     type,
                     [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                       return arith::DivFOp::create(b, loc, a[0], a[1]);
                     });
  ctx.setOutput(0, reshapeTo(ctx.b, ctx.loc, y, sizes));
  return success();
}

enum class ReduceKind {
  Sum,
  Mean,
  Max,
  Min,
  Prod,
  SumSquare, ///< Σ x²
  L1,        ///< Σ |x|
  L2,        ///< √Σ x²
  LogSum,    ///< log Σ x
  LogSumExp, ///< log Σ exp(x), computed as m + log Σ exp(x - m), m = max x
};

/// `body` applied to every element of `v` (same shape and type).
Value mapElements(NodeContext &ctx, Value v,
                  function_ref<Value(OpBuilder &, Location, Value)> body) {
  auto t = cast<RankedTensorType>(v.getType());
  return broadcastMap(ctx.b, ctx.loc, v, t.getShape(), t.getElementType(),
                      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
                        return body(b, loc, a[0]);
                      });
}

LogicalResult lowerReduce(NodeContext &ctx, ReduceKind kind) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  Type type = x->type.getElementType();
  if (!isa<FloatType>(type))
    return ctx.error() << "expects a float input, got " << type;
  int64_t rank = x->type.getRank();
  // ReduceSum took its axes as an input from opset 13, the others from 18.
  int64_t since = kind == ReduceKind::Sum ? 13 : 18;
  auto given = ctx.intsAttrOrInput("axes", 1, since);
  if (failed(given))
    return failure();
  bool keepDims = ctx.attrInt("keepdims", 1) != 0;
  SmallVector<int64_t> axes;
  if (*given && !(*given)->empty()) {
    for (int64_t a : **given) {
      std::optional<int64_t> axis = normalizeAxis(a, rank);
      if (!axis)
        return ctx.error() << "has axis " << a << " out of range for rank "
                           << rank;
      axes.push_back(*axis);
    }
  } else if (ctx.attrInt("noop_with_empty_axes", 0)) {
    ctx.setOutput(0, *x);
    return success();
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  int64_t count = 1;
  for (int64_t a : axes) {
    if (kind == ReduceKind::Mean && x->type.isDynamicDim(a))
      return ctx.error() << "averages over dimension " << a << " of " << x->type
                         << ", which is dynamic";
    count *= x->type.getDimSize(a);
  }
  auto sum = [](OpBuilder &b, Location loc, Value acc, Value e) -> Value {
    return arith::AddFOp::create(b, loc, acc, e);
  };
  Value input = ctx.value(0);
  Value r;
  switch (kind) {
  case ReduceKind::SumSquare:
  case ReduceKind::L2:
    input = mapElements(ctx, input, [](OpBuilder &b, Location loc, Value e) {
      return arith::MulFOp::create(b, loc, e, e).getResult();
    });
    break;
  case ReduceKind::L1:
    input = mapElements(ctx, input, [](OpBuilder &b, Location loc, Value e) {
      return math::AbsFOp::create(b, loc, e).getResult();
    });
    break;
  case ReduceKind::LogSumExp: {
    // m = max x over the axes (0 where every element is -inf), kept as 1s
    // to broadcast back; then m + log Σ exp(x - m).
    Value m =
        reduce(ctx.b, ctx.loc, input, axes, /*keepDims=*/true, -INFINITY,
               [](OpBuilder &b, Location loc, Value acc, Value e) {
                 return arith::MaximumFOp::create(b, loc, acc, e).getResult();
               });
    m = mapElements(ctx, m, [](OpBuilder &b, Location loc, Value e) {
      Value infinite = arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OEQ, math::AbsFOp::create(b, loc, e),
          scalar(b, loc, e.getType(), INFINITY));
      return arith::SelectOp::create(b, loc, infinite,
                                     scalar(b, loc, e.getType(), 0), e)
          .getResult();
    });
    auto xt = cast<RankedTensorType>(input.getType());
    Value shifted =
        broadcastMap(ctx.b, ctx.loc, ValueRange{input, m}, xt.getShape(), type,
                     [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                       return math::ExpOp::create(
                           b, loc, arith::SubFOp::create(b, loc, a[0], a[1]));
                     });
    Value total =
        reduce(ctx.b, ctx.loc, shifted, axes, /*keepDims=*/true, 0.0, sum);
    auto kt = cast<RankedTensorType>(total.getType());
    r = broadcastMap(ctx.b, ctx.loc, ValueRange{total, m}, kt.getShape(), type,
                     [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                       return arith::AddFOp::create(
                           b, loc, math::LogOp::create(b, loc, a[0]), a[1]);
                     });
    if (!keepDims) {
      SmallVector<OpFoldResult> sizes = sizesOf(ctx.b, ctx.loc, r), kept;
      for (int64_t d = 0; d < rank; ++d)
        if (!llvm::is_contained(axes, d))
          kept.push_back(sizes[d]);
      r = reshapeTo(ctx.b, ctx.loc, r, kept);
    }
    break;
  }
  default:
    break;
  }
  if (!r) {
    double init = kind == ReduceKind::Max    ? -INFINITY
                  : kind == ReduceKind::Min  ? INFINITY
                  : kind == ReduceKind::Prod ? 1.0
                                             : 0.0;
    r = reduce(ctx.b, ctx.loc, input, axes, keepDims, init,
               [&](OpBuilder &b, Location loc, Value acc, Value e) -> Value {
                 switch (kind) {
                 case ReduceKind::Max:
                   return arith::MaximumFOp::create(b, loc, acc, e);
                 case ReduceKind::Min:
                   return arith::MinimumFOp::create(b, loc, acc, e);
                 case ReduceKind::Prod:
                   return arith::MulFOp::create(b, loc, acc, e);
                 default:
                   return arith::AddFOp::create(b, loc, acc, e);
                 }
               });
  }
  if (kind == ReduceKind::L2)
    r = mapElements(ctx, r, [](OpBuilder &b, Location loc, Value e) {
      return math::SqrtOp::create(b, loc, e).getResult();
    });
  if (kind == ReduceKind::LogSum)
    r = mapElements(ctx, r, [](OpBuilder &b, Location loc, Value e) {
      return math::LogOp::create(b, loc, e).getResult();
    });
  if (kind == ReduceKind::Mean)
    r = scaleBy(ctx, r, 1.0 / double(count));
  ctx.setOutput(0, r);
  return success();
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

LogicalResult lowerResize(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!isFloatTensor(x))
    return ctx.error() << "expects a float input";
  int64_t rank = x->type.getRank();
  ArrayRef<int64_t> in = x->type.getShape();
  std::string mode = ctx.attrString("mode", "nearest");
  if (mode != "nearest" && mode != "linear")
    return ctx.error() << "has unsupported mode '" << mode << "'";
  std::string transform =
      ctx.attrString("coordinate_transformation_mode",
                     ctx.opset < 11 ? "asymmetric" : "half_pixel");
  static const char *known[] = {"half_pixel", "pytorch_half_pixel",
                                "align_corners", "asymmetric",
                                "tf_half_pixel_for_nn"};
  if (!llvm::is_contained(known, transform))
    return ctx.error() << "has unsupported coordinate_transformation_mode '"
                       << transform << "'";
  std::string nearest = ctx.attrString("nearest_mode", "round_prefer_floor");
  bool linear = mode == "linear";
  if (!linear && !llvm::is_contained({StringRef("floor"), StringRef("ceil"),
                                      StringRef("round_prefer_ceil"),
                                      StringRef("round_prefer_floor")},
                                     StringRef(nearest)))
    return ctx.error() << "has unsupported nearest_mode '" << nearest << "'";
  if (ctx.opset >= 18 &&
      (ctx.input(4) || ctx.attrInt("antialias", 0) || ctx.hasAttr("axes")))
    return ctx.error() << "does not support axes or antialias";
  int scalesInput = ctx.opset < 11 ? 1 : 2, sizesInput = 3;
  const HostTensor *sizes = ctx.opset >= 11 ? ctx.host(sizesInput) : nullptr;
  const HostTensor *given = ctx.host(scalesInput);
  bool bySizes = sizes && sizes->size() == rank;
  // The policy changes what sizes mean (opset 18); scales ignore it.
  std::string policy = ctx.attrString("keep_aspect_ratio_policy", "stretch");
  if (bySizes && policy != "stretch")
    return ctx.error() << "has keep_aspect_ratio_policy '" << policy
                       << "' with sizes (only 'stretch' is read)";
  if (!bySizes && !(given && given->size() == rank))
    return ctx.error() << "needs constant scales or sizes for all " << rank
                       << " dimensions";

  // Per dimension: the output size, the scale (out / in when sizes are
  // given), and whether it is resized at all. Sizes known only when the
  // model runs give run-time sizes and scales; ONNX measures the resized
  // length as in * scale, before flooring.
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  Type f64 = b.getF64Type();
  Value input = ctx.value(0);
  SmallVector<OpFoldResult> inSizes = sizesOf(b, loc, input), outSizes;
  SmallVector<Value> inF(rank), scaleF(rank);
  SmallVector<bool> resized(rank, false);
  auto toF64 = [&](OpFoldResult size) -> Value {
    Value i = getValueOrCreateConstantIndexOp(b, loc, size);
    return arith::SIToFPOp::create(
        b, loc, f64, arith::IndexCastOp::create(b, loc, b.getI64Type(), i));
  };
  for (int64_t d = 0; d < rank; ++d) {
    bool dynamic = ShapedType::isDynamic(in[d]);
    if (bySizes) {
      int64_t out = int64_t(sizes->values[d]);
      if (out < 1)
        return ctx.error() << "resizes dimension " << d << " to " << out;
      outSizes.push_back(b.getIndexAttr(out));
      if (!dynamic) {
        if (in[d] < 1)
          return ctx.error()
                 << "resizes dimension " << d << " of size " << in[d];
        resized[d] = out != in[d];
        scaleF[d] = scalar(b, loc, f64, double(out) / double(in[d]));
      } else {
        // Reading any of `out` positions needs an input to read.
        cf::AssertOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                  cast<Value>(inSizes[d]),
                                  arith::ConstantIndexOp::create(b, loc, 0)),
            "node '" + ctx.name() + "': Resize of an empty dimension " +
                std::to_string(d) + " to " + std::to_string(out));
        resized[d] = true;
        scaleF[d] = arith::DivFOp::create(b, loc, scalar(b, loc, f64, out),
                                          toF64(inSizes[d]));
      }
    } else {
      double scale = given->values[d];
      if (scale <= 0)
        return ctx.error() << "has scale " << scale << " for dimension " << d;
      resized[d] = scale != 1.0;
      scaleF[d] = scalar(b, loc, f64, scale);
      if (!dynamic) {
        int64_t out = int64_t(std::floor(double(in[d]) * scale));
        if (out < 1)
          return ctx.error() << "resizes dimension " << d << " to " << out;
        outSizes.push_back(b.getIndexAttr(out));
      } else if (!resized[d]) {
        outSizes.push_back(inSizes[d]);
      } else {
        Value out = math::FloorOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, toF64(inSizes[d]), scaleF[d]));
        outSizes.push_back(
            arith::IndexCastOp::create(
                b, loc, b.getIndexType(),
                arith::FPToSIOp::create(b, loc, b.getI64Type(), out))
                .getResult());
      }
    }
    if (resized[d])
      inF[d] = toF64(inSizes[d]);
  }
  if (linear && llvm::count(resized, true) > 2)
    return ctx.error() << "supports linear resizing of at most 2 dimensions";

  // Every output element reads the input where its coordinate maps (one
  // position per resized dimension for nearest, two and a weight for
  // linear), computed in f64 as ONNX's reference does.
  Type type = x->type.getElementType();
  Value result = generateOf(
      b, loc, outSizes, type, [&](OpBuilder &nb, Location nl) -> Value {
        auto cst = [&](double v) { return scalar(nb, nl, f64, v); };
        auto asIndex = [&](Value v) -> Value {
          return arith::IndexCastOp::create(
              nb, nl, nb.getIndexType(),
              arith::FPToSIOp::create(nb, nl, nb.getI64Type(), v));
        };
        SmallVector<Value> base, other, weights;
        for (int64_t d = 0; d < rank; ++d) {
          Value o = linalg::IndexOp::create(nb, nl, d);
          base.push_back(o);
          other.push_back(o);
          weights.push_back(Value());
          if (!resized[d])
            continue;
          Value xo = arith::SIToFPOp::create(
              nb, nl, f64,
              arith::IndexCastOp::create(nb, nl, nb.getI64Type(), o));
          Value s = scaleF[d],
                length = arith::MulFOp::create(nb, nl, inF[d], s);
          Value half = arith::AddFOp::create(nb, nl, xo, cst(0.5));
          Value src;
          if (transform == "half_pixel" || transform == "pytorch_half_pixel") {
            src = arith::SubFOp::create(
                nb, nl, arith::DivFOp::create(nb, nl, half, s), cst(0.5));
            if (transform == "pytorch_half_pixel")
              src = arith::SelectOp::create(
                  nb, nl,
                  arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                        length, cst(1)),
                  src, cst(0));
          } else if (transform == "align_corners") {
            Value ratio = arith::DivFOp::create(
                nb, nl, arith::SubFOp::create(nb, nl, inF[d], cst(1)),
                arith::SubFOp::create(nb, nl, length, cst(1)));
            src = arith::SelectOp::create(
                nb, nl,
                arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, length,
                                      cst(1)),
                cst(0), arith::MulFOp::create(nb, nl, xo, ratio));
          } else if (transform == "tf_half_pixel_for_nn") {
            src = arith::DivFOp::create(nb, nl, half, s);
          } else {
            src = arith::DivFOp::create(nb, nl, xo, s); // asymmetric
          }
          Value last = arith::SubFOp::create(nb, nl, inF[d], cst(1));
          auto clamp = [&](Value v) -> Value {
            return arith::MinimumFOp::create(
                nb, nl, arith::MaximumFOp::create(nb, nl, v, cst(0)), last);
          };
          if (!linear) {
            Value r;
            if (nearest == "floor")
              r = math::FloorOp::create(nb, nl, src);
            else if (nearest == "ceil")
              r = math::CeilOp::create(nb, nl, src);
            else if (nearest == "round_prefer_ceil")
              r = math::FloorOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, src, cst(0.5)));
            else
              r = math::CeilOp::create(
                  nb, nl, arith::SubFOp::create(nb, nl, src, cst(0.5)));
            base[d] = other[d] = asIndex(clamp(r));
            continue;
          }
          src = clamp(src);
          Value f = math::FloorOp::create(nb, nl, src);
          base[d] = asIndex(f);
          other[d] = asIndex(arith::MinimumFOp::create(
              nb, nl, arith::AddFOp::create(nb, nl, f, cst(1)), last));
          weights[d] = convertScalar(
              nb, nl, arith::SubFOp::create(nb, nl, src, f), type);
        }
        // Interpolate over the resized dims, one at a time (nearest reads
        // one position).
        std::function<Value(int64_t, SmallVector<Value>)> interp =
            [&](int64_t d, SmallVector<Value> pos) -> Value {
          while (d < rank && !weights[d])
            ++d;
          if (d == rank)
            return tensor::ExtractOp::create(nb, nl, input, pos);
          SmallVector<Value> hi(pos);
          hi[d] = other[d];
          Value a = interp(d + 1, pos), c = interp(d + 1, hi);
          Value diff = arith::SubFOp::create(nb, nl, c, a);
          return arith::AddFOp::create(
              nb, nl, a, arith::MulFOp::create(nb, nl, diff, weights[d]));
        };
        return interp(0, base);
      });
  ctx.setOutput(0, result);
  return success();
}

} // namespace

FailureOr<Value> onnx_import::numpyMatmul(NodeContext &ctx, Value a, Value b) {
  OpBuilder &builder = ctx.b;
  Location loc = ctx.loc;
  auto at = cast<RankedTensorType>(a.getType());
  auto bt = cast<RankedTensorType>(b.getType());
  Type type = at.getElementType();
  if (!isa<FloatType>(type) || bt.getElementType() != type)
    return ctx.error() << "expects float operands of one type, got "
                       << at.getElementType() << " and " << bt.getElementType(),
           failure();
  bool vectorA = at.getRank() == 1, vectorB = bt.getRank() == 1;
  if (vectorA)
    a = reshapeTo(builder, loc, a,
                  {builder.getIndexAttr(1), sizesOf(builder, loc, a)[0]});
  if (vectorB)
    b = reshapeTo(builder, loc, b,
                  {sizesOf(builder, loc, b)[0], builder.getIndexAttr(1)});
  at = cast<RankedTensorType>(a.getType());
  bt = cast<RankedTensorType>(b.getType());
  SmallVector<OpFoldResult> as = sizesOf(builder, loc, a),
                            bs = sizesOf(builder, loc, b);
  int64_t k = at.getDimSize(at.getRank() - 1),
          k2 = bt.getDimSize(bt.getRank() - 2);
  if (k != k2)
    return ctx.error() << "multiplies " << at << " by " << bt
                       << ": inner dimensions differ",
           failure();
  ArrayRef<int64_t> batchA = at.getShape().drop_back(2);
  ArrayRef<int64_t> batchB = bt.getShape().drop_back(2);
  std::optional<SmallVector<int64_t>> batch = broadcastShapes({batchA, batchB});
  if (!batch)
    return ctx.error() << "cannot broadcast the batch dimensions of " << at
                       << " and " << bt,
           failure();
  OpFoldResult m = as[as.size() - 2], n = bs.back();
  ArrayRef<OpFoldResult> batchSizesA = ArrayRef(as).drop_back(2);
  SmallVector<OpFoldResult> outSizes;
  Value result;
  if (bt.getRank() == 2) {
    // Weights shared by every row: one [rows, K] x [K, N] matmul.
    outSizes.assign(batchSizesA.begin(), batchSizesA.end());
    outSizes.append({m, n});
    SmallVector<OpFoldResult> rows(batchSizesA);
    rows.push_back(m);
    Value flat =
        reshapeTo(builder, loc, a, {productOf(builder, loc, rows), as.back()});
    result = reshapeTo(builder, loc, matmul2D(ctx, flat, b), outSizes);
  } else {
    bool dynamic = !at.hasStaticShape() || !bt.hasStaticShape();
    if (dynamic && batchA != batchB)
      return ctx.error() << "multiplies " << at << " by " << bt
                         << ": batch dimensions that differ are broadcast "
                            "only between static shapes",
             failure();
    SmallVector<int64_t> fullA(*batch), fullB(*batch);
    fullA.append({at.getDimSize(at.getRank() - 2), k});
    fullB.append({k, bt.getDimSize(bt.getRank() - 1)});
    if (!dynamic) {
      a = broadcastTo(builder, loc, a, fullA);
      b = broadcastTo(builder, loc, b, fullB);
    }
    // Dynamic batch dimensions must agree when the model runs; each
    // operand is then collapsed with its own sizes (a view of it).
    for (auto [i, sizes] : llvm::enumerate(llvm::zip(batchSizesA, bs))) {
      auto [sizeA, sizeB] = sizes;
      if (getConstantIntValue(sizeA) && getConstantIntValue(sizeB))
        continue;
      Value same = arith::CmpIOp::create(
          builder, loc, arith::CmpIPredicate::eq,
          getValueOrCreateConstantIndexOp(builder, loc, sizeA),
          getValueOrCreateConstantIndexOp(builder, loc, sizeB));
      cf::AssertOp::create(builder, loc, same,
                           "node '" + ctx.name() +
                               "': the operands disagree in batch dimension " +
                               std::to_string(i) + " when the model runs");
    }
    OpFoldResult count = productOf(builder, loc, batchSizesA);
    OpFoldResult countB =
        productOf(builder, loc, ArrayRef<OpFoldResult>(bs).drop_back(2));
    OpFoldResult kSize = as.back();
    Value a3 = reshapeTo(builder, loc, a, {count, m, kSize});
    Value b3 = reshapeTo(builder, loc, b, {countB, bs[bs.size() - 2], n});
    Value init = filledOf(builder, loc, {count, m, n}, type, 0);
    Value r = linalg::BatchMatmulOp::create(builder, loc, ValueRange{a3, b3},
                                            ValueRange{init})
                  .getResult(0);
    SmallVector<int64_t> batchShape(*batch);
    outSizes.assign(batchSizesA.begin(), batchSizesA.end());
    if (!dynamic)
      for (auto [i, dim] : llvm::enumerate(batchShape))
        outSizes[i] = builder.getIndexAttr(dim);
    outSizes.append({m, n});
    result = reshapeTo(builder, loc, r, outSizes);
  }
  SmallVector<OpFoldResult> finalSizes(
      ArrayRef<OpFoldResult>(outSizes).drop_back(2));
  if (!vectorA)
    finalSizes.push_back(m);
  if (!vectorB)
    finalSizes.push_back(n);
  return reshapeTo(builder, loc, result, finalSizes);
}

SoftmaxParts onnx_import::softmaxParts(OpBuilder &b, Location loc, Value v,
                                       ArrayRef<int64_t> shape, int64_t axis,
                                       Value sink) {
  Type type = cast<RankedTensorType>(v.getType()).getElementType();
  SoftmaxParts parts;
  parts.max =
      reduce(b, loc, v, {axis}, true, -INFINITY,
             [](OpBuilder &nb, Location l, Value acc, Value e) -> Value {
               return arith::MaximumFOp::create(nb, l, acc, e);
             });
  SmallVector<int64_t> reducedShape(shape);
  reducedShape[axis] = 1;
  if (sink)
    parts.max =
        broadcastMap(b, loc, ValueRange{parts.max, sink}, reducedShape, type,
                     [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       return arith::MaximumFOp::create(nb, l, a[0], a[1]);
                     });
  auto expOfDifference = [](OpBuilder &nb, Location l, ValueRange a) -> Value {
    return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
  };
  parts.exp = broadcastMap(b, loc, ValueRange{v, parts.max}, shape, type,
                           expOfDifference);
  parts.sum =
      reduce(b, loc, parts.exp, {axis}, true, 0.0,
             [](OpBuilder &nb, Location l, Value acc, Value e) -> Value {
               return arith::AddFOp::create(nb, l, acc, e);
             });
  if (sink)
    parts.sum = broadcastMap(
        b, loc, ValueRange{parts.sum, sink, parts.max}, reducedShape, type,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, l, a[0],
                                       expOfDifference(nb, l, a.drop_front()));
        });
  return parts;
}

void onnx_import::registerNNOps(HandlerTable &t) {
  t["MatMul"] = lowerMatMul;
  t[contribOp("MatMulNBits")] = lowerMatMulNBits;
  t["Gemm"] = lowerGemm;
  t["Conv"] = lowerConv;
  t["ConvTranspose"] = lowerConvTranspose;
  t["MaxPool"] = [](NodeContext &ctx) { return lowerPool(ctx, true); };
  t["AveragePool"] = [](NodeContext &ctx) { return lowerPool(ctx, false); };
  t["GlobalAveragePool"] = [](NodeContext &ctx) {
    return lowerGlobalPool(ctx, false);
  };
  t["GlobalMaxPool"] = [](NodeContext &ctx) {
    return lowerGlobalPool(ctx, true);
  };
  t["BatchNormalization"] = lowerBatchNorm;
  t["LayerNormalization"] = lowerLayerNorm;
  // ONNX Runtime's contributed normalizations (com.microsoft).
  // SimplifiedLayerNormalization: ONNX Runtime defines it in the default
  // domain, and exporters write it in either.
  t["SimplifiedLayerNormalization"] = lowerSimplifiedLayerNorm;
  t[contribOp("SimplifiedLayerNormalization")] = lowerSimplifiedLayerNorm;
  t[contribOp("SkipLayerNormalization")] = [](NodeContext &ctx) {
    return lowerSkipLayerNorm(ctx, false);
  };
  t[contribOp("SkipSimplifiedLayerNormalization")] = [](NodeContext &ctx) {
    return lowerSkipLayerNorm(ctx, true);
  };
  t["InstanceNormalization"] = [](NodeContext &ctx) {
    return lowerGroupNorm(ctx, true);
  };
  t["GroupNormalization"] = [](NodeContext &ctx) {
    return lowerGroupNorm(ctx, false);
  };
  t["Softmax"] = [](NodeContext &ctx) { return lowerSoftmax(ctx, false); };
  t["LogSoftmax"] = [](NodeContext &ctx) { return lowerSoftmax(ctx, true); };
  t["ReduceSum"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::Sum);
  };
  t["ReduceMean"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::Mean);
  };
  t["ReduceMax"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::Max);
  };
  t["ReduceMin"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::Min);
  };
  t["ReduceSumSquare"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::SumSquare);
  };
  t["ReduceL1"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::L1);
  };
  t["ReduceL2"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::L2);
  };
  t["ReduceLogSum"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::LogSum);
  };
  t["ReduceLogSumExp"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::LogSumExp);
  };
  t["ReduceProd"] = [](NodeContext &ctx) {
    return lowerReduce(ctx, ReduceKind::Prod);
  };
  t["Resize"] = lowerResize;
}
