//===- TernarizeReport.cpp - what tern-ternarize reports ------------------===//
//
// This file implements tern-ternarize's report.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/TernarizeReport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;

namespace {

/// The moments a layer's output error is computed from: of the float
/// model's activations x and of the activations x̃ the layer receives (the
/// same statistics unless the calibration was sequential).
struct OutputMoments {
  const double *floatSecond;    ///< E[x xᵀ]
  const double *cross;          ///< E[x x̃ᵀ]
  const double *receivedSecond; ///< E[x̃ x̃ᵀ]
  const double *floatMean;      ///< E[x]
  const double *receivedMean;   ///< E[x̃]
};

/// The cosine similarity of the float layer's y = W x and the ternary
/// layer's ŷ = Ŵ x̃ + b: per output channel n, E[y ŷ] = wᵀ C ŵ + b wᵀ μ,
/// E[y²] = wᵀ S w, E[ŷ²] = ŵᵀ H̃ ŵ + 2 b ŵᵀ μ̃ + b², summed over n.
double outputCosine(q::MatrixRef w, const std::vector<float> &approx,
                    const OutputMoments &moments, ArrayRef<float> bias) {
  int64_t k = w.cols;
  double cross = 0, exact = 0, approximate = 0;
  auto quadratic = [k](const double *m, const float *a, const float *b) {
    double sum = 0;
    for (int64_t i = 0; i < k; ++i) {
      const double *row = m + i * k;
      double acc = 0;
      for (int64_t j = 0; j < k; ++j)
        acc += row[j] * b[j];
      sum += a[i] * acc;
    }
    return sum;
  };
  for (int64_t n = 0; n < w.rows; ++n) {
    const float *wn = w.row(n);
    const float *an = approx.data() + n * k;
    double b = bias.empty() ? 0.0 : bias[n], wMu = 0, aMu = 0;
    for (int64_t i = 0; i < k; ++i) {
      wMu += wn[i] * moments.floatMean[i];
      aMu += an[i] * moments.receivedMean[i];
    }
    cross += quadratic(moments.cross, wn, an) + b * wMu;
    exact += quadratic(moments.floatSecond, wn, wn);
    approximate +=
        quadratic(moments.receivedSecond, an, an) + 2 * b * aMu + b * b;
  }
  double denominator = std::sqrt(exact * approximate);
  return denominator > 0 ? cross / denominator : std::nan("");
}

} // namespace

LayerReport mlir::tern::reportLayer(const Layer &layer,
                                    const PreparedLayer &prepared,
                                    const FittedLayer &fitted,
                                    q::Packing packing, double damage) {
  q::MatrixRef w = prepared.original(layer);
  const q::TernaryWeights &weights = fitted.weights;
  const q::Correction &correction = fitted.correction;
  LayerReport report;
  report.name = layer.name;
  report.rows = layer.rows;
  report.cols = layer.cols;
  report.planes = weights.planes;
  report.groupSize = weights.groupSize;
  report.error = q::measure(w, prepared.h(), weights, packing);
  report.rotated = prepared.rotation.has_value();
  // Ŵ + C, in the space the fit worked in.
  std::vector<float> approximation = weights.dequantize();
  if (!correction.empty()) {
    correction.addTo(approximation.data());
    q::ErrorReport corrected =
        q::measureApproximation(w, prepared.h(), approximation.data());
    report.error.relativeError = corrected.relativeError;
    report.error.weightedError = corrected.weightedError;
    report.error.bitsPerWeight +=
        correction.storedBits() / double(layer.rows * layer.cols);
    report.salientColumns = int64_t(correction.columns.size());
    report.rank = correction.rank();
  }
  if (prepared.stats && !prepared.stats->secondMoment.empty()) {
    const LayerStatistics &stats = *prepared.stats;
    const TargetStatistics &target = prepared.target;
    OutputMoments moments = {
        stats.secondMoment.data(), stats.secondMoment.data(),
        stats.secondMoment.data(), stats.mean.data(), stats.mean.data()};
    if (prepared.sequential)
      moments = {target.floatSecondMoment.data(), target.crossMoment.data(),
                 stats.secondMoment.data(), target.floatMean.data(),
                 stats.mean.data()};
    report.outputCosine = outputCosine(w, approximation, moments, fitted.bias);
  }
  report.modelCosine = 1 - damage;
  return report;
}

/// The report as JSON (per layer and totals) to `path`, and as a table on
/// stderr.
LogicalResult mlir::tern::writeReport(Operation *root, StringRef path,
                                      StringRef method,
                                      ArrayRef<LayerReport> layers,
                                      ArrayRef<std::string> floatLayers,
                                      double modelBytes) {
  llvm::json::Array entries;
  double floatBytes = 0, packedBytes = 0;
  // Kept layers show their format in the planes column.
  llvm::errs() << llvm::format("%-32s %6s %6s %6s %6s %7s %9s %9s %8s\n",
                               "layer", "N", "K", "planes", "group", "bits/w",
                               "rel.error", "h.error", "cosine");
  auto optional = [](double value) -> llvm::json::Value {
    if (std::isnan(value))
      return nullptr;
    return value;
  };
  for (const LayerReport &layer : layers) {
    double weights = static_cast<double>(layer.rows) * layer.cols;
    floatBytes += 4 * weights;
    packedBytes += layer.error.bitsPerWeight * weights / 8;
    std::string planes =
        layer.kept.empty() ? std::to_string(layer.planes) : layer.kept;
    llvm::errs() << llvm::format(
        "%-32s %6lld %6lld %6s %6lld %7.3f %9.4f %9.4f %8.5f\n",
        layer.name.c_str(), static_cast<long long>(layer.rows),
        static_cast<long long>(layer.cols), planes.c_str(),
        static_cast<long long>(layer.groupSize), layer.error.bitsPerWeight,
        layer.error.relativeError, layer.error.weightedError,
        layer.outputCosine);
    entries.push_back(llvm::json::Object{
        {"name", layer.name},
        {"rows", layer.rows},
        {"cols", layer.cols},
        {"method", layer.kept.empty() ? method : StringRef("kept")},
        {"format",
         layer.kept.empty() ? StringRef("ternary") : StringRef(layer.kept)},
        {"table", layer.table},
        {"rotated", layer.rotated},
        {"salient_columns", layer.salientColumns},
        {"low_rank", layer.rank},
        {"planes", layer.planes},
        {"group_size", layer.groupSize},
        {"bits_per_weight", layer.error.bitsPerWeight},
        {"relative_error", layer.error.relativeError},
        {"weighted_error", layer.error.weightedError},
        {"output_cosine", optional(layer.outputCosine)},
        {"model_output_cosine", optional(layer.modelCosine)},
        {"zero_fraction", layer.error.zeroFraction},
    });
  }
  double after = modelBytes - floatBytes + packedBytes;
  llvm::errs() << llvm::format(
      "%zu layers: %.0f float bytes -> %.0f bytes (%.1fx smaller); model "
      "constants %.0f -> %.0f bytes\n",
      layers.size(), floatBytes, packedBytes,
      packedBytes > 0 ? floatBytes / packedBytes : 0.0, modelBytes, after);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return mlir::emitError(root->getLoc(),
                           "tern-ternarize: cannot write the report '")
           << path << "': " << ec.message();
  os << llvm::formatv("{0:2}\n",
                      llvm::json::Value(llvm::json::Object{
                          {"layers", std::move(entries)},
                          {"float_bytes", floatBytes},
                          {"ternary_bytes", packedBytes},
                          {"model_bytes_before", modelBytes},
                          {"model_bytes_after", after},
                          {"float_layers", llvm::json::Array(floatLayers)},
                      }));
  return success();
}

/// Bytes of every float constant in `module` (the model's weights).
double mlir::tern::constantBytes(ModuleOp module) {
  double bytes = 0;
  module.walk([&](arith::ConstantOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (type && type.hasStaticShape() && type.getElementType().isIntOrFloat())
      bytes += double(type.getNumElements()) *
               double(type.getElementTypeBitWidth()) / 8;
  });
  return bytes;
}
