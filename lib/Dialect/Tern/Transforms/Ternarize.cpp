//===- Ternarize.cpp - float matmuls to tern.matmul -----------------------===//
//
// This file implements tern-ternarize: linalg.matmul ops whose weights are
// float constants are rewritten into tern.matmul on weights ternarized by
// the numerics library.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Transforms/Passes.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/IR/TernTypes.h"
#include "tern/Dialect/Tern/Transforms/Calibration.h"
#include "tern/Dialect/Tern/Transforms/Layers.h"
#include "tern/Quant/Packing.h"
#include "tern/Quant/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNARIZE
#include "tern/Dialect/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;

namespace {

/// `value`, plus `accumulator` unless that is null.
Value accumulate(OpBuilder &b, Location loc, Value value, Value accumulator) {
  if (!accumulator)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::AddOp::create(b, loc, ValueRange{value, accumulator},
                               ValueRange{init})
      .getResult(0);
}

/// What the report says about one layer.
struct LayerReport {
  std::string name;
  int64_t rows, cols, planes, groupSize;
  q::ErrorReport error;
  /// Cosine similarity of the layer's float and ternary outputs on the
  /// calibration data (needs E[x xᵀ]), or NaN.
  double outputCosine = std::nan("");
};

/// The cosine similarity of y = x Wᵀ and ŷ = x Ŵᵀ + b over activations with
/// moments E[x] = `mean` and E[x xᵀ] = `secondMoment` (K x K): per output
/// channel n, E[y ŷ] = wᵀ S ŵ + b wᵀ μ, E[ŷ²] = ŵᵀ S ŵ + 2 b ŵᵀ μ + b²,
/// summed over n.
double outputCosine(q::MatrixRef w, const std::vector<float> &approx,
                    const LayerStatistics &stats,
                    const std::vector<float> &bias) {
  int64_t k = w.cols;
  double cross = 0, exact = 0, approximate = 0;
  std::vector<double> sw(k), sa(k);
  for (int64_t n = 0; n < w.rows; ++n) {
    const float *wn = w.row(n);
    const float *an = approx.data() + n * k;
    for (int64_t i = 0; i < k; ++i) {
      const double *row = stats.secondMoment.data() + i * k;
      double accW = 0, accA = 0;
      for (int64_t j = 0; j < k; ++j) {
        accW += row[j] * wn[j];
        accA += row[j] * an[j];
      }
      sw[i] = accW;
      sa[i] = accA;
    }
    double b = bias.empty() ? 0.0 : bias[n], wMu = 0, aMu = 0;
    for (int64_t i = 0; i < k; ++i) {
      cross += wn[i] * sa[i];
      exact += wn[i] * sw[i];
      approximate += an[i] * sa[i];
      wMu += wn[i] * stats.mean[i];
      aMu += an[i] * stats.mean[i];
    }
    cross += b * wMu;
    approximate += 2 * b * aMu + b * b;
  }
  double denominator = std::sqrt(exact * approximate);
  return denominator > 0 ? cross / denominator : std::nan("");
}

/// The report as JSON (per layer and totals) to `path`, and as a table on
/// stderr.
LogicalResult writeReport(Operation *root, StringRef path, StringRef method,
                          ArrayRef<LayerReport> layers, double modelBytes) {
  llvm::json::Array entries;
  double floatBytes = 0, packedBytes = 0;
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
    llvm::errs() << llvm::format(
        "%-32s %6lld %6lld %6lld %6lld %7.3f %9.4f %9.4f %8.5f\n",
        layer.name.c_str(), static_cast<long long>(layer.rows),
        static_cast<long long>(layer.cols),
        static_cast<long long>(layer.planes),
        static_cast<long long>(layer.groupSize), layer.error.bitsPerWeight,
        layer.error.relativeError, layer.error.weightedError,
        layer.outputCosine);
    entries.push_back(llvm::json::Object{
        {"name", layer.name},
        {"rows", layer.rows},
        {"cols", layer.cols},
        {"method", method},
        {"planes", layer.planes},
        {"group_size", layer.groupSize},
        {"bits_per_weight", layer.error.bitsPerWeight},
        {"relative_error", layer.error.relativeError},
        {"weighted_error", layer.error.weightedError},
        {"output_cosine", optional(layer.outputCosine)},
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
    return root->emitError("tern-ternarize: cannot write the report '")
           << path << "': " << ec.message();
  os << llvm::formatv("{0:2}\n", llvm::json::Value(llvm::json::Object{
                                     {"layers", std::move(entries)},
                                     {"float_bytes", floatBytes},
                                     {"ternary_bytes", packedBytes},
                                     {"model_bytes_before", modelBytes},
                                     {"model_bytes_after", after},
                                 }));
  return success();
}

/// Bytes of every float constant in `module` (the model's weights).
double constantBytes(ModuleOp module) {
  double bytes = 0;
  module.walk([&](arith::ConstantOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (type && type.hasStaticShape() && type.getElementType().isIntOrFloat())
      bytes += double(type.getNumElements()) *
               double(type.getElementTypeBitWidth()) / 8;
  });
  return bytes;
}

/// Where statistics come from, for messages.
constexpr llvm::StringLiteral kNeedsStats =
    "(stats=FILE, or tern-calibrate earlier in the pipeline)";

struct TernarizePass : public mlir::tern::impl::TernarizeBase<TernarizePass> {
  using Base::Base;

  /// Reads the options into library options; on failure reports why.
  LogicalResult readOptions(q::QuantizeOptions &options, Type &codeType,
                            bool haveStats) {
    MLIRContext *ctx = &getContext();
    auto fail = [&](const Twine &message) {
      return getOperation().emitError("tern-ternarize: ") << message;
    };
    codeType = mlir::tern::TritType::get(ctx);
    if (method == "bt" || method == "szt" || method == "tequila") {
      options.method = q::Method::Threshold;
      std::optional<q::Threshold> rule =
          llvm::StringSwitch<std::optional<q::Threshold>>(threshold)
              .Case("sigma", q::Threshold::Sigma)
              .Case("twn", q::Threshold::TWN)
              .Case("absmean", q::Threshold::AbsMean)
              .Case("mse", q::Threshold::MSE)
              .Case("calibrated", q::Threshold::Calibrated)
              .Default(std::nullopt);
      if (!rule)
        return fail("unknown threshold '" + threshold +
                    "' (expected sigma, twn, absmean, mse or calibrated)");
      if (*rule == q::Threshold::Calibrated && !haveStats)
        return fail("threshold=calibrated needs calibration statistics " +
                    kNeedsStats);
      options.threshold = *rule;
      if (method == "szt") {
        options.signedZeros = true;
        codeType = mlir::tern::SZTType::get(ctx);
      }
      if (method == "tequila" && !haveStats)
        return fail("method=tequila needs calibration statistics for its "
                    "bias " +
                    kNeedsStats);
    } else if (method == "ptqtp") {
      if (planes < 1 || planes > q::kMaxPlanes)
        return fail("planes must be between 1 and " + Twine(q::kMaxPlanes) +
                    ", got " + Twine(planes));
      options.method = q::Method::TritPlanes;
      options.tritPlanes.planes = static_cast<int>(planes);
    } else if (method == "dlt") {
      options.method = q::Method::ScaleShift;
    } else {
      return fail("unknown method '" + method +
                  "' (expected bt, szt, tequila, ptqtp or dlt)");
    }
    if (groupSize < 0)
      return fail("group-size must be >= 0, got " + Twine(groupSize));
    if (biasCorrection && !haveStats)
      return fail("bias-correction needs calibration statistics " +
                  kNeedsStats);
    if (gptq && !haveStats)
      return fail("gptq needs calibration statistics with second moments " +
                  kNeedsStats);
    if (!(dampening > 0))
      return fail("dampening must be > 0, got " +
                  std::to_string(dampening.getValue()));
    options.granularity =
        groupSize ? q::Granularity::Group : q::Granularity::Channel;
    options.groupSize = groupSize;
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Statistics: the file named, or what tern-calibrate left on the module
    // (consumed here).
    Calibration calibration;
    std::string error, source;
    auto attached = module->getAttrOfType<DictionaryAttr>(kCalibrationAttrName);
    if (!stats.empty()) {
      source = "'" + stats + "'";
      if (!readCalibration(stats, calibration, error)) {
        module.emitError("tern-ternarize: ") << error;
        return signalPassFailure();
      }
    } else if (attached) {
      source = "the module's " + kCalibrationAttrName.str();
      if (!calibrationFromAttr(attached, calibration, error)) {
        module.emitError("tern-ternarize: ") << error;
        return signalPassFailure();
      }
      module->removeAttr(kCalibrationAttrName);
    }
    bool haveStats = !source.empty();
    q::QuantizeOptions options;
    Type codeType;
    if (failed(readOptions(options, codeType, haveStats)))
      return signalPassFailure();
    llvm::Regex includeRegex(include), excludeRegex(exclude);
    if ((!include.empty() && !includeRegex.isValid(error)) ||
        (!exclude.empty() && !excludeRegex.isValid(error))) {
      module.emitError("tern-ternarize: bad include or exclude regular "
                       "expression: ")
          << error;
      return signalPassFailure();
    }
    double modelBytes = constantBytes(module);
    std::vector<Layer> layers = findLayers(module, /*readWeights=*/true);
    IRRewriter rewriter(&getContext());
    SmallVector<LayerReport> reports;
    for (Layer &layer : layers) {
      const std::string &name = layer.name;
      Operation *op = layer.op;
      auto fail = [&](const Twine &message) {
        op->emitError("tern-ternarize: layer '") << name << "': " << message;
        signalPassFailure();
      };
      if ((!include.empty() && !includeRegex.match(name)) ||
          (!exclude.empty() && excludeRegex.match(name)))
        continue;
      int64_t n = layer.rows, k = layer.cols;
      q::MatrixRef w = {layer.weights.data(), n, k};
      if (!q::validateOptions(options, n, k, &error))
        return fail(error);

      // Importance of the columns: E[x²] from the statistics.
      const LayerStatistics *layerStats = nullptr;
      std::vector<float> importance;
      if (haveStats) {
        auto it = calibration.layers.find(name);
        if (it == calibration.layers.end())
          return fail("no calibration statistics for it in " + source +
                      " (calibrated on another model?)");
        layerStats = &it->second;
        if (layerStats->channels != k)
          return fail("its statistics have " + Twine(layerStats->channels) +
                      " channels, the layer has K = " + Twine(k));
        if (gptq && layerStats->secondMoment.empty())
          return fail("gptq needs second moments, and " + source +
                      " has none (run tern-calibrate with second-moment=1)");
        double meanImportance = 0;
        for (double v : layerStats->meanSquare)
          meanImportance += v / double(k);
        // A column no calibration input reached still counts a little, so
        // that no group is fitted to nothing.
        for (double v : layerStats->meanSquare)
          importance.push_back(
              float(std::max(v, 1e-6 * meanImportance + 1e-30)));
      }
      const float *h = importance.empty() ? nullptr : importance.data();

      std::optional<q::TernaryWeights> fit;
      if (gptq) {
        q::ErrorFeedbackOptions feedback;
        feedback.dampening = dampening;
        fit = q::quantizeWithErrorFeedback(w, layerStats->secondMoment.data(),
                                           options, feedback, &error);
      } else {
        fit = q::quantize(w, h, options, &error);
      }
      if (!fit)
        return fail(error);
      std::vector<float> bias;
      if (method == "tequila" || biasCorrection) {
        std::vector<float> mean(layerStats->mean.begin(),
                                layerStats->mean.end());
        bias = biasCorrection ? q::meanErrorBias(w, *fit, mean.data())
                              : q::deadZoneBias(w, *fit, mean.data());
      }
      std::vector<uint8_t> bytes(
          q::packedBytes(q::Packing::SignMagnitude, fit->planes * n, k));
      if (!q::pack(q::Packing::SignMagnitude, fit->codes.data(),
                   fit->planes * n, k, bytes.data(), &error))
        return fail(error);

      SmallVector<int64_t> codesShape = {n, k};
      SmallVector<int64_t> scalesShape = {n, fit->groups()};
      if (fit->planes > 1) {
        codesShape.insert(codesShape.begin(), fit->planes);
        scalesShape.insert(scalesShape.begin(), fit->planes);
      }
      Location loc = op->getLoc();
      rewriter.setInsertionPoint(op);
      auto codes = mlir::tern::ConstantOp::create(
          rewriter, loc, RankedTensorType::get(codesShape, codeType),
          mlir::tern::PackingKind::SignMagnitude, name + ".codes", bytes);
      auto f32 = rewriter.getF32Type();
      auto constant = [&](ArrayRef<int64_t> shape, ArrayRef<float> values) {
        return arith::ConstantOp::create(
            rewriter, loc,
            DenseElementsAttr::get(RankedTensorType::get(shape, f32), values));
      };
      Value scales = constant(scalesShape, fit->scales);
      Value shifts, biasValue;
      if (!fit->shifts.empty())
        shifts = constant({n, fit->groups()}, fit->shifts);
      if (!bias.empty())
        biasValue = constant({n}, bias);
      Value activations = layer.activations(rewriter);
      int64_t m = cast<RankedTensorType>(activations.getType()).getDimSize(0);
      Value products = mlir::tern::MatmulOp::create(
          rewriter, loc, RankedTensorType::get({m, n}, f32), activations, codes,
          scales, shifts, biasValue,
          rewriter.getI64IntegerAttr(fit->groupSize));
      rewriter.replaceOp(op, accumulate(rewriter, loc,
                                        layer.outputs(rewriter, products),
                                        layer.accumulator));

      LayerReport report{name,
                         n,
                         k,
                         fit->planes,
                         fit->groupSize,
                         q::measure(w, h, *fit, q::Packing::SignMagnitude)};
      if (layerStats && !layerStats->secondMoment.empty())
        report.outputCosine =
            outputCosine(w, fit->dequantize(), *layerStats, bias);
      reports.push_back(std::move(report));
    }
    if (!report.empty() &&
        failed(writeReport(module, report, method, reports, modelBytes)))
      return signalPassFailure();
  }
};

} // namespace
