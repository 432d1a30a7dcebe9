//===- KeptLayers.cpp - layers kept out of the ternary set ----------------===//
//
// This file implements recognizing and reading back the int8 and f16
// layers tern-ternarize keeps out of the ternary set.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Utils/KeptLayers.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
  if (!type.getElementType().isInteger(8) || !op->hasOneUse())
    return std::nullopt;
  auto scaling = dyn_cast<linalg::GenericOp>(*op->getUsers().begin());
  if (!scaling || scaling.getNumDpsInputs() != 2 ||
      scaling.getDpsInputs()[0] != op->getResult(0))
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

FailureOr<::tern::quant::KeptWeights>
mlir::tern::readKeptWeights(KeptLayer layer) {
  namespace q = ::tern::quant;
  auto type = cast<RankedTensorType>(layer.weights.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  bool int8 = type.getElementType().isInteger(8);
  auto fail = [&] {
    return layer.matmul.emitError("kept layer '")
           << layerNameAt(layer.matmul.getLoc())
           << "': its weights or scales cannot be read (an elided constant?)";
  };
  // The K x N elements' bytes, little-endian as the blob holds them.
  Attribute value =
      layer.weights.getDefiningOp<arith::ConstantOp>().getValue();
  size_t elementBytes = int8 ? 1 : 2;
  ArrayRef<char> bytes;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return fail();
    bytes = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value);
             dense && !dense.isSplat()) {
    bytes = dense.getRawData();
  }
  if (bytes.size() != size_t(k * n) * elementBytes)
    return fail();
  q::KeptWeights kept;
  kept.format = int8 ? q::KeptFormat::Int8 : q::KeptFormat::F16;
  kept.rows = n;
  kept.cols = k;
  if (int8) {
    kept.codes.resize(n * k);
    for (int64_t c = 0; c < k; ++c)
      for (int64_t r = 0; r < n; ++r)
        kept.codes[r * k + c] = static_cast<int8_t>(bytes[c * n + r]);
    DenseElementsAttr scales;
    if (!matchPattern(layer.scales, m_Constant(&scales)))
      return fail();
    kept.scaleBits = scales.getElementType().isF16() ? 16 : 32;
    for (APFloat scale : scales.getValues<APFloat>()) {
      bool losesInfo = false;
      scale.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      kept.scales.push_back(scale.convertToFloat());
    }
    return kept;
  }
  kept.values.resize(n * k);
  for (int64_t c = 0; c < k; ++c)
    for (int64_t r = 0; r < n; ++r) {
      uint16_t half;
      std::memcpy(&half, &bytes[2 * (c * n + r)], 2);
      APFloat element(APFloat::IEEEhalf(), APInt(16, half));
      bool losesInfo = false;
      element.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                      &losesInfo);
      kept.values[r * k + c] = element.convertToFloat();
    }
  return kept;
}
