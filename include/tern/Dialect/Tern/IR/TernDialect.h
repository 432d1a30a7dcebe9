//===- TernDialect.h - tern dialect -----------------------------*- C++ -*-===//
//
// This file declares the tern dialect class.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNDIALECT_H
#define TERN_DIALECT_TERN_IR_TERNDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "tern/Dialect/Tern/IR/TernDialect.h.inc"

#include <string>

namespace mlir::tern {

/// The name of the layer at `loc`: the innermost name in it (the ONNX node
/// name for imported models), or empty. Quantization passes key statistics,
/// resources and reports by it, and the ONNX exporter finds nodes by it.
std::string layerNameAt(Location loc);

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_IR_TERNDIALECT_H
