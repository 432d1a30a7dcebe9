//===- Passes.h - transformations of tern ops -------------------*- C++ -*-===//
//
// This file declares the passes that transform tern ops within the tern
// dialect, and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_TRANSFORMS_PASSES_H
#define TERN_DIALECT_TERN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "tern/Dialect/Tern/Transforms/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_TRANSFORMS_PASSES_H
