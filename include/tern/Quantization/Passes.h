//===- Passes.h - post-training quantization passes ------------*- C++ -*-===//
//
// This file declares the post-training quantization passes (tern-calibrate,
// tern-ternarize), which produce tern ops, and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_PASSES_H
#define TERN_QUANTIZATION_PASSES_H

#include "tern/Quantization/TernarizeOptions.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "tern/Quantization/Passes.h.inc"

/// tern-ternarize with `options` (createTernarize() takes the defaults).
std::unique_ptr<Pass> createTernarize(const TernarizeOptions &options);

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_PASSES_H
