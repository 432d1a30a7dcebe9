//===- Layers.h - the layers post-training quantization sees ----*- C++ -*-===//
//
// This file declares how the quantization passes find and name their layers:
// float matmuls with constant weights (linalg.matmul with K x N constant
// weights, as the ONNX importer emits MatMul and Gemm, and
// linalg.conv_2d_nchw_fchw: 1x1 stride-1 ones by default, any other
// through its receptive fields). tern-calibrate observes their activations and
// tern-ternarize rewrites them; both name them the same way, so statistics
// and reports are keyed alike.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_LAYERS_H
#define TERN_QUANTIZATION_LAYERS_H

#include "tern/Dialect/Tern/Utils/KeptLayers.h"
#include "tern/Quant/Correction.h"
#include "tern/Quant/Kept.h"
#include "tern/Quant/Packing.h"
#include "tern/Quant/Rotation.h"
#include "tern/Quant/Ternary.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tern {

/// A float layer with constant weights that tern.matmul can compute.
struct Layer {
  Operation *op = nullptr;
  /// The innermost name of the op's location (the ONNX node name for
  /// imported models), or "layer_I" for the I-th candidate op in walk order;
  /// the J-th repeat of a name is "NAME#J".
  std::string name;
  /// The weights as `rows` x `cols` (N x K: one row per output channel), if
  /// they were asked for.
  std::vector<float> weights;
  int64_t rows = 0, cols = 0;
  /// Whether the op accumulates into something other than zeros (its
  /// init: a broadcast bias, say).
  bool accumulates = false;
  /// Builds the layer's activations as an M x K matrix (before `op`), from
  /// the op's operands as they are when it is called: another layer
  /// rewritten before this one may have replaced them.
  std::function<Value(OpBuilder &)> activations;
  /// Builds the layer's result (without the accumulator) from M x N
  /// products of the activations and the weights. Unset for grouped
  /// layers.
  std::function<Value(OpBuilder &, Value)> outputs;
  /// Grouped and depthwise convolutions: the rows are `groups` blocks of
  /// rows / groups output channels, block g reading only the columns
  /// [g·cols, (g+1)·cols) of the activations, which are M x groups·cols.
  /// Such a layer is not rebuilt around a matmul: the convolution itself
  /// runs on other weights, which `convolve` builds it on (rows x cols f32,
  /// the accumulator included).
  int64_t groups = 1;
  std::function<Value(OpBuilder &, Value)> convolve;
};

/// Which convolutions are layers: 1x1 ones with stride 1 (a matmul over
/// every pixel's channels); every ungrouped 2-D convolution (k x k,
/// strided, dilated: a matmul over every output pixel's receptive field,
/// im2col; ONNX ConvTranspose, which the importer makes a convolution of
/// its spread input); or all of them, grouped and depthwise ones too (one
/// such matmul per group, see Layer::groups).
enum class ConvolutionLayers { Pointwise, Ungrouped, All };

/// The option value naming `layers` ("pointwise", "ungrouped", "all"),
/// and back (nothing for another string).
StringRef convolutionLayersName(ConvolutionLayers layers);
std::optional<ConvolutionLayers> parseConvolutionLayers(StringRef name);

/// The quantizable layers of `module` in walk order, with their weights
/// when `readWeights` is set. Every other linalg.matmul and NCHW
/// convolution is described in `rejected`, if given ("'NAME': why").
/// Names do not depend on `convolutions`: every matmul and convolution is
/// counted.
std::vector<Layer>
findLayers(ModuleOp module, bool readWeights,
           std::vector<std::string> *rejected = nullptr,
           ConvolutionLayers convolutions = ConvolutionLayers::Pointwise);

/// Reads the weights of a layer found without them (one layer at a time
/// keeps a large model's float weights from being copied all at once).
/// False if they cannot be read.
bool readLayerWeights(Layer &layer);

/// x (M x K) times `weights` (K x N), plus `bias` (N values added to every
/// row) unless it is null: a layer's products in float.
Value buildFloatProducts(OpBuilder &b, Location loc, Value x, Value weights,
                         Value bias);

/// Builds, before `layer.op`, what computes the layer with `products`
/// instead: `products` makes the M x N matmul from the M x K activations,
/// and the result is its `outputs` plus the accumulator. The caller
/// replaces the op with it.
Value buildLayer(OpBuilder &b, const Layer &layer,
                 function_ref<Value(OpBuilder &, Value)> products);

/// Builds, before `layer.op`, the grouped layer computed on `weights`
/// (rows x cols, f32) with `bias` (N values) added unless it is null.
Value buildGroupedLayer(OpBuilder &b, const Layer &layer, Value weights,
                        Value bias);

/// Emits the error "tern-ternarize: layer 'NAME': " at the layer's op, for
/// the caller to complete.
InFlightDiagnostic emitLayerError(const Layer &layer);

/// Replaces `layer.op` with a tern.matmul on `weights`: its codes packed
/// with `packing` into a tern.constant of `codeType` elements named
/// "NAME.codes", its scales (and shifts) as f16 constants when
/// weights.scaleBits is 16 (f32 otherwise), and `bias` (f32, N
/// values, or none) added. With a `rotation` (the weights fitted in the
/// rotated space) the activations go through a tern.rotate by its factors
/// first; with a non-empty `correction`, addCorrection adds it. A grouped
/// layer (which has neither) becomes its convolution on the tern.dequantize
/// of the codes instead. Emits an error at the op if the codes cannot be
/// packed.
FailureOr<Value>
replaceWithTernMatmul(RewriterBase &rewriter, const Layer &layer,
                      const ::tern::quant::TernaryWeights &weights,
                      ArrayRef<float> bias, Type codeType,
                      ::tern::quant::Packing packing,
                      const ::tern::quant::Rotation *rotation = nullptr,
                      const ::tern::quant::Correction *correction = nullptr);

/// The columns `columns` of x (M x K, f32): M x columns.size(), a
/// linalg.generic reading x at an i64 constant of the column indices.
Value gatherColumns(OpBuilder &b, Location loc, Value x,
                    ArrayRef<int64_t> columns);

/// `products` + x Cᵀ for the layer `name`'s correction C, each part a
/// kept matmul (buildKeptProducts) located and its weights named after the
/// layer and the part's suffix: the gathered salient columns of x times
/// their residual ("NAME.salient"), and x Vᵀᵀ (".lowrank_down") times Uᵀ
/// (".lowrank_up"). The ONNX export finds the parts by these names.
Value addCorrection(OpBuilder &b, Location loc, Value x, Value products,
                    const ::tern::quant::Correction &correction,
                    StringRef name);

/// x (M x K, f32) times the kept weights `kept` (int8 or f16, N x K),
/// built as replaceWithKeptMatmul describes, the weights a resource
/// "NAME.int8" or "NAME.f16".
Value buildKeptProducts(OpBuilder &b, Location loc, Value x,
                        const ::tern::quant::KeptWeights &kept, StringRef name);

/// Replaces `layer.op` with a matmul on `kept` (a layer kept out of the
/// ternary set): a linalg.matmul of the f32 activations and the K x N
/// weights as stored, a resource "NAME.int8" (i8) or "NAME.f16" (f16)
/// that the matmul casts as it reads them, then for int8 the products
/// times each output channel's scale (f16 or f32 constant); a grouped
/// layer's convolution reads the stored weights widened (and scaled).
/// Leaves the layer as it is for f32.
void replaceWithKeptMatmul(RewriterBase &rewriter, const Layer &layer,
                           const ::tern::quant::KeptWeights &kept);

/// A table that the model gathers rows from (an embedding: ONNX Gather on a
/// constant along axis 0, which the importer lowers to tensor.extract of
/// the constant inside a linalg.generic).
struct Table {
  /// The constant (rows x cols, f32) and every extract that reads it.
  Value constant;
  SmallVector<tensor::ExtractOp> reads;
  /// The name of the first read's location (the Gather node).
  std::string name;
  int64_t rows = 0, cols = 0;
};

/// The tables of `module` whose name matches `select`: 2-D static f32
/// constants read only by tensor.extract ops inside linalg.generic bodies.
std::vector<Table> findTables(ModuleOp module,
                              llvm::function_ref<bool(StringRef)> select);

/// The table's values, row-major, or nothing if they cannot be read.
std::optional<std::vector<float>> readTable(const Table &table);

/// Replaces the table's reads with reads of `kept` (int8 codes with a scale
/// per row, a resource "NAME.int8", or f16 values, "NAME.f16"), widened
/// where they are read. Leaves it as it is for f32.
void replaceTable(RewriterBase &rewriter, const Table &table,
                  const ::tern::quant::KeptWeights &kept);

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_LAYERS_H
