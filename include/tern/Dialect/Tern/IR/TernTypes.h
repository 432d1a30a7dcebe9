//===- TernTypes.h - tern element types -------------------------*- C++ -*-===//
//
// This file declares the ternary element types `!tern.trit` and `!tern.szt`.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNTYPES_H
#define TERN_DIALECT_TERN_IR_TERNTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "tern/Dialect/Tern/IR/TernTypes.h.inc"

namespace mlir::tern {

/// Whether `type` is `!tern.trit` or `!tern.szt`.
inline bool isTernaryType(Type type) { return isa<TritType, SZTType>(type); }

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_IR_TERNTYPES_H
