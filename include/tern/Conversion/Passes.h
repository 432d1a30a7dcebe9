//===- Passes.h - tern conversion passes ------------------------*- C++ -*-===//
//
// This file declares the passes that lower the tern dialect, and their
// registration.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_CONVERSION_PASSES_H
#define TERN_CONVERSION_PASSES_H

#include "tern/Conversion/TernToLinalg/TernToLinalg.h"
#include "tern/Target/CPU/TargetCPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "tern/Conversion/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_CONVERSION_PASSES_H
