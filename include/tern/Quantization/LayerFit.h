//===- LayerFit.h - fitting one layer's ternary weights ---------*- C++ -*-===//
//
// This file declares how tern-ternarize fits a layer: from the layer's
// float weights and the statistics of the activations it receives to
// codes, scales, shifts and the bias the fit adds. The numerics are the
// library's (include/tern/Quant); this is what chooses and feeds them.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_LAYERFIT_H
#define TERN_QUANTIZATION_LAYERFIT_H

#include "tern/Quant/Correction.h"
#include "tern/Quant/Quantize.h"
#include "tern/Quant/Rotation.h"
#include "tern/Quantization/Calibration.h"
#include "tern/Quantization/Layers.h"

#include "mlir/IR/Diagnostics.h"

#include <vector>

namespace mlir::tern {

/// How every layer is fitted.
struct FitSettings {
  ::tern::quant::QuantizeOptions quantize;
  /// GPTQ error feedback through the Hessian.
  bool gptq = false;
  /// Scales refitted to the output error once the codes are chosen.
  bool refitScales = false;
  /// Sweeps of learned rounding (refineCodes) once scales are stored.
  int refineCodes = 0;
  /// The bias cancels the mean output error (and contains Tequila's).
  bool biasCorrection = false;
  /// Tequila's dead-zone bias.
  bool deadZoneBias = false;
  /// Fraction of the mean diagonal added to E[x xᵀ] where it is inverted.
  double dampening = 0.01;
  /// Incoherence processing: each layer is fitted in its input space
  /// rotated by makeRotation(K), and computes x Q before its product.
  bool rotate = false;
  /// Salient input columns per layer whose residual is kept beside the
  /// ternary weights (the fit sees them as zero), and the rank of the
  /// low-rank correction of the rest; both stored as `correctionFormat`.
  int64_t salient = 0;
  int64_t lowRank = 0;
  ::tern::quant::LowRankWeight lowRankWeight =
      ::tern::quant::LowRankWeight::Diagonal;
  ::tern::quant::KeptFormat correctionFormat = ::tern::quant::KeptFormat::Int8;
};

/// A layer as fitted: its ternary weights, the correction kept beside them
/// (empty without salient= and low-rank=), and the bias the fit adds (N
/// values, or empty).
struct FittedLayer {
  ::tern::quant::TernaryWeights weights;
  ::tern::quant::Correction correction;
  std::vector<float> bias;
};

/// What a layer's fit needs besides its weights.
struct PreparedLayer {
  /// Of the activations the layer receives, or null (data-free).
  const LayerStatistics *stats = nullptr;
  /// Column importances E[x_k²] (empty: data-free).
  std::vector<float> importance;
  /// What GPTQ and the scale refit minimise the output error under: E[x xᵀ],
  /// or with bias correction (the bias taking the error's mean) the
  /// covariance.
  std::vector<double> hessian;
  /// Sequential fitting: the statistics against the float model (`stats`
  /// then points to their `received`), and the weights whose output on the
  /// received activations best matches the float layer's.
  bool sequential = false;
  TargetStatistics target;
  std::vector<float> targetWeights;
  /// rotate: the rotation Q, the layer's weights W Q, and its statistics
  /// in the rotated space (what `stats` then points to, unless sequential:
  /// `target` is rotated in place). Everything above is in that space.
  std::optional<::tern::quant::Rotation> rotation;
  std::vector<float> rotatedWeights;
  LayerStatistics rotatedStats;
  /// salient=: the columns the fit sees as zero and the correction keeps.
  std::vector<int64_t> salientColumns;
  /// A grouped layer (Layer::groups) is fitted group by group: each
  /// group's rows as a layer of their own (`groupLayers`), prepared with
  /// its share of the statistics (`groups`; a group's `stats` point to its
  /// `groupStats`, or to its `target.received` when sequential).
  std::vector<Layer> groupLayers;
  std::vector<PreparedLayer> groups;
  LayerStatistics groupStats;

  const float *h() const {
    return importance.empty() ? nullptr : importance.data();
  }
  /// The layer's weights in the space the fit works in: W, or W Q.
  ::tern::quant::MatrixRef original(const Layer &layer) const;
  /// The weights the fit approximates: original(), or the sequential
  /// target.
  ::tern::quant::MatrixRef fitted(const Layer &layer) const;
  /// Ŵ + C of `fitted` in the layer's own input space ((Ŵ + C) Qᵀ when
  /// rotated): what a float model that computes x Ŵᵀ needs.
  std::vector<float> dequantize(const FittedLayer &fitted) const;
};

class LayerFitter {
public:
  explicit LayerFitter(FitSettings settings) : settings_(std::move(settings)) {}

  const FitSettings &settings() const { return settings_; }

  /// Checks that the settings can fit a layer of this shape.
  LogicalResult checkShape(const Layer &layer) const;

  /// Fills the importances, Hessian and (sequential) target weights of
  /// `prepared` from `prepared.stats`, first rotating the weights and the
  /// statistics when the settings rotate; `source` names where the
  /// statistics came from in messages.
  LogicalResult prepare(const Layer &layer, PreparedLayer &prepared,
                        StringRef source) const;

  /// Fits the layer with `options` (the settings' QuantizeOptions, or a
  /// variation of them): its ternary weights, then the correction of what
  /// they leave, then the bias.
  FailureOr<FittedLayer>
  fit(const Layer &layer, const PreparedLayer &prepared,
      const ::tern::quant::QuantizeOptions &options) const;
  FailureOr<FittedLayer> fit(const Layer &layer,
                             const PreparedLayer &prepared) const {
    return fit(layer, prepared, settings_.quantize);
  }

private:
  /// prepare() of a grouped layer: each group's.
  LogicalResult prepareGroups(const Layer &layer, PreparedLayer &prepared,
                              StringRef source) const;
  /// The statistics part of prepare().
  LogicalResult prepareStatistics(const Layer &layer, PreparedLayer &prepared,
                                  StringRef source) const;
  /// The correction of the residual `weights` leaves (salient=, low-rank=).
  FailureOr<::tern::quant::Correction>
  correct(const Layer &layer, const PreparedLayer &prepared,
          const ::tern::quant::TernaryWeights &weights) const;

  /// The bias the fit adds (N values, or empty for none): bias correction's
  /// expected output error E[W x - (Ŵ + C) x̃] (x̃ = x unless sequential),
  /// or Tequila's dead-zone term.
  std::vector<float> bias(const Layer &layer, const PreparedLayer &prepared,
                          const FittedLayer &fitted) const;

  FitSettings settings_;
};

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_LAYERFIT_H
