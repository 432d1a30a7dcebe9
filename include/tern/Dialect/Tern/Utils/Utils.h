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
#include "tern/Dialect/Tern/IR/TernAttrs.h"
#include "tern/Quant/Ternary.h"

#include "llvm/Support/Error.h"

namespace mlir::tern {

/// `value`, a float scalar or vector, converted to `type` (scales may be
/// narrower or wider than the data; f16 <-> bf16 goes through f32).
Value castFloat(OpBuilder &b, Location loc, Value value, FloatType type);

/// A constant tensor of `shape` and element `type` holding `values` (rounded
/// to nearest, ties to even, when `type` is narrower than f32).
Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    ArrayRef<float> values, FloatType type);

/// The constant operands of a tern.matmul or tern.dequantize that hold
/// `weights`: a tern.constant of `codeType` codes packed as `packing` in a
/// blob named `blobName` (P x N x K, or N x K for one plane), the scales
/// (P x N x G', or N x G') and the shifts (N x G', null when the weights
/// have none) as `scaleType` constants. Fails when the codes do not pack.
struct TernaryConstants {
  Value codes, scales, shifts;
};
llvm::Expected<TernaryConstants>
buildTernaryConstants(OpBuilder &b, Location loc,
                      const ::tern::quant::TernaryWeights &weights,
                      Type codeType, PackingKind packing, StringRef blobName,
                      FloatType scaleType);

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_UTILS_UTILS_H
