//===- LayerFit.cpp - fitting one layer's ternary weights -----------------===//
//
// This file implements LayerFitter: statistics to importances and
// Hessians, the library's fits, and the bias a fit adds.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/LayerFit.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;

namespace {

/// The options for a layer with `cols` weights per row: a layer no wider
/// than a group is fitted per output channel (one group).
q::QuantizeOptions optionsForWidth(q::QuantizeOptions options, int64_t cols) {
  if (options.granularity == q::Granularity::Group &&
      options.groupSize >= cols) {
    options.granularity = q::Granularity::Channel;
    options.groupSize = 0;
  }
  return options;
}

/// M - a bᵀ (K x K).
std::vector<double> centered(const std::vector<double> &moment,
                             const std::vector<double> &a,
                             const std::vector<double> &b) {
  std::vector<double> result(moment);
  int64_t k = int64_t(a.size());
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      result[i * k + j] -= a[i] * b[j];
  return result;
}

/// The same statistics of x Q, from their second moments: E[x Q] = E[x] Q,
/// E[Qᵀ x xᵀ Q], whose diagonal is E[(x Q)²]. max |x| has no counterpart
/// and is dropped.
void rotateStatistics(const q::Rotation &rotation, LayerStatistics &stats) {
  int64_t k = stats.channels;
  rotation.apply(stats.mean.data());
  rotation.conjugate(stats.secondMoment.data());
  for (int64_t i = 0; i < k; ++i)
    stats.meanSquare[i] = stats.secondMoment[i * k + i];
  stats.maxAbs.clear();
}

} // namespace

q::MatrixRef PreparedLayer::original(const Layer &layer) const {
  return q::MatrixRef{rotation ? rotatedWeights.data() : layer.weights.data(),
                      layer.rows, layer.cols};
}

q::MatrixRef PreparedLayer::fitted(const Layer &layer) const {
  if (targetWeights.empty())
    return original(layer);
  return q::MatrixRef{targetWeights.data(), layer.rows, layer.cols};
}

std::vector<float>
PreparedLayer::dequantize(const q::TernaryWeights &weights) const {
  std::vector<float> values = weights.dequantize();
  if (rotation)
    rotation->unapplyRows(values.data(), weights.rows);
  return values;
}

LogicalResult LayerFitter::checkShape(const Layer &layer) const {
  if (llvm::Error error =
          q::validateOptions(optionsForWidth(settings_.quantize, layer.cols),
                             layer.rows, layer.cols))
    return emitLayerError(layer) << llvm::toString(std::move(error));
  return success();
}

LogicalResult LayerFitter::prepare(const Layer &layer, PreparedLayer &prepared,
                                   StringRef source) const {
  int64_t k = layer.cols;
  if (prepared.stats && prepared.stats->channels != k)
    return emitLayerError(layer)
           << "its statistics have " << prepared.stats->channels
           << " channels, the layer has K = " << k;
  if (settings_.rotate) {
    const q::Rotation &rotation = prepared.rotation.emplace(q::makeRotation(k));
    prepared.rotatedWeights = layer.weights;
    rotation.applyRows(prepared.rotatedWeights.data(), layer.rows);
    if (prepared.stats) {
      if (prepared.stats->secondMoment.empty())
        return emitLayerError(layer)
               << "rotate needs second moments to rotate the statistics, and "
               << source
               << " has none (run tern-calibrate with second-moment=1)";
      if (prepared.sequential) {
        TargetStatistics &target = prepared.target;
        rotateStatistics(rotation, target.received);
        rotation.apply(target.floatMean.data());
        rotation.conjugate(target.floatSecondMoment.data());
        rotation.conjugate(target.crossMoment.data());
      } else {
        prepared.rotatedStats = *prepared.stats;
        rotateStatistics(rotation, prepared.rotatedStats);
        prepared.stats = &prepared.rotatedStats;
      }
    }
  }
  if (!prepared.stats)
    return success();
  const LayerStatistics &stats = *prepared.stats;
  if ((settings_.gptq || settings_.refitScales) && stats.secondMoment.empty())
    return emitLayerError(layer)
           << (settings_.gptq ? "gptq" : "refit-scales")
           << " needs second moments, and " << source
           << " has none (run tern-calibrate with second-moment=1)";
  // Importance of the columns: E[x²]. A column no calibration input reached
  // still counts a little, so that no group is fitted to nothing.
  double meanImportance = 0;
  for (double v : stats.meanSquare)
    meanImportance += v / double(k);
  for (double v : stats.meanSquare)
    prepared.importance.push_back(
        float(std::max(v, 1e-6 * meanImportance + 1e-30)));
  if (!stats.secondMoment.empty())
    prepared.hessian =
        settings_.biasCorrection
            ? centered(stats.secondMoment, stats.mean, stats.mean)
            : stats.secondMoment;
  if (prepared.sequential) {
    const TargetStatistics &target = prepared.target;
    std::vector<double> cross =
        settings_.biasCorrection
            ? centered(target.crossMoment, target.floatMean, stats.mean)
            : target.crossMoment;
    llvm::Expected<std::vector<float>> retargeted =
        q::retargetWeights(prepared.original(layer), cross.data(),
                           prepared.hessian.data(), settings_.dampening);
    if (!retargeted)
      return emitLayerError(layer) << llvm::toString(retargeted.takeError());
    prepared.targetWeights = std::move(*retargeted);
  }
  return success();
}

FailureOr<q::TernaryWeights>
LayerFitter::fit(const Layer &layer, const PreparedLayer &prepared,
                 const q::QuantizeOptions &options) const {
  q::MatrixRef w = prepared.fitted(layer);
  q::QuantizeOptions forLayer = optionsForWidth(options, layer.cols);
  q::ErrorFeedbackOptions feedback;
  feedback.dampening = settings_.dampening;
  llvm::Expected<q::TernaryWeights> result =
      settings_.gptq ? q::quantizeWithErrorFeedback(w, prepared.hessian.data(),
                                                    forLayer, feedback)
                     : q::quantize(w, prepared.h(), forLayer);
  if (!result)
    return emitLayerError(layer) << llvm::toString(result.takeError());
  if (settings_.refitScales)
    q::refitScales(w, prepared.hessian.data(), *result);
  // Stored as f16 where they fit: everything after this (the next layers'
  // calibration, allocation, the report) sees the stored values.
  q::storeScalesAsHalf(*result);
  return std::move(*result);
}

std::vector<float> LayerFitter::bias(const Layer &layer,
                                     const PreparedLayer &prepared,
                                     const q::TernaryWeights &weights) const {
  std::vector<float> bias;
  if (!settings_.deadZoneBias && !settings_.biasCorrection)
    return bias;
  q::MatrixRef w = prepared.fitted(layer);
  std::vector<float> mean(prepared.stats->mean.begin(),
                          prepared.stats->mean.end());
  if (!settings_.biasCorrection)
    return q::deadZoneBias(w, weights, mean.data());
  bias = q::meanErrorBias(w, weights, mean.data());
  if (!prepared.targetWeights.empty()) {
    // + W E[x] - W* E[x̃]: what the target itself leaves.
    const std::vector<double> &floatMean = prepared.target.floatMean;
    q::MatrixRef original = prepared.original(layer);
    for (int64_t n = 0; n < layer.rows; ++n) {
      double sum = 0;
      for (int64_t c = 0; c < layer.cols; ++c)
        sum += double(original.row(n)[c]) * floatMean[c] -
               double(w.row(n)[c]) * prepared.stats->mean[c];
      bias[n] += float(sum);
    }
  }
  return bias;
}
