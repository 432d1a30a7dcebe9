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

/// M - a bᵀ (a.size() x b.size()).
std::vector<double> centered(const std::vector<double> &moment,
                             const std::vector<double> &a,
                             const std::vector<double> &b) {
  std::vector<double> result(moment);
  int64_t rows = int64_t(a.size()), k = int64_t(b.size());
  for (int64_t i = 0; i < rows; ++i)
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

/// The fits of a grouped layer's groups as one fit of all its rows, in
/// group order: codes and scales plane by plane, shifts and bias. Scales
/// are stored as f16 only if every group's are.
FittedLayer concatenateRows(ArrayRef<FittedLayer> parts) {
  const q::TernaryWeights &first = parts.front().weights;
  int64_t rows = 0;
  for (const FittedLayer &part : parts)
    rows += part.weights.rows;
  FittedLayer result;
  q::TernaryWeights &w = result.weights;
  w = q::TernaryWeights(first.planes, rows, first.cols, first.groupSize,
                        !first.shifts.empty());
  w.scaleBits = 16;
  int64_t row = 0;
  for (const FittedLayer &part : parts) {
    const q::TernaryWeights &p = part.weights;
    for (int64_t plane = 0; plane < p.planes; ++plane) {
      std::copy_n(p.codes.begin() + plane * p.rows * p.cols, p.rows * p.cols,
                  w.codes.begin() + (plane * rows + row) * w.cols);
      std::copy_n(p.scales.begin() + plane * p.rows * p.groups(),
                  p.rows * p.groups(),
                  w.scales.begin() + (plane * rows + row) * w.groups());
    }
    std::copy(p.shifts.begin(), p.shifts.end(),
              w.shifts.begin() + row * w.groups());
    w.scaleBits = std::max(w.scaleBits, p.scaleBits);
    if (!part.bias.empty()) {
      result.bias.resize(rows, 0.0f);
      std::copy(part.bias.begin(), part.bias.end(), result.bias.begin() + row);
    }
    row += p.rows;
  }
  return result;
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

std::vector<float> PreparedLayer::dequantize(const FittedLayer &fitted) const {
  std::vector<float> values = fitted.weights.dequantize();
  if (!fitted.correction.empty())
    fitted.correction.addTo(values.data());
  if (rotation)
    rotation->unapplyRows(values.data(), fitted.weights.rows);
  return values;
}

LogicalResult LayerFitter::checkShape(const Layer &layer) const {
  if (llvm::Error error =
          q::validateOptions(optionsForWidth(settings_.quantize, layer.cols),
                             layer.rows / layer.groups, layer.cols))
    return emitLayerError(layer) << llvm::toString(std::move(error));
  if (layer.groups > 1 &&
      (settings_.rotate || settings_.salient > 0 || settings_.lowRank > 0))
    return emitLayerError(layer)
           << "rotate=, salient= and low-rank= do not apply to a grouped "
              "convolution (its "
           << layer.groups
           << " groups read different inputs); exclude= it or leave them "
              "unset";
  // The corrections must leave most of the layer ternary.
  if (settings_.salient * 2 > layer.cols)
    return emitLayerError(layer)
           << "salient=" << settings_.salient
           << " keeps more than half of its K = " << layer.cols
           << " input columns";
  int64_t smaller = std::min(layer.rows, layer.cols);
  if (settings_.lowRank * 2 > smaller)
    return emitLayerError(layer)
           << "low-rank=" << settings_.lowRank
           << " is more than half of min(N, K) = " << smaller;
  return success();
}

LogicalResult LayerFitter::prepareGroups(const Layer &layer,
                                         PreparedLayer &prepared,
                                         StringRef source) const {
  int64_t groups = layer.groups, rows = layer.rows / groups, k = layer.cols;
  if (prepared.stats && (prepared.stats->channels != k * groups ||
                         prepared.stats->groups != groups))
    return emitLayerError(layer)
           << "its statistics have " << prepared.stats->channels
           << " channels in " << prepared.stats->groups
           << " groups, the layer has " << groups << " groups of K = " << k;
  prepared.groupLayers.resize(groups);
  prepared.groups.resize(groups);
  for (int64_t g = 0; g < groups; ++g) {
    Layer &part = prepared.groupLayers[g];
    part.op = layer.op;
    part.name = layer.name + " (group " + std::to_string(g) + ")";
    part.rows = rows;
    part.cols = k;
    part.weights.assign(layer.weights.begin() + g * rows * k,
                        layer.weights.begin() + (g + 1) * rows * k);
    PreparedLayer &group = prepared.groups[g];
    if (prepared.sequential) {
      group.sequential = true;
      group.target = prepared.target.group(g);
      group.stats = &group.target.received;
    } else if (prepared.stats) {
      group.groupStats = prepared.stats->group(g);
      group.stats = &group.groupStats;
    }
    if (failed(prepare(part, group, source)))
      return failure();
  }
  return success();
}

LogicalResult LayerFitter::prepare(const Layer &layer, PreparedLayer &prepared,
                                   StringRef source) const {
  if (layer.groups > 1)
    return prepareGroups(layer, prepared, source);
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
        for (int64_t n = 0; n < layer.rows && !target.residualCross.empty();
             ++n)
          rotation.apply(target.residualCross.data() + n * k);
      } else {
        prepared.rotatedStats = *prepared.stats;
        rotateStatistics(rotation, prepared.rotatedStats);
        prepared.stats = &prepared.rotatedStats;
      }
    }
  }
  if (prepared.stats && failed(prepareStatistics(layer, prepared, source)))
    return failure();
  if (settings_.salient > 0)
    prepared.salientColumns = q::salientColumns(
        prepared.fitted(layer), prepared.h(), settings_.salient);
  return success();
}

LogicalResult LayerFitter::prepareStatistics(const Layer &layer,
                                             PreparedLayer &prepared,
                                             StringRef source) const {
  int64_t k = layer.cols;
  const LayerStatistics &stats = *prepared.stats;
  if ((settings_.gptq || settings_.refitScales || settings_.refineCodes) &&
      stats.secondMoment.empty())
    return emitLayerError(layer)
           << (settings_.gptq          ? "gptq"
               : settings_.refitScales ? "refit-scales"
                                       : "refine-codes")
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
    // Block targets: E[d x̃ᵀ] of what the residual stream carries (its
    // mean goes to the bias with bias correction).
    std::vector<double> residualCross =
        settings_.biasCorrection && !target.residualCross.empty()
            ? centered(target.residualCross, target.residualMean, stats.mean)
            : target.residualCross;
    llvm::Expected<std::vector<float>> retargeted = q::retargetWeights(
        prepared.original(layer), cross.data(), prepared.hessian.data(),
        settings_.dampening,
        residualCross.empty() ? nullptr : residualCross.data());
    if (!retargeted)
      return emitLayerError(layer) << llvm::toString(retargeted.takeError());
    prepared.targetWeights = std::move(*retargeted);
  }
  return success();
}

FailureOr<FittedLayer>
LayerFitter::fit(const Layer &layer, const PreparedLayer &prepared,
                 const q::QuantizeOptions &options) const {
  if (!prepared.groups.empty()) {
    std::vector<FittedLayer> parts;
    for (auto [part, group] :
         llvm::zip_equal(prepared.groupLayers, prepared.groups)) {
      FailureOr<FittedLayer> fitted = fit(part, group, options);
      if (failed(fitted))
        return failure();
      parts.push_back(std::move(*fitted));
    }
    return concatenateRows(parts);
  }
  q::MatrixRef w = prepared.fitted(layer);
  // The salient columns are the correction's: the fit sees them as zero,
  // so that they do not set the scales of the rest.
  std::vector<float> withoutSalient;
  if (!prepared.salientColumns.empty()) {
    withoutSalient.assign(w.data, w.data + w.rows * w.cols);
    for (int64_t r = 0; r < w.rows; ++r)
      for (int64_t c : prepared.salientColumns)
        withoutSalient[r * w.cols + c] = 0;
    w = q::MatrixRef{withoutSalient.data(), w.rows, w.cols};
  }
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
  // The codes are then chosen for the scales as stored.
  if (settings_.refineCodes)
    q::refineCodes(w, prepared.hessian.data(), settings_.dampening,
                   settings_.refineCodes, forLayer.signedZeros, *result);
  FittedLayer fitted;
  fitted.weights = std::move(*result);
  FailureOr<q::Correction> correction =
      correct(layer, prepared, fitted.weights);
  if (failed(correction))
    return failure();
  fitted.correction = std::move(*correction);
  fitted.bias = bias(layer, prepared, fitted);
  return fitted;
}

FailureOr<q::Correction>
LayerFitter::correct(const Layer &layer, const PreparedLayer &prepared,
                     const q::TernaryWeights &weights) const {
  if (prepared.salientColumns.empty() && settings_.lowRank == 0)
    return q::Correction();
  // The residual against what the fit approximates, salient columns
  // included.
  q::MatrixRef w = prepared.fitted(layer);
  std::vector<float> residual = weights.dequantize();
  for (int64_t i = 0, e = w.rows * w.cols; i < e; ++i)
    residual[i] = w.data[i] - residual[i];
  q::CorrectionOptions options;
  options.rank = settings_.lowRank;
  options.format = settings_.correctionFormat;
  options.weight = settings_.lowRankWeight;
  options.h = prepared.h();
  options.hessian =
      prepared.hessian.empty() ? nullptr : prepared.hessian.data();
  options.dampening = settings_.dampening;
  if (options.rank && options.weight == q::LowRankWeight::Hessian &&
      !options.hessian)
    return emitLayerError(layer)
           << "low-rank-weight=hessian needs second moments (run "
              "tern-calibrate with second-moment=1)";
  llvm::Expected<q::Correction> correction =
      q::fitCorrection(q::MatrixRef{residual.data(), w.rows, w.cols},
                       prepared.salientColumns, options);
  if (!correction)
    return emitLayerError(layer) << llvm::toString(correction.takeError());
  return std::move(*correction);
}

std::vector<float> LayerFitter::bias(const Layer &layer,
                                     const PreparedLayer &prepared,
                                     const FittedLayer &fitted) const {
  std::vector<float> bias;
  if (!settings_.deadZoneBias && !settings_.biasCorrection)
    return bias;
  q::MatrixRef w = prepared.fitted(layer);
  const q::TernaryWeights &weights = fitted.weights;
  std::vector<float> mean(prepared.stats->mean.begin(),
                          prepared.stats->mean.end());
  if (!settings_.biasCorrection)
    return q::deadZoneBias(w, weights, mean.data());
  bias = q::meanErrorBias(w, weights, mean.data());
  if (!fitted.correction.empty()) {
    // - C E[x]: the correction's share of the mean error.
    std::vector<float> c(layer.rows * layer.cols, 0.0f);
    fitted.correction.addTo(c.data());
    for (int64_t n = 0; n < layer.rows; ++n) {
      double sum = 0;
      for (int64_t k = 0; k < layer.cols; ++k)
        sum += double(c[n * layer.cols + k]) * prepared.stats->mean[k];
      bias[n] -= float(sum);
    }
  }
  if (!prepared.targetWeights.empty()) {
    // + W E[x] - W* E[x̃]: what the target itself leaves.
    const std::vector<double> &floatMean = prepared.target.floatMean;
    q::MatrixRef original = prepared.original(layer);
    for (int64_t n = 0; n < layer.rows; ++n) {
      double sum = 0;
      for (int64_t c = 0; c < layer.cols; ++c)
        sum += double(original.row(n)[c]) * floatMean[c] -
               double(w.row(n)[c]) * prepared.stats->mean[c];
      // + E[r − r̃]: the residual stream's mean error (block targets).
      if (!prepared.target.residualMean.empty())
        sum += prepared.target.residualMean[n];
      bias[n] += float(sum);
    }
  }
  return bias;
}
