//===- KeptLayers.cpp - layers kept out of the ternary set ----------------===//
//
// This file implements recognizing and reading back the int8 and f16
// layers tern-ternarize keeps out of the ternary set.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Utils/KeptLayers.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// An M x K f32 matrix whose K is static.
bool isRowsF32(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32() && tensor.getRank() == 2 &&
         !tensor.isDynamicDim(1);
}

/// The one user of `op`'s results other than tensor.dim (the size queries
/// of a result with dynamic sizes), or null if there is not exactly one.
Operation *soleUser(Operation *op) {
  Operation *sole = nullptr;
  for (Operation *user : op->getUsers()) {
    if (isa<tensor::DimOp>(user))
      continue;
    if (sole && sole != user)
      return nullptr;
    sole = user;
  }
  return sole;
}

/// Whether `scaling` computes out[m, n] = in[m, n] · scale[n] (the scale
/// widened to f32 if it is not): what replaceWithKeptMatmul builds, and
/// nothing else that reads a product and a vector, such as a bias.
bool scalesColumns(linalg::GenericOp scaling) {
  MLIRContext *ctx = scaling.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0, d1}, ctx),
                                 AffineMap::get(2, 0, {d1}, ctx),
                                 AffineMap::get(2, 0, {d0, d1}, ctx)};
  if (scaling.getNumDpsInits() != 1 ||
      scaling.getIndexingMapsArray() != ArrayRef<AffineMap>(maps) ||
      scaling.getNumParallelLoops() != 2)
    return false;
  Block *body = scaling.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto product = yield.getNumOperands() == 1
                     ? yield.getOperand(0).getDefiningOp<arith::MulFOp>()
                     : arith::MulFOp();
  if (!product)
    return false;
  Value in = body->getArgument(0), scale = body->getArgument(1);
  auto isScale = [&](Value value) {
    if (auto widened = value.getDefiningOp<arith::ExtFOp>())
      value = widened.getIn();
    return value == scale;
  };
  return (product.getLhs() == in && isScale(product.getRhs())) ||
         (product.getRhs() == in && isScale(product.getLhs()));
}

} // namespace

std::optional<KeptLayer> mlir::tern::matchKeptLayer(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps() ||
      !isRowsF32(op.getInputs()[0].getType()))
    return std::nullopt;
  Value weights = op.getInputs()[1];
  auto type = dyn_cast<RankedTensorType>(weights.getType());
  if (!weights.getDefiningOp<arith::ConstantOp>() || !type ||
      !type.hasStaticShape() || type.getRank() != 2)
    return std::nullopt;
  KeptLayer kept;
  kept.matmul = op;
  kept.weights = weights;
  if (type.getElementType().isF16())
    return kept;
  if (!type.getElementType().isInteger(8))
    return std::nullopt;
  // The products' one user (besides size queries) scales them.
  auto scaling = dyn_cast_or_null<linalg::GenericOp>(soleUser(op));
  if (!scaling || scaling.getNumDpsInputs() != 2 ||
      scaling.getDpsInputs()[0] != op->getResult(0) || !scalesColumns(scaling))
    return std::nullopt;
  Value scales = scaling.getDpsInputs()[1];
  auto scalesType = dyn_cast<RankedTensorType>(scales.getType());
  if (!scales.getDefiningOp<arith::ConstantOp>() || !scalesType ||
      scalesType.getRank() != 1 ||
      scalesType.getDimSize(0) != type.getDimSize(1))
    return std::nullopt;
  kept.scales = scales;
  kept.scaling = scaling;
  return kept;
}

std::optional<SmallVector<int64_t>>
mlir::tern::readGatheredColumns(linalg::MatmulOp op) {
  auto gather = op.getInputs()[0].getDefiningOp<linalg::GenericOp>();
  if (!gather || gather.getNumDpsInputs() != 1)
    return std::nullopt;
  DenseIntElementsAttr indices;
  if (!matchPattern(gather.getDpsInputs()[0], m_Constant(&indices)) ||
      !indices.getElementType().isInteger(64))
    return std::nullopt;
  SmallVector<int64_t> columns;
  for (const APInt &index : indices.getValues<APInt>())
    columns.push_back(index.getSExtValue());
  return columns;
}

namespace {

/// The weights stored in `stored` (i8 or f16, 2-D) and, for i8, `scales`,
/// as rows x cols KeptWeights: the constant is rows x cols, or cols x rows
/// when `transposed`. Fails if a constant cannot be read.
FailureOr<::tern::quant::KeptWeights> readStored(Value stored, Value scales,
                                                 bool transposed) {
  namespace q = ::tern::quant;
  auto type = cast<RankedTensorType>(stored.getType());
  int64_t rows = type.getDimSize(transposed ? 1 : 0);
  int64_t cols = type.getDimSize(transposed ? 0 : 1);
  bool int8 = type.getElementType().isInteger(8);
  // The elements' bytes, little-endian as the blob holds them.
  Attribute value = stored.getDefiningOp<arith::ConstantOp>().getValue();
  ArrayRef<char> bytes;
  std::vector<char> splat;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    bytes = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    bytes = dense.getRawData();
    if (dense.isSplat()) {
      // One element's bytes, for every element.
      for (int64_t i = 0; i < rows * cols; ++i)
        splat.insert(splat.end(), bytes.begin(), bytes.end());
      bytes = splat;
    }
  }
  if (bytes.size() != size_t(rows * cols) * (int8 ? 1 : 2))
    return failure();
  q::KeptWeights kept;
  kept.format = int8 ? q::KeptFormat::Int8 : q::KeptFormat::F16;
  kept.rows = rows;
  kept.cols = cols;
  auto at = [&](int64_t r, int64_t c) {
    return transposed ? c * rows + r : r * cols + c;
  };
  if (int8) {
    kept.codes.resize(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        kept.codes[r * cols + c] = static_cast<int8_t>(bytes[at(r, c)]);
    DenseElementsAttr attr;
    if (!matchPattern(scales, m_Constant(&attr)))
      return failure();
    kept.scaleBits = attr.getElementType().isF16() ? 16 : 32;
    for (APFloat scale : attr.getValues<APFloat>()) {
      bool losesInfo = false;
      scale.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      kept.scales.push_back(scale.convertToFloat());
    }
    return kept;
  }
  kept.values.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      uint16_t half;
      std::memcpy(&half, &bytes[2 * at(r, c)], 2);
      APFloat element(APFloat::IEEEhalf(), APInt(16, half));
      bool losesInfo = false;
      element.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                      &losesInfo);
      kept.values[r * cols + c] = element.convertToFloat();
    }
  return kept;
}

/// The 1-D constant that a read's value is multiplied by, read at the same
/// row: arith.mulf(sitofp(read), [extf](tensor.extract scales[row])).
Value scalesOfRead(tensor::ExtractOp read) {
  if (!read->hasOneUse())
    return {};
  auto widen = dyn_cast<arith::SIToFPOp>(*read->getUsers().begin());
  if (!widen || !widen->hasOneUse())
    return {};
  auto mul = dyn_cast<arith::MulFOp>(*widen->getUsers().begin());
  if (!mul)
    return {};
  Value other = mul.getLhs() == widen.getResult() ? mul.getRhs() : mul.getLhs();
  if (auto ext = other.getDefiningOp<arith::ExtFOp>())
    other = ext.getIn();
  auto scale = other.getDefiningOp<tensor::ExtractOp>();
  if (!scale || scale.getIndices().size() != 1 ||
      scale.getIndices()[0] != read.getIndices()[0] ||
      !scale.getTensor().getDefiningOp<arith::ConstantOp>())
    return {};
  return scale.getTensor();
}

} // namespace

FailureOr<::tern::quant::KeptWeights>
mlir::tern::readKeptWeights(KeptLayer layer) {
  FailureOr<::tern::quant::KeptWeights> kept =
      readStored(layer.weights, layer.scales, /*transposed=*/true);
  if (failed(kept))
    return layer.matmul.emitError("kept layer '")
           << layerNameAt(layer.matmul.getLoc())
           << "': its weights or scales cannot be read (an elided constant?)";
  return kept;
}

std::optional<GroupedLayer> mlir::tern::matchGroupedLayer(linalg::LinalgOp op) {
  if (!isa<linalg::DepthwiseConv2DNchwChwOp, linalg::Conv2DNgchwGfchwOp>(
          op.getOperation()) ||
      !op.hasPureTensorSemantics())
    return std::nullopt;
  GroupedLayer layer;
  layer.convolution = op;
  auto isConstant = [](Value value, int64_t rank) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    return value.getDefiningOp<arith::ConstantOp>() && type &&
           type.hasStaticShape() && type.getRank() == rank;
  };
  // Back from the filter through reshapes and element conversions.
  Value filter = op.getDpsInputs()[1];
  while (true) {
    if (auto expand = filter.getDefiningOp<tensor::ExpandShapeOp>()) {
      filter = expand.getSrc();
      continue;
    }
    if (auto dequantize = filter.getDefiningOp<DequantizeOp>()) {
      layer.ternary = dequantize;
      break;
    }
    auto elementwise = filter.getDefiningOp<linalg::LinalgOp>();
    if (!elementwise || elementwise.getNumDpsInits() != 1 ||
        elementwise.getNumLoops() != elementwise.getNumParallelLoops())
      return std::nullopt;
    SmallVector<Value> inputs = elementwise.getDpsInputs();
    if (inputs.size() == 2 && isConstant(inputs[0], 2) &&
        isConstant(inputs[1], 1) &&
        cast<RankedTensorType>(inputs[0].getType())
            .getElementType()
            .isInteger(8)) {
      layer.weights = inputs[0];
      layer.scales = inputs[1];
      break;
    }
    if (inputs.size() != 1)
      return std::nullopt;
    if (isConstant(inputs[0], 2) &&
        cast<RankedTensorType>(inputs[0].getType()).getElementType().isF16()) {
      layer.weights = inputs[0];
      break;
    }
    filter = inputs[0];
  }
  // The bias: the only user of the result adds a constant per channel.
  if (auto add = dyn_cast_or_null<linalg::GenericOp>(soleUser(op));
      add && add.getNumDpsInputs() == 2 &&
      add.getDpsInputs()[0] == op->getResult(0) &&
      isConstant(add.getDpsInputs()[1], 1))
    layer.bias = add.getDpsInputs()[1];
  return layer;
}

FailureOr<::tern::quant::KeptWeights>
mlir::tern::readKeptWeights(const GroupedLayer &layer) {
  FailureOr<::tern::quant::KeptWeights> kept =
      readStored(layer.weights, layer.scales, /*transposed=*/false);
  if (failed(kept))
    return layer.convolution->emitError("kept layer '")
           << layerNameAt(layer.convolution->getLoc())
           << "': its weights or scales cannot be read (an elided constant?)";
  return kept;
}

std::optional<KeptTable> mlir::tern::matchKeptTable(arith::ConstantOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!type || !type.hasStaticShape() || type.getRank() != 2 ||
      !(type.getElementType().isInteger(8) || type.getElementType().isF16()) ||
      op->use_empty())
    return std::nullopt;
  KeptTable table;
  table.table = op.getResult();
  for (Operation *user : op->getUsers()) {
    auto read = dyn_cast<tensor::ExtractOp>(user);
    if (!read || !read->getParentOfType<linalg::GenericOp>())
      return std::nullopt;
    if (table.name.empty())
      table.name = layerNameAt(read.getLoc());
    if (!type.getElementType().isInteger(8))
      continue;
    Value scales = scalesOfRead(read);
    if (!scales || (table.scales && table.scales != scales))
      return std::nullopt;
    table.scales = scales;
  }
  if (table.name.empty())
    return std::nullopt;
  return table;
}

FailureOr<::tern::quant::KeptWeights>
mlir::tern::readKeptTable(KeptTable table) {
  FailureOr<::tern::quant::KeptWeights> kept =
      readStored(table.table, table.scales, /*transposed=*/false);
  if (failed(kept))
    return mlir::emitError(table.table.getLoc(), "kept table '")
           << table.name
           << "': its values or scales cannot be read (an elided constant?)";
  return kept;
}
