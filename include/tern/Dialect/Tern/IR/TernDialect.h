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

#endif // TERN_DIALECT_TERN_IR_TERNDIALECT_H
