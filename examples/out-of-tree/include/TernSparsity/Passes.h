//===- Passes.h - tern-sparsity's pass --------------------------*- C++ -*-===//
//
// This file declares annotate-tern-sparsity (Passes.td) and its
// registration.
//
//===----------------------------------------------------------------------===//

#ifndef TERNSPARSITY_PASSES_H
#define TERNSPARSITY_PASSES_H

#include "mlir/Pass/Pass.h"

namespace ternsparsity {

#define GEN_PASS_DECL
#include "TernSparsity/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "TernSparsity/Passes.h.inc"

} // namespace ternsparsity

#endif // TERNSPARSITY_PASSES_H
