//===- KeptLayers.h - layers kept out of the ternary set --------*- C++ -*-===//
//
// This file declares how the layers that tern-ternarize keeps out of the
// ternary set in int8 or f16 (keep=, replaceWithKeptMatmul in the
// Quantization library) are recognized and read back: by the ONNX export,
// which may not depend on the passes that wrote them.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_UTILS_KEPTLAYERS_H
#define TERN_DIALECT_TERN_UTILS_KEPTLAYERS_H

#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Quant/Kept.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>

namespace mlir::tern {

/// A layer replaceWithKeptMatmul rewrote: its K x N weights (i8 or f16
/// constant) and, for int8, the N scales and the op that applies them.
struct KeptLayer {
  linalg::MatmulOp matmul;
  Value weights;
  Value scales;
  Operation *scaling = nullptr;
};

/// The kept layer whose matmul is `op`, if it is one: a linalg.matmul of
/// f32 activations and constant i8 (whose only user scales it by a constant
/// per column) or f16 weights.
std::optional<KeptLayer> matchKeptLayer(linalg::MatmulOp op);

/// The weights of a kept layer as replaceWithKeptMatmul stored them (rows
/// = N output channels, cols = K). Emits an error at the matmul if its
/// constants cannot be read (an elided resource).
FailureOr<::tern::quant::KeptWeights> readKeptWeights(KeptLayer layer);

/// A grouped or depthwise convolution that tern-ternarize rewrote
/// (buildGroupedLayer in the Quantization library): the same convolution
/// on weights (N x K f32, reshaped to its filter and converted to its
/// element type) that are the tern.dequantize of ternary codes
/// (`ternary`) or kept weights widened where they are read (`weights`, an
/// N x K i8 or f16 constant, and for i8 the N `scales`); and the bias added
/// to its result (N values, the channels of its NCHW or N x G x F/G x H x W
/// result), if any.
struct GroupedLayer {
  Operation *convolution = nullptr;
  DequantizeOp ternary;
  Value weights;
  Value scales;
  Value bias;
};

/// The grouped layer whose convolution (linalg depthwise_conv_2d_nchw_chw
/// or conv_2d_ngchw_gfchw) is `op`, if it is one.
std::optional<GroupedLayer> matchGroupedLayer(linalg::LinalgOp op);

/// The kept weights of a grouped layer (rows = N output channels). Emits an
/// error at the convolution if its constants cannot be read.
FailureOr<::tern::quant::KeptWeights>
readKeptWeights(const GroupedLayer &layer);

/// The suffixes of the names of a correction's parts (addCorrection in the
/// Quantization library): the kept layer named LAYER + suffix is part of
/// the correction of the ternary layer LAYER.
inline constexpr llvm::StringLiteral kSalientSuffix = ".salient";
inline constexpr llvm::StringLiteral kLowRankDownSuffix = ".lowrank_down";
inline constexpr llvm::StringLiteral kLowRankUpSuffix = ".lowrank_up";

/// The columns a salient-column correction's matmul `op` reads: its
/// activations are a linalg.generic gathering them at a constant of i64
/// column indices (gatherColumns). Nothing if they are not.
std::optional<SmallVector<int64_t>> readGatheredColumns(linalg::MatmulOp op);

/// A table tern-ternarize's tables= stored in int8 or f16: the constant
/// (rows x cols) that tensor.extract ops inside linalg.generic bodies read
/// (an ONNX Gather), and for int8 the rows' scales each read is multiplied
/// by.
struct KeptTable {
  Value table;
  Value scales;
  /// The name of a read's location (the Gather node).
  std::string name;
};

/// The kept table `op` holds, if it is one.
std::optional<KeptTable> matchKeptTable(arith::ConstantOp op);

/// Its values as KeptWeights (rows x cols, as the table). Emits an error if
/// they cannot be read.
FailureOr<::tern::quant::KeptWeights> readKeptTable(KeptTable table);

} // namespace mlir::tern

#endif // TERN_DIALECT_TERN_UTILS_KEPTLAYERS_H
