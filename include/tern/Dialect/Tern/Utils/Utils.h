//===- Utils.h - what tern's lowerings share ---------------------*- C++
//-*-===//
//
// This file declares helpers that the lowerings of tern ops (the reference
// lowering and the vector kernels) both need.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_UTILS_UTILS_H
#define TERN_DIALECT_TERN_UTILS_UTILS_H

#include "mlir/IR/Builders.h"

namespace mlir::tern {

/// `value`, a float scalar or vector, converted to `type` (scales may be
/// narrower or wider than the data; f16 <-> bf16 goes through f32).
Value castFloat(OpBuilder &b, Location loc, Value value, FloatType type);

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_UTILS_UTILS_H
