//===- TernDialect.cpp - tern dialect, types and attributes ---------------===//
//
// This file implements the tern dialect's registration, its constant
// materializer, its element types and the `#tern.packing` attribute.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernAttrs.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/IR/TernTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tern;

#include "tern/Dialect/Tern/IR/TernDialect.cpp.inc"
#include "tern/Dialect/Tern/IR/TernEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "tern/Dialect/Tern/IR/TernTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tern/Dialect/Tern/IR/TernAttrs.cpp.inc"

void TernDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "tern/Dialect/Tern/IR/TernTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tern/Dialect/Tern/IR/TernAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "tern/Dialect/Tern/IR/TernOps.cpp.inc"
      >();
}

Operation *TernDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto codes = dyn_cast<PackedCodesAttr>(value);
  if (!codes || codes.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, codes.getType(), codes.getPacking(),
                            codes.getBytes());
}

//===----------------------------------------------------------------------===//
// PackingKindAttr
//===----------------------------------------------------------------------===//

std::string mlir::tern::layerNameAt(Location loc) {
  std::string name;
  loc->walk([&](Location inner) {
    if (auto named = dyn_cast<NameLoc>(inner)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

::tern::quant::Packing mlir::tern::toQuantPacking(PackingKind kind) {
  switch (kind) {
  case PackingKind::SignMagnitude:
    return ::tern::quant::Packing::SignMagnitude;
  case PackingKind::OffsetBinary:
    return ::tern::quant::Packing::OffsetBinary;
  case PackingKind::Base3:
    return ::tern::quant::Packing::Base3;
  case PackingKind::Sherry:
    return ::tern::quant::Packing::Sherry;
  }
  llvm_unreachable("unknown packing kind");
}

std::optional<PackingKind>
mlir::tern::fromQuantPacking(::tern::quant::Packing packing) {
  switch (packing) {
  case ::tern::quant::Packing::SignMagnitude:
    return PackingKind::SignMagnitude;
  case ::tern::quant::Packing::OffsetBinary:
    return PackingKind::OffsetBinary;
  case ::tern::quant::Packing::Base3:
    return PackingKind::Base3;
  case ::tern::quant::Packing::Sherry:
    return PackingKind::Sherry;
  case ::tern::quant::Packing::BitPlanes:
    return std::nullopt;
  }
  llvm_unreachable("unknown packing");
}

int64_t PackingKindAttr::getPackedBytes(ArrayRef<int64_t> shape) const {
  if (shape.empty() || ShapedType::isDynamicShape(shape))
    return -1;
  int64_t rows = 1;
  for (int64_t dim : shape.drop_back()) {
    if (dim != 0 && rows > std::numeric_limits<int64_t>::max() / dim)
      return -1;
    rows *= dim;
  }
  return ::tern::quant::packedBytes(toQuantPacking(getValue()), rows,
                                    shape.back());
}

bool PackingKindAttr::canHold(Type elementType) const {
  auto alphabet = isa<SZTType>(elementType) ? ::tern::quant::Alphabet::SZT
                                            : ::tern::quant::Alphabet::Trit;
  return ::tern::quant::canHold(toQuantPacking(getValue()), alphabet);
}
