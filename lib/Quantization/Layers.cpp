//===- Layers.cpp - the layers post-training quantization sees ------------===//
//
// This file implements finding the quantizable layers of a module: which
// ops qualify, their weights as N x K, and how to rebuild them around a
// matmul.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Layers.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/Utils/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringMap.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Whether `type` is an element type whose layers tern-ternarize takes:
/// f32, or f16 and bf16 (read and computed in f32, results narrowed back).
bool isLayerFloat(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

/// The constant `value` is, or is a reshape of (tensor.expand_shape and
/// collapse_shape keep the row-major order: a 1-D convolution's F x C x K
/// weights seen as F x C x 1 x K, say); null otherwise.
arith::ConstantOp constantOf(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
      value = expand.getSrc();
    else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
      value = collapse.getSrc();
    else
      break;
  }
  return value.getDefiningOp<arith::ConstantOp>();
}

/// The values of a float constant (inline or a resource blob; f32, f16 or
/// bf16), or of a reshape of one, row-major, as f32.
std::optional<std::vector<float>> readFloats(Value value) {
  auto constant = constantOf(value);
  if (!constant)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!type || !isLayerFloat(type.getElementType()) || !type.hasStaticShape())
    return std::nullopt;
  auto elementType = cast<FloatType>(type.getElementType());
  std::vector<float> values(type.getNumElements());
  auto widen = [](APFloat element) {
    bool losesInfo = false;
    element.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
    return element.convertToFloat();
  };
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    if (elementType.isF32())
      llvm::copy(dense.getValues<float>(), values.begin());
    else
      llvm::transform(dense.getValues<APFloat>(), values.begin(), widen);
    return values;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  int64_t bytes = elementType.getWidth() / 8;
  if (!blob || blob->getData().size() != values.size() * bytes)
    return std::nullopt;
  const char *data = blob->getData().data();
  if (elementType.isF32()) {
    std::memcpy(values.data(), data, values.size() * sizeof(float));
    return values;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, data + 2 * i, 2);
    values[i] =
        widen(APFloat(elementType.getFloatSemantics(), APInt(16, bits)));
  }
  return values;
}

/// `value` (a float tensor) with its elements converted to `type`
/// (extf or truncf), or `value` itself if they are of that type.
Value convertElements(OpBuilder &b, Location loc, Value value, FloatType type) {
  auto tensorType = cast<RankedTensorType>(value.getType());
  auto from = cast<FloatType>(tensorType.getElementType());
  if (from == type)
    return value;
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, value), type);
  return linalg::MapOp::create(
             b, loc, ValueRange{value}, init,
             [&](OpBuilder &nested, Location l, ValueRange args) {
               Value converted =
                   from.getWidth() < type.getWidth()
                       ? arith::ExtFOp::create(nested, l, type, args[0])
                             .getResult()
                       : arith::TruncFOp::create(nested, l, type, args[0])
                             .getResult();
               linalg::YieldOp::create(nested, l, converted);
             })
      .getResult()[0];
}

/// Whether `value` is a constant with a static f32, f16 or bf16 tensor
/// type.
bool isFloatConstant(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return constantOf(value) && type && isLayerFloat(type.getElementType()) &&
         type.hasStaticShape();
}

/// Whether `value` is a tensor of zeros (a fill of 0 or a zero splat).
bool isZeros(Value value) {
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(value, m_AnyZeroFloat());
}

/// An M x K f32, f16 or bf16 matrix whose K is static (M may be dynamic:
/// the rows of a model whose batch or sequence length is fixed only when
/// it runs).
bool isRowsFloat(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isLayerFloat(tensor.getElementType()) &&
         tensor.getRank() == 2 && !tensor.isDynamicDim(1);
}

/// Why `weights` are not the constant float weights of a layer ("" if they
/// are).
std::string whyNotWeights(Value weights) {
  std::string why;
  llvm::raw_string_ostream os(why);
  auto type = dyn_cast<RankedTensorType>(weights.getType());
  if (!constantOf(weights))
    os << "its weights are not a constant (an input of the model, or "
          "computed)";
  else if (type && !isLayerFloat(type.getElementType()))
    os << "its weights are " << type.getElementType()
       << ", not f32, f16 or bf16";
  else if (!isFloatConstant(weights))
    os << "its weights are not a static float tensor";
  return why;
}

/// A matmul with constant K x N weights; otherwise sets `why` to the
/// reason.
std::optional<Layer> matchMatmul(linalg::MatmulOp op, std::string &why) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps()) {
    why = "a linalg.matmul on buffers or with its own indexing maps";
    return std::nullopt;
  }
  Type activations = op.getInputs()[0].getType();
  auto resultType = cast<RankedTensorType>(op.getResultTypes()[0]);
  if (!isRowsFloat(activations) || !isLayerFloat(resultType.getElementType())) {
    llvm::raw_string_ostream(why)
        << "its activations are " << activations
        << ", not an M x K f32, f16 or bf16 matrix with a static K";
    return std::nullopt;
  }
  why = whyNotWeights(op.getInputs()[1]);
  if (!why.empty())
    return std::nullopt;
  auto weightType = cast<RankedTensorType>(op.getInputs()[1].getType());
  Layer layer;
  layer.cols = weightType.getDimSize(0);
  layer.rows = weightType.getDimSize(1);
  // f16 and bf16 layers compute in f32: x widened, the result narrowed.
  Location loc = op.getLoc();
  auto resultElement = cast<FloatType>(resultType.getElementType());
  layer.activations = [op, loc](OpBuilder &b) mutable {
    return convertElements(b, loc, op.getInputs()[0], b.getF32Type());
  };
  layer.outputs = [loc, resultElement](OpBuilder &b, Value products) {
    return convertElements(b, loc, products, resultElement);
  };
  return layer;
}

/// An NCHW f32, f16 or bf16 tensor whose channels are static (batch,
/// height and width may be fixed only when the model runs).
bool isImageFloat(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isLayerFloat(tensor.getElementType()) &&
         tensor.getRank() == 4 && !tensor.isDynamicDim(1);
}

/// The receptive fields of a convolution's NCHW `image` as rows (im2col):
/// one row of C·KH·KW f32 values per output pixel (b, oh, ow), channel
/// major, [B·OH·OW, C·KH·KW]; `outHeight` and `outWidth` are the output's
/// sizes.
Value receptiveFields(OpBuilder &b, Location loc, Value image,
                      OpFoldResult outHeight, OpFoldResult outWidth, int64_t kh,
                      int64_t kw, ArrayRef<int64_t> strides,
                      ArrayRef<int64_t> dilations) {
  MLIRContext *context = b.getContext();
  // (b, oh, ow, c, i, j) reads x[b, c, oh*sh + i*dh, ow*sw + j*dw].
  AffineExpr n, oh, ow, c, i, j;
  bindDims(context, n, oh, ow, c, i, j);
  AffineMap read = AffineMap::get(6, 0,
                                  {n, c, oh * strides[0] + i * dilations[0],
                                   ow * strides[1] + j * dilations[1]},
                                  context);
  SmallVector<OpFoldResult> in = tensor::getMixedSizes(b, loc, image);
  SmallVector<OpFoldResult> sizes = {
      in[0], outHeight,          outWidth,
      in[1], b.getIndexAttr(kh), b.getIndexAttr(kw)};
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  SmallVector<utils::IteratorType> parallel(6, utils::IteratorType::parallel);
  Value patches =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{image}, ValueRange{init},
          SmallVector<AffineMap>{read, b.getMultiDimIdentityMap(6)}, parallel,
          [](OpBuilder &nb, Location l, ValueRange args) {
            Value x = args[0];
            if (!x.getType().isF32())
              x = arith::ExtFOp::create(nb, l, nb.getF32Type(), x);
            linalg::YieldOp::create(nb, l, x);
          })
          .getResult(0);
  return tensor::CollapseShapeOp::create(
      b, loc, patches, SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

/// Whether the image and result of a convolution are layer images, and its
/// filter constant layer weights; otherwise sets `why`.
bool isConvolutionLayer(linalg::LinalgOp op, std::string &why) {
  if (!op.hasPureTensorSemantics()) {
    why = "a convolution on buffers";
    return false;
  }
  Value input = op.getDpsInputs()[0];
  if (!isImageFloat(input.getType()) ||
      !isImageFloat(op->getResultTypes()[0])) {
    llvm::raw_string_ostream(why)
        << "its image is " << input.getType()
        << ", not NCHW f32, f16 or bf16 with static channels";
    return false;
  }
  why = whyNotWeights(op.getDpsInputs()[1]);
  return why.empty();
}

/// An ungrouped 2-D convolution (NCHW, the importer's padding already
/// applied) with constant F x C x KH x KW weights, as a matmul of its
/// receptive fields (im2col: one row of C·KH·KW values per output pixel)
/// and the F x (C·KH·KW) weights. A 1x1 convolution with stride 1 needs no
/// im2col: its rows are the pixels' channels (a transpose). Other
/// convolutions are layers only with `convolutions` All; otherwise sets
/// `why`.
std::optional<Layer> matchConv(linalg::Conv2DNchwFchwOp op,
                               ConvolutionLayers convolutions,
                               std::string &why) {
  if (!isConvolutionLayer(op, why))
    return std::nullopt;
  auto filterType = cast<RankedTensorType>(op.getInputs()[1].getType());
  auto resultType = cast<RankedTensorType>(op.getResultTypes()[0]);
  SmallVector<int64_t> strides(op.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dilations(op.getDilations().getValues<int64_t>());
  int64_t kh = filterType.getDimSize(2), kw = filterType.getDimSize(3);
  bool pointwise = kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1;
  if (!pointwise && convolutions == ConvolutionLayers::Pointwise) {
    llvm::raw_string_ostream(why)
        << "a " << kh << "x" << kw << " convolution with strides " << strides[0]
        << "x" << strides[1]
        << " (convolutions=ungrouped or all ternarizes it)";
    return std::nullopt;
  }
  Layer layer;
  layer.rows = filterType.getDimSize(0);
  layer.cols = filterType.getDimSize(1) * kh * kw;
  // Rows: [B, C, H, W] -> [B, OH, OW, C, KH, KW] -> [B*OH*OW, C*KH*KW];
  // then the matmul -> [B*OH*OW, F] -> [B, OH, OW, F] -> [B, F, OH, OW].
  Location loc = op.getLoc();
  auto imageElement = cast<FloatType>(resultType.getElementType());
  auto transpose = [loc](OpBuilder &b, Value value,
                         ArrayRef<int64_t> permutation) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
    Value init = tensor::EmptyOp::create(
        b, loc, applyPermutation(sizes, permutation),
        cast<RankedTensorType>(value.getType()).getElementType());
    return linalg::TransposeOp::create(b, loc, value, init, permutation)
        .getResult()[0];
  };
  SmallVector<ReassociationIndices> pixels = {{0, 1, 2}, {3}};
  if (pointwise) {
    layer.activations = [=](OpBuilder &b) mutable -> Value {
      Value rows = tensor::CollapseShapeOp::create(
          b, loc, transpose(b, op.getInputs()[0], {0, 2, 3, 1}), pixels);
      return convertElements(b, loc, rows, b.getF32Type());
    };
  } else {
    layer.activations = [=](OpBuilder &b) mutable -> Value {
      SmallVector<OpFoldResult> out =
          tensor::getMixedSizes(b, loc, op.getOutputs()[0]);
      return receptiveFields(b, loc, op.getInputs()[0], out[2], out[3], kh, kw,
                             strides, dilations);
    };
  }
  int64_t filters = layer.rows;
  layer.outputs = [=](OpBuilder &b, Value f32Products) mutable -> Value {
    Value products = convertElements(b, loc, f32Products, imageElement);
    // The result's sizes, read from its init when the model runs.
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(b, loc, op.getOutputs()[0]);
    SmallVector<OpFoldResult> nhwf = {sizes[0], sizes[2], sizes[3],
                                      b.getIndexAttr(filters)};
    SmallVector<int64_t> shape;
    for (OpFoldResult size : nhwf)
      shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
    auto type = RankedTensorType::get(shape, imageElement);
    Value image;
    if (llvm::count(shape, ShapedType::kDynamic) <= 1) {
      image =
          tensor::ExpandShapeOp::create(b, loc, type, products, pixels, nhwf);
    } else {
      // An expand_shape whose group has two dynamic sizes crashes MLIR 22's
      // expand-strided-metadata (llvm-project issue 186830): tensor.reshape
      // with the sizes as a shape tensor, as the importer does.
      SmallVector<Value> dims;
      for (OpFoldResult size : nhwf)
        dims.push_back(getValueOrCreateConstantIndexOp(b, loc, size));
      Value shapeTensor = tensor::FromElementsOp::create(
          b, loc, RankedTensorType::get({4}, b.getIndexType()), dims);
      image = tensor::ReshapeOp::create(b, loc, type, products, shapeTensor);
    }
    return transpose(b, image, {0, 3, 1, 2});
  };
  return layer;
}

/// A depthwise convolution (C x KH x KW weights, one filter per channel) or
/// a grouped one (linalg's G x F/G x C/G x KH x KW weights on an image and
/// result seen as N x G x C/G x H x W): a layer of `groups` blocks (see
/// Layer::groups) whose rows are the filters and whose columns are a
/// group's C/G·KH·KW receptive field. Only with `convolutions` All;
/// otherwise sets `why`.
std::optional<Layer> matchGroupedConv(linalg::LinalgOp op,
                                      ConvolutionLayers convolutions,
                                      std::string &why) {
  if (!op.hasPureTensorSemantics()) {
    why = "a convolution on buffers";
    return std::nullopt;
  }
  bool depthwise = isa<linalg::DepthwiseConv2DNchwChwOp>(op);
  Location loc = op.getLoc();
  // The image as NCHW: a grouped convolution's N x G x C/G x H x W is the
  // importer's expand_shape or reshape of one.
  auto asImage = [depthwise, loc](OpBuilder &b, Value value) -> Value {
    if (depthwise)
      return value;
    return tensor::CollapseShapeOp::create(
        b, loc, value,
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  };
  Value input = op.getDpsInputs()[0];
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  auto resultType = dyn_cast<RankedTensorType>(op->getResultTypes()[0]);
  int64_t rank = depthwise ? 4 : 5;
  auto isGroupedImage = [&](RankedTensorType type) {
    return type && isLayerFloat(type.getElementType()) &&
           type.getRank() == rank && !type.isDynamicDim(1) &&
           (depthwise || !type.isDynamicDim(2));
  };
  if (!isGroupedImage(inputType) || !isGroupedImage(resultType)) {
    llvm::raw_string_ostream(why)
        << "its image is " << input.getType() << ", not "
        << (depthwise ? "NCHW" : "N x G x C/G x H x W")
        << " f32, f16 or bf16 with static channels";
    return std::nullopt;
  }
  Value filter = op.getDpsInputs()[1];
  why = whyNotWeights(filter);
  if (!why.empty())
    return std::nullopt;
  auto filterType = cast<RankedTensorType>(filter.getType());
  ArrayRef<int64_t> filterShape = filterType.getShape();
  int64_t kh = filterShape[filterShape.size() - 2], kw = filterShape.back();
  auto attr = [&](StringRef name) {
    return SmallVector<int64_t>(
        cast<DenseIntElementsAttr>(op->getAttr(name)).getValues<int64_t>());
  };
  SmallVector<int64_t> strides = attr("strides"), dilations = attr("dilations");
  if (convolutions != ConvolutionLayers::All) {
    llvm::raw_string_ostream(why)
        << "a " << (depthwise ? "depthwise" : "grouped") << " " << kh << "x"
        << kw << " convolution (convolutions=all ternarizes it)";
    return std::nullopt;
  }
  Layer layer;
  if (depthwise) {
    layer.groups = layer.rows = filterShape[0];
    layer.cols = kh * kw;
  } else {
    layer.groups = filterShape[0];
    layer.rows = filterShape[0] * filterShape[1];
    layer.cols = filterShape[2] * kh * kw;
  }
  layer.activations = [=](OpBuilder &b) mutable -> Value {
    SmallVector<OpFoldResult> out =
        tensor::getMixedSizes(b, loc, op.getDpsInits()[0]);
    return receptiveFields(b, loc, asImage(b, op.getDpsInputs()[0]),
                           out[rank - 2], out[rank - 1], kh, kw, strides,
                           dilations);
  };
  // The same op on rows x cols weights, reshaped to the filter's shape in
  // its element type: rows are linalg's filters in order, and a row's
  // values a filter's, row-major.
  auto filterElement = cast<FloatType>(filterType.getElementType());
  SmallVector<ReassociationIndices> reassociation =
      depthwise ? SmallVector<ReassociationIndices>{{0}, {1, 2}}
                : SmallVector<ReassociationIndices>{{0, 1}, {2, 3, 4}};
  layer.convolve = [=](OpBuilder &b, Value weights) mutable -> Value {
    Value converted = convertElements(b, loc, weights, filterElement);
    Value reshaped = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(filterShape, filterElement), converted,
        reassociation);
    Operation *clone = b.clone(*op);
    clone->setOperand(1, reshaped);
    return clone->getResult(0);
  };
  return layer;
}

/// The kept weights `kept` (int8 or f16, N x K) as stored, a resource
/// "NAME.int8" or "NAME.f16", widened to f32 (and scaled per row for int8)
/// where they are read: N x K f32.
Value buildKeptWeights(OpBuilder &b, Location loc,
                       const ::tern::quant::KeptWeights &kept, StringRef name) {
  namespace q = ::tern::quant;
  int64_t n = kept.rows, k = kept.cols;
  bool int8 = kept.format == q::KeptFormat::Int8;
  std::vector<uint8_t> bytes = kept.bytes(/*transposed=*/false);
  Type elementType = int8 ? Type(b.getI8Type()) : Type(b.getF16Type());
  Value stored = arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(
          RankedTensorType::get({n, k}, elementType),
          (name + (int8 ? ".int8" : ".f16")).str(),
          HeapAsmResourceBlob::allocateAndCopyInferAlign(
              ArrayRef<uint8_t>(bytes))));
  SmallVector<Value> inputs = {stored};
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(2)};
  if (int8) {
    inputs.push_back(floatConstant(b, loc, {n}, kept.scales,
                                   kept.scaleBits == 16
                                       ? FloatType(b.getF16Type())
                                       : FloatType(b.getF32Type())));
    maps.push_back(AffineMap::get(2, 0, getAffineDimExpr(0, ctx), ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(2));
  auto type = RankedTensorType::get({n, k}, b.getF32Type());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), b.getF32Type());
  auto parallel = utils::IteratorType::parallel;
  return linalg::GenericOp::create(
             b, loc, type, inputs, ValueRange{init}, maps, {parallel, parallel},
             [int8](OpBuilder &nb, Location l, ValueRange args) {
               Type f32 = nb.getF32Type();
               if (!int8) {
                 linalg::YieldOp::create(
                     nb, l,
                     arith::ExtFOp::create(nb, l, f32, args[0]).getResult());
                 return;
               }
               Value code = arith::SIToFPOp::create(nb, l, f32, args[0]);
               Value scale = args[1];
               if (!scale.getType().isF32())
                 scale = arith::ExtFOp::create(nb, l, f32, scale);
               linalg::YieldOp::create(
                   nb, l,
                   arith::MulFOp::create(nb, l, code, scale).getResult());
             })
      .getResult(0);
}

} // namespace

StringRef mlir::tern::convolutionLayersName(ConvolutionLayers layers) {
  switch (layers) {
  case ConvolutionLayers::Pointwise:
    return "pointwise";
  case ConvolutionLayers::Ungrouped:
    return "ungrouped";
  case ConvolutionLayers::All:
    return "all";
  }
  llvm_unreachable("unknown ConvolutionLayers");
}

std::optional<ConvolutionLayers>
mlir::tern::parseConvolutionLayers(StringRef name) {
  for (ConvolutionLayers layers :
       {ConvolutionLayers::Pointwise, ConvolutionLayers::Ungrouped,
        ConvolutionLayers::All})
    if (name == convolutionLayersName(layers))
      return layers;
  return std::nullopt;
}

std::vector<Layer> mlir::tern::findLayers(ModuleOp module, bool readWeights,
                                          std::vector<std::string> *rejected,
                                          ConvolutionLayers convolutions) {
  std::vector<Layer> layers;
  unsigned counter = 0;
  llvm::StringMap<unsigned> seen;
  module.walk([&](Operation *op) {
    if (!isa<linalg::MatmulOp, linalg::Conv2DNchwFchwOp,
             linalg::DepthwiseConv2DNchwChwOp, linalg::Conv2DNgchwGfchwOp>(op))
      return;
    std::string name = layerNameAt(op->getLoc());
    if (name.empty())
      name = "layer_" + std::to_string(counter);
    ++counter;
    // Names key statistics and resources: a repeated name gets a suffix.
    if (unsigned repeats = seen[name]++)
      name += "#" + std::to_string(repeats);
    std::optional<Layer> layer;
    std::string why;
    // Calibration observes a layer's activations from its function: an op
    // in a branch or loop body (an ONNX If or Loop) is not a layer.
    if (!isa<FunctionOpInterface>(op->getParentOp())) {
      if (rejected)
        rejected->push_back("'" + name +
                            "': inside a branch or loop (ONNX If, Loop, "
                            "Scan), which calibration cannot observe");
      return;
    }
    if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
      layer = matchMatmul(matmul, why);
    else if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op))
      layer = matchConv(conv, convolutions, why);
    else
      layer = matchGroupedConv(cast<linalg::LinalgOp>(op), convolutions, why);
    if (!layer) {
      if (rejected)
        rejected->push_back("'" + name + "': " + why);
      return;
    }
    layer->op = op;
    if (readWeights && !readLayerWeights(*layer))
      return;
    layer->name = std::move(name);
    layer->accumulates = !isZeros(cast<linalg::LinalgOp>(op).getDpsInits()[0]);
    layers.push_back(std::move(*layer));
  });
  return layers;
}

bool mlir::tern::readLayerWeights(Layer &layer) {
  if (auto matmul = dyn_cast<linalg::MatmulOp>(layer.op)) {
    // K x N in the IR, N x K here.
    std::optional<std::vector<float>> weights =
        readFloats(matmul.getInputs()[1]);
    if (!weights)
      return false;
    layer.weights.resize(layer.rows * layer.cols);
    for (int64_t k = 0; k < layer.cols; ++k)
      for (int64_t n = 0; n < layer.rows; ++n)
        layer.weights[n * layer.cols + k] = (*weights)[k * layer.rows + n];
    return true;
  }
  // A convolution's filters are its rows, in linalg's order.
  std::optional<std::vector<float>> weights =
      readFloats(cast<linalg::LinalgOp>(layer.op).getDpsInputs()[1]);
  if (!weights)
    return false;
  layer.weights = std::move(*weights);
  return true;
}

Value mlir::tern::buildLayer(OpBuilder &b, const Layer &layer,
                             function_ref<Value(OpBuilder &, Value)> products) {
  b.setInsertionPoint(layer.op);
  Value result = layer.outputs(b, products(b, layer.activations(b)));
  if (!layer.accumulates)
    return result;
  Location loc = layer.op->getLoc();
  auto type = cast<RankedTensorType>(result.getType());
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, result), type.getElementType());
  Value accumulator = cast<linalg::LinalgOp>(layer.op).getDpsInits()[0];
  return linalg::AddOp::create(b, loc, ValueRange{result, accumulator},
                               ValueRange{init})
      .getResult(0);
}

Value mlir::tern::buildGroupedLayer(OpBuilder &b, const Layer &layer,
                                    Value weights, Value bias) {
  b.setInsertionPoint(layer.op);
  Value result = layer.convolve(b, weights);
  if (!bias)
    return result;
  // result[n, c, ...] + bias[c]; a grouped result is N x G x F/G x OH x OW,
  // its filter g·F/G + f.
  Location loc = layer.op->getLoc();
  auto type = cast<RankedTensorType>(result.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineExpr channel = getAffineDimExpr(1, ctx);
  if (rank == 5)
    channel = channel * type.getDimSize(2) + getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, channel, ctx),
                                 b.getMultiDimIdentityMap(rank)};
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, result), type.getElementType());
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{result, bias}, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value add = args[1];
               if (add.getType() != args[0].getType())
                 add = arith::TruncFOp::create(nb, l, args[0].getType(), add);
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, args[0], add).getResult());
             })
      .getResult(0);
}

Value mlir::tern::buildFloatProducts(OpBuilder &b, Location loc, Value x,
                                     Value weights, Value bias) {
  Type f32 = b.getF32Type();
  SmallVector<OpFoldResult> shape = {tensor::getMixedSizes(b, loc, x)[0],
                                     tensor::getMixedSizes(b, loc, weights)[1]};
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value empty = tensor::EmptyOp::create(b, loc, shape, f32);
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  Value products =
      linalg::MatmulOp::create(b, loc, ValueRange{x, weights}, ValueRange{init})
          .getResult(0);
  if (!bias)
    return products;
  Value broadcast =
      linalg::BroadcastOp::create(b, loc, bias,
                                  tensor::EmptyOp::create(b, loc, shape, f32),
                                  ArrayRef<int64_t>{0})
          .getResult()[0];
  return linalg::AddOp::create(
             b, loc, ValueRange{products, broadcast},
             ValueRange{tensor::EmptyOp::create(b, loc, shape, f32)})
      .getResult(0);
}

InFlightDiagnostic mlir::tern::emitLayerError(const Layer &layer) {
  InFlightDiagnostic diagnostic =
      layer.op->emitError("tern-ternarize: layer '");
  diagnostic << layer.name << "': ";
  return diagnostic;
}

FailureOr<Value>
mlir::tern::replaceWithTernMatmul(RewriterBase &rewriter, const Layer &layer,
                                  const ::tern::quant::TernaryWeights &weights,
                                  ArrayRef<float> bias, Type codeType,
                                  ::tern::quant::Packing packing,
                                  const ::tern::quant::Rotation *rotation,
                                  const ::tern::quant::Correction *correction) {
  namespace q = ::tern::quant;
  Operation *op = layer.op;
  int64_t n = layer.rows, k = layer.cols;
  assert(weights.rows == n && weights.cols == k && "weights of the layer");
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  std::optional<PackingKind> packingKind = fromQuantPacking(packing);
  if (!packingKind)
    return emitLayerError(layer)
           << "codes cannot be stored as " << q::packingName(packing);
  // Scales and shifts as stored (f16 when the fit rounded them so).
  auto f32 = rewriter.getF32Type();
  FloatType scaleType = weights.scaleBits == 16
                            ? FloatType(rewriter.getF16Type())
                            : FloatType(f32);
  llvm::Expected<TernaryConstants> constants =
      buildTernaryConstants(rewriter, loc, weights, codeType, *packingKind,
                            layer.name + ".codes", scaleType);
  if (!constants)
    return emitLayerError(layer) << llvm::toString(constants.takeError());
  Value codes = constants->codes, scales = constants->scales,
        shifts = constants->shifts, biasValue;
  auto constant = [&](ArrayRef<int64_t> shape, ArrayRef<float> values,
                      FloatType type) {
    return floatConstant(rewriter, loc, shape, values, type);
  };
  if (!bias.empty())
    biasValue = constant({n}, bias, f32);
  if (layer.groups > 1) {
    assert(!rotation && (!correction || correction->empty()) &&
           "grouped layers have no rotation or correction");
    Value weightsValue = DequantizeOp::create(
        rewriter, loc, RankedTensorType::get({n, k}, f32), codes, scales,
        shifts, rewriter.getI64IntegerAttr(weights.groupSize));
    Value replacement =
        buildGroupedLayer(rewriter, layer, weightsValue, biasValue);
    rewriter.replaceOp(op, replacement);
    return replacement;
  }
  Value left, right;
  if (rotation) {
    left = constant({rotation->a, rotation->a}, rotation->left, f32);
    right = constant({rotation->b, rotation->b}, rotation->right, f32);
  }
  Value replacement =
      buildLayer(rewriter, layer, [&](OpBuilder &b, Value x) -> Value {
        int64_t m = cast<RankedTensorType>(x.getType()).getDimSize(0);
        if (rotation)
          x = RotateOp::create(b, loc, x.getType(), x, left, right);
        Value products = mlir::tern::MatmulOp::create(
            b, loc, RankedTensorType::get({m, n}, f32), x, codes, scales,
            shifts, biasValue, b.getI64IntegerAttr(weights.groupSize));
        if (!correction || correction->empty())
          return products;
        return addCorrection(b, loc, x, products, *correction, layer.name);
      });
  rewriter.replaceOp(op, replacement);
  return replacement;
}

Value mlir::tern::gatherColumns(OpBuilder &b, Location loc, Value x,
                                ArrayRef<int64_t> columns) {
  MLIRContext *ctx = b.getContext();
  auto count = int64_t(columns.size());
  Value indices = arith::ConstantOp::create(
      b, loc,
      DenseIntElementsAttr::get(RankedTensorType::get({count}, b.getI64Type()),
                                columns));
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSizes(b, loc, x)[0],
                                     b.getIndexAttr(count)};
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d1}, ctx),
                                 AffineMap::get(2, 0, {d0, d1}, ctx)};
  auto parallel = utils::IteratorType::parallel;
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{indices}, ValueRange{init},
             maps, {parallel, parallel},
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value row = linalg::IndexOp::create(nb, l, 0);
               Value column = arith::IndexCastOp::create(
                   nb, l, nb.getIndexType(), args[0]);
               linalg::YieldOp::create(
                   nb, l,
                   tensor::ExtractOp::create(nb, l, x, ValueRange{row, column})
                       .getResult());
             })
      .getResult(0);
}

Value mlir::tern::addCorrection(OpBuilder &b, Location loc, Value x,
                                Value products,
                                const ::tern::quant::Correction &correction,
                                StringRef name) {
  auto partLoc = [&](StringRef part) {
    return NameLoc::get(b.getStringAttr(name + part), loc);
  };
  SmallVector<Value> terms = {products};
  if (!correction.columns.empty()) {
    Location at = partLoc(kSalientSuffix);
    terms.push_back(
        buildKeptProducts(b, at, gatherColumns(b, at, x, correction.columns),
                          correction.salient, (name + kSalientSuffix).str()));
  }
  if (correction.rank()) {
    Location downLoc = partLoc(kLowRankDownSuffix);
    Value down = buildKeptProducts(b, downLoc, x, correction.down,
                                   (name + kLowRankDownSuffix).str());
    terms.push_back(buildKeptProducts(b, partLoc(kLowRankUpSuffix), down,
                                      correction.up,
                                      (name + kLowRankUpSuffix).str()));
  }
  Value sum = terms[0];
  for (Value term : ArrayRef(terms).drop_front()) {
    Value init = tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, sum), b.getF32Type());
    sum = linalg::AddOp::create(b, loc, ValueRange{sum, term}, ValueRange{init})
              .getResult(0);
  }
  return sum;
}

Value mlir::tern::buildKeptProducts(OpBuilder &b, Location loc, Value x,
                                    const ::tern::quant::KeptWeights &kept,
                                    StringRef name) {
  namespace q = ::tern::quant;
  int64_t n = kept.rows, k = kept.cols;
  bool int8 = kept.format == q::KeptFormat::Int8;
  // K x N, as the matmul reads them.
  std::vector<uint8_t> bytes = kept.bytes(/*transposed=*/true);
  Type elementType = int8 ? Type(b.getI8Type()) : Type(b.getF16Type());
  auto weightsType = RankedTensorType::get({k, n}, elementType);
  Value weights = arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(
          weightsType, (name + (int8 ? ".int8" : ".f16")).str(),
          HeapAsmResourceBlob::allocateAndCopyInferAlign(
              ArrayRef<uint8_t>(bytes))));
  Value products = buildFloatProducts(b, loc, x, weights, nullptr);
  if (!int8)
    return products;
  Value scales =
      floatConstant(b, loc, {n}, kept.scales,
                    kept.scaleBits == 16 ? FloatType(b.getF16Type())
                                         : FloatType(b.getF32Type()));
  // products[m, n] · scales[n]
  MLIRContext *ctx = b.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0, d1}, ctx),
                                 AffineMap::get(2, 0, {d1}, ctx),
                                 AffineMap::get(2, 0, {d0, d1}, ctx)};
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, products), b.getF32Type());
  auto parallel = utils::IteratorType::parallel;
  return linalg::GenericOp::create(
             b, loc, products.getType(), ValueRange{products, scales},
             ValueRange{init}, maps, {parallel, parallel},
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value scale = args[1];
               if (!scale.getType().isF32())
                 scale = arith::ExtFOp::create(nb, l, nb.getF32Type(), scale);
               linalg::YieldOp::create(
                   nb, l,
                   arith::MulFOp::create(nb, l, args[0], scale).getResult());
             })
      .getResult(0);
}

void mlir::tern::replaceWithKeptMatmul(RewriterBase &rewriter,
                                       const Layer &layer,
                                       const ::tern::quant::KeptWeights &kept) {
  if (kept.format == ::tern::quant::KeptFormat::F32)
    return;
  Operation *op = layer.op;
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  Value replacement =
      layer.groups > 1
          ? buildGroupedLayer(rewriter, layer,
                              buildKeptWeights(rewriter, loc, kept, layer.name),
                              nullptr)
          : buildLayer(rewriter, layer, [&](OpBuilder &b, Value x) -> Value {
              return buildKeptProducts(b, loc, x, kept, layer.name);
            });
  rewriter.replaceOp(op, replacement);
}

std::vector<Table>
mlir::tern::findTables(ModuleOp module,
                       llvm::function_ref<bool(StringRef)> select) {
  std::vector<Table> tables;
  llvm::DenseMap<Value, size_t> index;
  module.walk([&](tensor::ExtractOp read) {
    Value constant = read.getTensor();
    if (!isFloatConstant(constant) ||
        !cast<RankedTensorType>(constant.getType()).getElementType().isF32() ||
        cast<RankedTensorType>(constant.getType()).getRank() != 2 ||
        !read->getParentOfType<linalg::GenericOp>())
      return;
    auto [it, inserted] = index.try_emplace(constant, tables.size());
    if (inserted) {
      auto type = cast<RankedTensorType>(constant.getType());
      Table table;
      table.constant = constant;
      table.name = layerNameAt(read.getLoc());
      table.rows = type.getDimSize(0);
      table.cols = type.getDimSize(1);
      tables.push_back(std::move(table));
    }
    tables[it->second].reads.push_back(read);
  });
  // Only tables every use of which is such a read, and that are selected.
  std::vector<Table> result;
  for (Table &table : tables)
    if (!table.name.empty() && select(table.name) &&
        llvm::all_of(table.constant.getUsers(), [](Operation *user) {
          return isa<tensor::ExtractOp>(user) &&
                 user->getParentOfType<linalg::GenericOp>();
        }))
      result.push_back(std::move(table));
  return result;
}

std::optional<std::vector<float>> mlir::tern::readTable(const Table &table) {
  return readFloats(table.constant);
}

void mlir::tern::replaceTable(RewriterBase &rewriter, const Table &table,
                              const ::tern::quant::KeptWeights &kept) {
  namespace q = ::tern::quant;
  if (kept.format == q::KeptFormat::F32)
    return;
  bool int8 = kept.format == q::KeptFormat::Int8;
  int64_t rows = kept.rows, cols = kept.cols;
  // Row-major, as the table is read.
  std::vector<uint8_t> bytes = kept.bytes(/*transposed=*/false);
  Operation *constantOp = table.constant.getDefiningOp();
  Location loc = constantOp->getLoc();
  rewriter.setInsertionPoint(constantOp);
  Type elementType =
      int8 ? Type(rewriter.getI8Type()) : Type(rewriter.getF16Type());
  Value stored = arith::ConstantOp::create(
      rewriter, loc,
      DenseResourceElementsAttr::get(
          RankedTensorType::get({rows, cols}, elementType),
          table.name + (int8 ? ".int8" : ".f16"),
          HeapAsmResourceBlob::allocateAndCopyInferAlign(
              ArrayRef<uint8_t>(bytes))));
  Value scales;
  if (int8)
    scales =
        floatConstant(rewriter, loc, {rows}, kept.scales,
                      kept.scaleBits == 16 ? FloatType(rewriter.getF16Type())
                                           : FloatType(rewriter.getF32Type()));
  Type f32 = rewriter.getF32Type();
  for (tensor::ExtractOp read : table.reads) {
    rewriter.setInsertionPoint(read);
    Location at = read.getLoc();
    Value value =
        tensor::ExtractOp::create(rewriter, at, stored, read.getIndices());
    if (!int8) {
      rewriter.replaceOp(read, arith::ExtFOp::create(rewriter, at, f32, value));
      continue;
    }
    Value code = arith::SIToFPOp::create(rewriter, at, f32, value);
    Value scale = tensor::ExtractOp::create(rewriter, at, scales,
                                            ValueRange{read.getIndices()[0]});
    if (!scale.getType().isF32())
      scale = arith::ExtFOp::create(rewriter, at, f32, scale);
    rewriter.replaceOp(read, arith::MulFOp::create(rewriter, at, code, scale));
  }
}
