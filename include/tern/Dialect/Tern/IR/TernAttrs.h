//===- TernAttrs.h - tern attributes ----------------------------*- C++ -*-===//
//
// This file declares the attributes of the tern dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNATTRS_H
#define TERN_DIALECT_TERN_IR_TERNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <optional>

#include "tern/Dialect/Tern/IR/TernEnums.h.inc"
#include "tern/Quant/Packing.h"

#define GET_ATTRDEF_CLASSES
#include "tern/Dialect/Tern/IR/TernAttrs.h.inc"

namespace mlir::tern {

/// The numerics library's name for an IR packing kind.
::tern::quant::Packing toQuantPacking(PackingKind kind);

/// The IR packing kind of a numerics library packing, if constants can be
/// stored in it (bit planes are a kernel layout only).
std::optional<PackingKind> fromQuantPacking(::tern::quant::Packing packing);

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_IR_TERNATTRS_H
