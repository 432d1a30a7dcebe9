//===- TernOps.cpp - tern operations --------------------------------------===//
//
// This file implements the verifiers and builders of the tern operations.
// Every shape, group and element-type rule lives here, so passes can rely on
// them without checking again.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::tern;

//===----------------------------------------------------------------------===//
// Shared verification
//===----------------------------------------------------------------------===//

/// Prints a shape the way tensor types do: 4x?x8.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << '?';
        else
          os << dim;
      },
      "x");
  return result;
}

GroupedLayout GroupedLayout::get(RankedTensorType codes, int64_t groupSize) {
  ArrayRef<int64_t> shape = codes.getShape();
  bool hasPlanes = shape.size() == 3;
  GroupedLayout layout;
  layout.planes = hasPlanes ? shape[0] : 1;
  layout.rows = shape[shape.size() - 2];
  layout.k = shape.back();
  layout.groupSize = groupSize == 0 ? layout.k : groupSize;
  layout.groups = layout.groupSize == 0 ? 0 : layout.k / layout.groupSize;
  return layout;
}

/// Checks the codes/scales/shifts structure shared by quantize, dequantize
/// and matmul. `codesName` says what the codes are to the user.
static LogicalResult verifyGrouped(Operation *op, StringRef codesName,
                                   RankedTensorType codes,
                                   RankedTensorType scales,
                                   RankedTensorType shifts, int64_t groupSize,
                                   bool allowPlanes) {
  if (groupSize < 0)
    return op->emitOpError("expects group_size >= 0 (0 means one group per "
                           "row), got ")
           << groupSize;
  int64_t rank = codes.getRank();
  if (rank != 2 && !(allowPlanes && rank == 3)) {
    if (allowPlanes)
      return op->emitOpError("expects ")
             << codesName << " of rank 2 (N x K) or 3 (P x N x K), got "
             << codes;
    return op->emitOpError("expects ")
           << codesName << " of rank 2 (N x K): it holds a single plane, got "
           << codes;
  }
  if (!codes.hasStaticShape())
    return op->emitOpError("expects ")
           << codesName << " with a static shape, got " << codes;
  GroupedLayout layout = GroupedLayout::get(codes, groupSize);
  if (layout.planes < 1)
    return op->emitOpError("expects at least one trit plane, got ") << codes;
  if (layout.k < 1)
    return op->emitOpError("expects a non-empty reduction dimension K, got ")
           << codes;
  if (layout.k % layout.groupSize != 0)
    return op->emitOpError("group_size ")
           << groupSize << " does not divide K = " << layout.k;

  SmallVector<int64_t> expectedScales = {layout.rows, layout.groups};
  StringRef scalesLegend = "N x groups";
  if (rank == 3) {
    expectedScales.insert(expectedScales.begin(), layout.planes);
    scalesLegend = "P x N x groups";
  }
  if (scales.getShape() != ArrayRef<int64_t>(expectedScales))
    return op->emitOpError("expects scales of shape ")
           << formatShape(expectedScales) << " (" << scalesLegend << "), got "
           << formatShape(scales.getShape());

  SmallVector<int64_t> expectedShifts = {layout.rows, layout.groups};
  if (shifts && shifts.getShape() != ArrayRef<int64_t>(expectedShifts))
    return op->emitOpError("expects shifts of shape ")
           << formatShape(expectedShifts) << " (N x groups), got "
           << formatShape(shifts.getShape());
  return success();
}

static RankedTensorType typeOrNull(Value value) {
  return value ? cast<RankedTensorType>(value.getType()) : RankedTensorType();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  RankedTensorType codes = getResult().getType();
  if (failed(verifyGrouped(*this, "a result", codes, getScales().getType(),
                           typeOrNull(getShifts()), getGroupSize(),
                           /*allowPlanes=*/false)))
    return failure();
  if (getInput().getType().getShape() != codes.getShape())
    return emitOpError("expects the input shape ")
           << formatShape(getInput().getType().getShape())
           << " to match the result shape " << formatShape(codes.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  RankedTensorType codes = getInput().getType();
  if (failed(verifyGrouped(*this, "codes", codes, getScales().getType(),
                           typeOrNull(getShifts()), getGroupSize(),
                           /*allowPlanes=*/true)))
    return failure();
  GroupedLayout layout = getLayout();
  SmallVector<int64_t> expected = {layout.rows, layout.k};
  if (getResult().getType().getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("expects a result of shape ")
           << formatShape(expected) << " (N x K), got "
           << formatShape(getResult().getType().getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  RankedTensorType weights = getWeights().getType();
  if (failed(verifyGrouped(*this, "weights", weights, getScales().getType(),
                           typeOrNull(getShifts()), getGroupSize(),
                           /*allowPlanes=*/true)))
    return failure();
  GroupedLayout layout = getLayout();

  RankedTensorType input = getInput().getType();
  if (input.getRank() != 2)
    return emitOpError("expects activations of rank 2 (M x K), got ") << input;
  int64_t inputK = input.getDimSize(1);
  if (!ShapedType::isDynamic(inputK) && inputK != layout.k)
    return emitOpError("expects activations with K = ")
           << layout.k << " (the weights' K), got " << inputK;

  Type elementType = input.getElementType();
  RankedTensorType result = getResult().getType();
  SmallVector<int64_t> expected = {input.getDimSize(0), layout.rows};
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("expects a result of shape ")
           << formatShape(expected) << " (M x N), got "
           << formatShape(result.getShape());
  if (result.getElementType() != elementType)
    return emitOpError("expects a result of element type ")
           << elementType << " (the activations'), got "
           << result.getElementType();

  if (RankedTensorType bias = typeOrNull(getBias())) {
    if (bias.getShape() != ArrayRef<int64_t>(layout.rows))
      return emitOpError("expects a bias of shape ")
             << layout.rows << " (N), got " << formatShape(bias.getShape());
    if (bias.getElementType() != elementType)
      return emitOpError("expects a bias of element type ")
             << elementType << " (the activations'), got "
             << bias.getElementType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// RotateOp
//===----------------------------------------------------------------------===//

LogicalResult RotateOp::verify() {
  RankedTensorType input = getInput().getType();
  if (input.getRank() != 2)
    return emitOpError("expects activations of rank 2 (M x K), got ") << input;
  int64_t k = input.getDimSize(1);
  if (ShapedType::isDynamic(k))
    return emitOpError("expects activations with a static K, got ") << input;
  int64_t size[2];
  Value factors[2] = {getLeft(), getRight()};
  for (auto [index, factor] : llvm::enumerate(factors)) {
    auto type = cast<RankedTensorType>(factor.getType());
    StringRef name = index == 0 ? "left" : "right";
    if (type.getRank() != 2 || !type.hasStaticShape() ||
        type.getDimSize(0) != type.getDimSize(1))
      return emitOpError("expects a square static ")
             << name << " matrix, got " << type;
    if (type.getElementType() != input.getElementType())
      return emitOpError("expects a ")
             << name << " matrix of element type " << input.getElementType()
             << " (the activations'), got " << type.getElementType();
    size[index] = type.getDimSize(0);
  }
  if (size[0] * size[1] != k)
    return emitOpError("expects the matrices' sizes to multiply to K = ")
           << k << ", got " << size[0] << " x " << size[1];
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

void ConstantOp::build(OpBuilder &builder, OperationState &state,
                       RankedTensorType type, PackingKind packing,
                       StringRef blobName, ArrayRef<uint8_t> bytes) {
  auto byteType = RankedTensorType::get({static_cast<int64_t>(bytes.size())},
                                        builder.getIntegerType(8));
  auto value = DenseResourceElementsAttr::get(
      byteType, blobName,
      HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes));
  build(builder, state, type,
        PackingKindAttr::get(builder.getContext(), packing), value);
}

LogicalResult ConstantOp::verify() {
  auto value = dyn_cast<DenseResourceElementsAttr>(getValue());
  if (!value)
    return emitOpError("expects its value to be a dense_resource blob of "
                       "packed bytes, not an inline literal");
  auto byteType = cast<ShapedType>(value.getType());
  if (byteType.getRank() != 1 || !byteType.getElementType().isInteger(8))
    return emitOpError("expects packed bytes as a rank-1 tensor of i8 or ui8, "
                       "got ")
           << byteType;

  RankedTensorType result = getResult().getType();
  if (result.getRank() < 1 || !result.hasStaticShape())
    return emitOpError("expects a result of rank >= 1 with a static shape, "
                       "got ")
           << result;
  PackingKindAttr packing = getPackingAttr();
  if (!packing.canHold(result.getElementType()))
    return emitOpError() << packing << " cannot hold the signed zeros of "
                         << result.getElementType()
                         << "; use #tern.packing<sign_magnitude>";

  int64_t expected = packing.getPackedBytes(result.getShape());
  if (expected < 0)
    return emitOpError("has a result too large to pack: ") << result;
  if (byteType.getDimSize(0) != expected)
    return emitOpError("expects ")
           << expected << " packed bytes for " << result << " in " << packing
           << ", got " << byteType.getDimSize(0);

  if (AsmResourceBlob *blob = value.getRawHandle().getBlob()) {
    if (static_cast<int64_t>(blob->getData().size()) != expected)
      return emitOpError("expects the blob '")
             << value.getRawHandle().getKey() << "' to hold " << expected
             << " bytes, it holds " << blob->getData().size();
  }
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) {
  return PackedCodesAttr::get(getContext(), getResult().getType(),
                              getPackingAttr(), getValue());
}

LogicalResult ConstantOp::verifyContents() { return unpackBlob(nullptr); }

LogicalResult ConstantOp::readCodes(std::vector<uint8_t> &codes) {
  codes.resize(getResult().getType().getNumElements());
  return unpackBlob(codes.data());
}

LogicalResult ConstantOp::unpackBlob(uint8_t *codes) {
  auto value = cast<DenseResourceElementsAttr>(getValue());
  AsmResourceBlob *blob = value.getRawHandle().getBlob();
  if (!blob)
    return emitOpError("has no data for blob '")
           << value.getRawHandle().getKey() << "' (was it elided?)";
  RankedTensorType result = getResult().getType();
  int64_t k = result.getShape().back();
  int64_t rows = k == 0 ? 0 : result.getNumElements() / k;
  auto alphabet = isa<SZTType>(result.getElementType())
                      ? ::tern::quant::Alphabet::SZT
                      : ::tern::quant::Alphabet::Trit;
  ArrayRef<char> data = blob->getData();
  if (llvm::Error error = ::tern::quant::unpack(
          toQuantPacking(getPacking()), alphabet,
          reinterpret_cast<const uint8_t *>(data.data()), rows, k, codes))
    return emitOpError("has invalid packed data in blob '")
           << value.getRawHandle().getKey()
           << "': " << llvm::toString(std::move(error));
  return success();
}

/// The values of a constant operand of f32, f16 or bf16, as floats (exact),
/// or nothing.
static std::optional<std::vector<float>> constantFloats(Value value) {
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  Type type = attr.getElementType();
  if (type.isF32()) {
    auto values = attr.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (!type.isF16() && !type.isBF16())
    return std::nullopt;
  std::vector<float> values;
  for (APFloat element : attr.getValues<APFloat>()) {
    bool losesInfo = false;
    element.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
    values.push_back(element.convertToFloat());
  }
  return values;
}

bool mlir::tern::hasConstantWeights(MatmulOp op) {
  auto isConstant = [](Value value) {
    return !value || matchPattern(value, m_Constant());
  };
  return op.getWeights().getDefiningOp<ConstantOp>() &&
         constantFloats(op.getScales()) && isConstant(op.getShifts()) &&
         isConstant(op.getBias());
}

/// The weights of a tern.matmul or tern.dequantize `op` from its codes,
/// scales, shifts and bias (null when it has none).
static FailureOr<MatmulWeights>
readWeightsOf(Operation *op, TypedValue<RankedTensorType> codes,
              TypedValue<RankedTensorType> scalesValue,
              TypedValue<RankedTensorType> shiftsValue, Value biasValue,
              int64_t groupSize) {
  auto constant = codes.getDefiningOp<ConstantOp>();
  std::optional<std::vector<float>> scales = constantFloats(scalesValue);
  std::optional<std::vector<float>> shifts = constantFloats(shiftsValue);
  std::optional<std::vector<float>> bias = constantFloats(biasValue);
  if (!constant || !scales || (shiftsValue && !shifts) || (biasValue && !bias))
    return op->emitOpError("has codes, scales, shifts or bias that are not "
                           "float constants: its weights cannot be read");
  ArrayRef<int64_t> shape = constant.getResult().getType().getShape();
  int64_t planes = shape.size() == 3 ? shape[0] : 1;
  MatmulWeights result{
      ::tern::quant::TernaryWeights(planes, shape[shape.size() - 2],
                                    shape.back(), groupSize,
                                    /*withShifts=*/shifts.has_value()),
      bias ? std::move(*bias) : std::vector<float>()};
  // readCodes reports a blob that does not unpack at the tern.constant.
  if (failed(constant.readCodes(result.weights.codes)))
    return failure();
  result.weights.scales = std::move(*scales);
  if (shifts)
    result.weights.shifts = std::move(*shifts);
  // 16 for f16 (what replaceWithTernMatmul writes back as f16); bf16 or f32
  // scales are read back as f32, which holds either exactly.
  result.weights.scaleBits =
      scalesValue.getType().getElementType().isF16() &&
              (!shiftsValue || shiftsValue.getType().getElementType().isF16())
          ? 16
          : 32;
  return result;
}

FailureOr<MatmulWeights> mlir::tern::readConstantWeights(MatmulOp op) {
  return readWeightsOf(op, op.getWeights(), op.getScales(), op.getShifts(),
                       op.getBias(), op.getGroupSize());
}

bool mlir::tern::hasConstantWeights(DequantizeOp op) {
  return op.getInput().getDefiningOp<ConstantOp>() &&
         constantFloats(op.getScales()) &&
         (!op.getShifts() || matchPattern(op.getShifts(), m_Constant()));
}

FailureOr<MatmulWeights> mlir::tern::readConstantWeights(DequantizeOp op) {
  return readWeightsOf(op, op.getInput(), op.getScales(), op.getShifts(),
                       Value(), op.getGroupSize());
}

std::optional<::tern::quant::Rotation>
mlir::tern::readConstantRotation(RotateOp op) {
  std::optional<std::vector<float>> left = constantFloats(op.getLeft());
  std::optional<std::vector<float>> right = constantFloats(op.getRight());
  if (!left || !right)
    return std::nullopt;
  ::tern::quant::Rotation rotation;
  rotation.a = op.getLeft().getType().getDimSize(0);
  rotation.b = op.getRight().getType().getDimSize(0);
  rotation.left = std::move(*left);
  rotation.right = std::move(*right);
  return rotation;
}

#define GET_OP_CLASSES
#include "tern/Dialect/Tern/IR/TernOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Dot4Op
//===----------------------------------------------------------------------===//

LogicalResult Dot4Op::verify() {
  int64_t bytes = getLhs().getType().getNumElements();
  int64_t lanes = getAcc().getType().getNumElements();
  if (bytes != 4 * lanes)
    return emitOpError("needs 4 bytes per i32 lane: ")
           << bytes << " bytes for " << lanes << " lanes";
  if (getInstruction() != DotInstruction::Generic && lanes != 8 && lanes != 16)
    return emitOpError("with ")
           << stringifyDotInstruction(getInstruction())
           << " needs 8 or 16 lanes (a 256-bit or 512-bit register), got "
           << lanes;
  return success();
}

//===----------------------------------------------------------------------===//
// DecodeSherryOp
//===----------------------------------------------------------------------===//

LogicalResult DecodeSherryOp::verify() {
  int64_t lanes = getFields().getType().getNumElements();
  int64_t bytes = getCodes().getType().getNumElements();
  if (bytes != 4 * lanes)
    return emitOpError("needs 4 bytes per i32 lane: ")
           << bytes << " bytes for " << lanes << " lanes";
  if (getInstruction() == LookupInstruction::Vpermi2b ||
      getInstruction() == LookupInstruction::Vpshufb ||
      getInstruction() == LookupInstruction::Vpermw)
    return emitOpError("cannot be ")
           << stringifyLookupInstruction(getInstruction())
           << ", which looks up bytes or i16 (its fields name i32 words): "
              "vpermi2d or generic";
  if (getInstruction() == LookupInstruction::Vpermi2d && lanes != 16)
    return emitOpError("with vpermi2d needs 16 lanes (a 512-bit register), "
                       "got ")
           << lanes;
  return success();
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

LogicalResult LookupOp::verify() {
  int64_t lanes = getTable().getType().getNumElements();
  if (!llvm::isPowerOf2_64(lanes))
    return emitOpError("needs a power of 2 lanes, got ") << lanes;
  if (getInstruction() == LookupInstruction::Vpermw) {
    if (lanes != 32)
      return emitOpError("with vpermw needs 32 lanes (a 512-bit register), "
                         "got ")
             << lanes;
    return success();
  }
  if (getInstruction() != LookupInstruction::Generic)
    return emitOpError("cannot be ")
           << stringifyLookupInstruction(getInstruction())
           << ", which does not look up i16: vpermw or generic";
  return success();
}

//===----------------------------------------------------------------------===//
// DecodeBase3Op
//===----------------------------------------------------------------------===//

LogicalResult DecodeBase3Op::verify() {
  int64_t bytes = getBytes().getType().getNumElements();
  if (getInstruction() == LookupInstruction::Vpermi2d ||
      getInstruction() == LookupInstruction::Vpermw)
    return emitOpError("cannot be ")
           << stringifyLookupInstruction(getInstruction())
           << ", which looks up words (its digits are bytes): vpermi2b, "
              "vpshufb or generic";
  if (getInstruction() == LookupInstruction::Vpermi2b && bytes != 64)
    return emitOpError("with vpermi2b needs 64 bytes (a 512-bit register), "
                       "got ")
           << bytes;
  if (getInstruction() == LookupInstruction::Vpshufb && bytes != 16 &&
      bytes != 32 && bytes != 64)
    return emitOpError("with vpshufb needs 16, 32 or 64 bytes (a 128-, 256- "
                       "or 512-bit register), got ")
           << bytes;
  return success();
}

//===----------------------------------------------------------------------===//
// Dot2Op
//===----------------------------------------------------------------------===//

LogicalResult Dot2Op::verify() {
  int64_t bytes = getLhs().getType().getNumElements();
  int64_t lanes = getAcc().getType().getNumElements();
  if (bytes != 2 * lanes)
    return emitOpError("needs 2 bytes per i16 lane: ")
           << bytes << " bytes for " << lanes << " lanes";
  if (getInstruction() == DotInstruction::Vpdpbusd)
    return emitOpError("cannot be vpdpbusd, which sums 4 products per lane");
  if (getInstruction() == DotInstruction::Pmaddubsw && lanes != 16 &&
      lanes != 32)
    return emitOpError("with pmaddubsw needs 16 or 32 lanes (a 256-bit or "
                       "512-bit register), got ")
           << lanes;
  return success();
}
