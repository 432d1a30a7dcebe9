//===- Utils.cpp - what tern's lowerings share ----------------------------===//
//
// This file implements the helpers of tern's lowerings.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Utils/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;

Value mlir::tern::castFloat(OpBuilder &b, Location loc, Value value,
                            FloatType type) {
  auto from = cast<FloatType>(value.getType());
  if (from == type)
    return value;
  if (from.getWidth() < type.getWidth())
    return arith::ExtFOp::create(b, loc, type, value);
  if (from.getWidth() > type.getWidth())
    return arith::TruncFOp::create(b, loc, type, value);
  // Same width, different format (f16 and bf16): go through f32.
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, type, wide);
}
