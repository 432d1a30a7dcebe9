//===- Utils.cpp - what tern's lowerings share ----------------------------===//
//
// This file implements the helpers of tern's lowerings.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Utils/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "tern/Dialect/Tern/IR/TernOps.h"

using namespace mlir;

Value mlir::tern::castFloat(OpBuilder &b, Location loc, Value value,
                            FloatType type) {
  auto from = cast<FloatType>(value.getType());
  if (from == type)
    return value;
  if (from.getWidth() < type.getWidth())
    return arith::ExtFOp::create(b, loc, type, value);
  if (from.getWidth() > type.getWidth())
    return arith::TruncFOp::create(b, loc, type, value);
  // Same width, different format (f16 and bf16): go through f32.
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, type, wide);
}

Value mlir::tern::floatConstant(OpBuilder &b, Location loc,
                                ArrayRef<int64_t> shape, ArrayRef<float> values,
                                FloatType type) {
  auto tensorType = RankedTensorType::get(shape, type);
  if (type.isF32())
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tensorType, values));
  SmallVector<APFloat> converted;
  converted.reserve(values.size());
  for (float value : values) {
    bool losesInfo = false;
    APFloat element(value);
    element.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
    converted.push_back(element);
  }
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tensorType, converted));
}

llvm::Expected<mlir::tern::TernaryConstants>
mlir::tern::buildTernaryConstants(OpBuilder &b, Location loc,
                                  const ::tern::quant::TernaryWeights &weights,
                                  Type codeType, PackingKind packing,
                                  StringRef blobName, FloatType scaleType) {
  namespace q = ::tern::quant;
  int64_t n = weights.rows, k = weights.cols;
  q::Packing quantPacking = toQuantPacking(packing);
  std::vector<uint8_t> bytes(
      q::packedBytes(quantPacking, weights.planes * n, k));
  if (llvm::Error error = q::pack(quantPacking, weights.codes.data(),
                                  weights.planes * n, k, bytes.data()))
    return std::move(error);
  SmallVector<int64_t> codesShape = {n, k};
  SmallVector<int64_t> scalesShape = {n, weights.groups()};
  if (weights.planes > 1) {
    codesShape.insert(codesShape.begin(), weights.planes);
    scalesShape.insert(scalesShape.begin(), weights.planes);
  }
  mlir::tern::TernaryConstants result;
  result.codes =
      ConstantOp::create(b, loc, RankedTensorType::get(codesShape, codeType),
                         packing, blobName, bytes);
  result.scales = floatConstant(b, loc, scalesShape, weights.scales, scaleType);
  if (!weights.shifts.empty())
    result.shifts =
        floatConstant(b, loc, {n, weights.groups()}, weights.shifts, scaleType);
  return result;
}
