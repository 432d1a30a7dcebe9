//===- Passes.h - tern transformations on upstream dialects -----*- C++ -*-===//
//
// This file declares the passes that schedule linalg and vector code for
// CPUs, and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_TRANSFORMS_PASSES_H
#define TERN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::tern {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "tern/Transforms/Passes.h.inc"

/// Adds the patterns that rewrite `arith.addf(arith.mulf(a, b), c)` on
/// vectors, the multiply used only by the add, into `vector.fma(a, b, c)`.
void populateFuseMultiplyAddPatterns(RewritePatternSet &patterns);

} // namespace mlir::tern

#endif // TERN_TRANSFORMS_PASSES_H
