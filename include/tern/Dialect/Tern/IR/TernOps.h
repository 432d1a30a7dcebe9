//===- TernOps.h - tern operations ------------------------------*- C++ -*-===//
//
// This file declares the operations of the tern dialect and the plane/row/
// group structure they share.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNOPS_H
#define TERN_DIALECT_TERN_IR_TERNOPS_H

#include <optional>
#include <string>
#include <vector>

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tern/Quant/Rotation.h"
#include "tern/Quant/Ternary.h"

#include "tern/Dialect/Tern/IR/TernAttrs.h"
#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernTypes.h"

namespace mlir::tern {

/// The structure of a tensor of ternary codes read as P planes of N x K
/// matrices, with scales per group of `groupSize` codes along K.
struct GroupedLayout {
  /// Number of trit planes P (1 for rank-2 codes).
  int64_t planes;
  /// Output channels N.
  int64_t rows;
  /// Reduction size K.
  int64_t k;
  /// Codes per group along K (K when the op's group_size is 0).
  int64_t groupSize;
  /// Groups per row, K / groupSize.
  int64_t groups;

  /// Reads the layout of verified codes (rank 2 or 3, static shape).
  static GroupedLayout get(RankedTensorType codes, int64_t groupSize);
};

} // namespace mlir::tern

#define GET_OP_CLASSES
#include "tern/Dialect/Tern/IR/TernOps.h.inc"

namespace mlir::tern {

/// The weights of a tern.matmul as the quantization library holds them, and
/// its bias (empty when it has none).
struct MatmulWeights {
  ::tern::quant::TernaryWeights weights;
  std::vector<float> bias;
};

/// Whether the codes (a tern.constant), scales, shifts and bias of `op` are
/// all constants, so that readConstantWeights can read them.
bool hasConstantWeights(MatmulOp op);

/// Reads the weights of `op`. Fails with a diagnostic at `op` when an
/// operand is not a constant, or at its tern.constant when the blob does not
/// unpack.
FailureOr<MatmulWeights> readConstantWeights(MatmulOp op);

/// The same for a tern.dequantize (the weights of a grouped convolution
/// that tern-ternarize rewrote), whose weights have no bias.
bool hasConstantWeights(DequantizeOp op);
FailureOr<MatmulWeights> readConstantWeights(DequantizeOp op);

/// The rotation a tern.rotate applies, if its factors are float constants.
std::optional<::tern::quant::Rotation> readConstantRotation(RotateOp op);

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_IR_TERNOPS_H
