//===- TernarizeReport.cpp - what tern-ternarize reports ------------------===//
//
// This file implements tern-ternarize's report.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/TernarizeReport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

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

/// The sums whose ratio is the cosine similarity of the float layer's
/// y = W x and the ternary layer's ŷ = Ŵ x̃ + b: per output channel n,
/// E[y ŷ] = wᵀ C ŵ + b wᵀ μ, E[y²] = wᵀ S w, E[ŷ²] = ŵᵀ H̃ ŵ + 2 b ŵᵀ μ̃ + b²,
/// summed over n.
struct CosineSums {
  double cross = 0, exact = 0, approximate = 0;

  double cosine() const {
    double denominator = std::sqrt(exact * approximate);
    return denominator > 0 ? cross / denominator : std::nan("");
  }
};

/// Adds the rows of `w` (approximated by `approx`, plus `bias` unless it
/// is empty) to `sums`.
void addOutputMoments(q::MatrixRef w, const float *approx,
                      const OutputMoments &moments, const float *bias,
                      CosineSums &sums) {
  int64_t k = w.cols;
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
    const float *an = approx + n * k;
    double b = bias ? bias[n] : 0.0, wMu = 0, aMu = 0;
    for (int64_t i = 0; i < k; ++i) {
      wMu += wn[i] * moments.floatMean[i];
      aMu += an[i] * moments.receivedMean[i];
    }
    sums.cross += quadratic(moments.cross, wn, an) + b * wMu;
    sums.exact += quadratic(moments.floatSecond, wn, wn);
    sums.approximate +=
        quadratic(moments.receivedSecond, an, an) + 2 * b * aMu + b * b;
  }
}

/// The output moments of a prepared layer (of one group) with second
/// moments, or nothing.
std::optional<OutputMoments> outputMoments(const PreparedLayer &prepared) {
  if (!prepared.stats || prepared.stats->secondMoment.empty())
    return std::nullopt;
  const LayerStatistics &stats = *prepared.stats;
  const TargetStatistics &target = prepared.target;
  if (prepared.sequential)
    return OutputMoments{target.floatSecondMoment.data(),
                         target.crossMoment.data(), stats.secondMoment.data(),
                         target.floatMean.data(), stats.mean.data()};
  return OutputMoments{stats.secondMoment.data(), stats.secondMoment.data(),
                       stats.secondMoment.data(), stats.mean.data(),
                       stats.mean.data()};
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
  // A grouped layer's groups each against their own statistics.
  CosineSums sums;
  bool measured = true;
  const float *bias = fitted.bias.empty() ? nullptr : fitted.bias.data();
  if (prepared.groups.empty()) {
    std::optional<OutputMoments> moments = outputMoments(prepared);
    if ((measured = moments.has_value()))
      addOutputMoments(w, approximation.data(), *moments, bias, sums);
  }
  int64_t row = 0;
  for (auto [part, group] :
       llvm::zip_equal(prepared.groupLayers, prepared.groups)) {
    std::optional<OutputMoments> moments = outputMoments(group);
    if (!(measured = measured && moments.has_value()))
      break;
    addOutputMoments(group.original(part),
                     approximation.data() + row * layer.cols, *moments,
                     bias ? bias + row : nullptr, sums);
    row += part.rows;
  }
  if (measured)
    report.outputCosine = sums.cosine();
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
