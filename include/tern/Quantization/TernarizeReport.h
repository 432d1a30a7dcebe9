//===- TernarizeReport.h - what tern-ternarize reports ----------*- C++ -*-===//
//
// This file declares tern-ternarize's report: per layer its shape, planes,
// group, bits per weight and errors (weight, output, model), written as
// JSON and printed as a table.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_TERNARIZEREPORT_H
#define TERN_QUANTIZATION_TERNARIZEREPORT_H

#include "tern/Quant/Packing.h"
#include "tern/Quant/Ternary.h"
#include "tern/Quantization/LayerFit.h"

#include "mlir/IR/BuiltinOps.h"

#include <cmath>
#include <string>
#include <vector>

namespace mlir::tern {

/// What the report says about one layer.
struct LayerReport {
  std::string name;
  int64_t rows, cols, planes, groupSize;
  ::tern::quant::ErrorReport error;
  /// Cosine similarity of the layer's float and ternary outputs on the
  /// calibration data (needs E[x xᵀ]), or NaN.
  double outputCosine = std::nan("");
  /// Cosine similarity of the model's outputs with only this layer
  /// ternarized and the float model's (measured by allocation), or NaN.
  double modelCosine = std::nan("");
  /// For a layer kept out of the ternary set, its format ("int8", "f16",
  /// "f32"); empty for ternary layers.
  std::string kept;
  /// Whether it is a table gathered from (tables=) rather than a layer.
  bool table = false;
  /// Whether it was fitted in a rotated input space (rotate=).
  bool rotated = false;
  /// The correction kept beside the ternary weights (salient=, low-rank=).
  int64_t salientColumns = 0;
  int64_t rank = 0;
};

/// The report of `layer` as `fitted` (its codes stored with `packing`),
/// from what `prepared` holds; `damage` is what allocation measured (1 -
/// model cosine), or NaN. Errors and bits count the correction.
LayerReport reportLayer(const Layer &layer, const PreparedLayer &prepared,
                        const FittedLayer &fitted,
                        ::tern::quant::Packing packing, double damage);

/// Bytes of every float constant in `module` (the model's weights).
double constantBytes(ModuleOp module);

/// Writes the report as JSON (per layer and totals) to `path`, and as a
/// table on stderr. `floatLayers` are those allocation kept float;
/// `modelBytes` the constants before ternarization.
LogicalResult writeReport(Operation *root, StringRef path, StringRef method,
                          ArrayRef<LayerReport> layers,
                          ArrayRef<std::string> floatLayers, double modelBytes);

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_TERNARIZEREPORT_H
