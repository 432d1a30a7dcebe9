//===- Ternarize.cpp - float matmuls to tern.matmul -----------------------===//
//
// This file implements tern-ternarize: linalg.matmul ops whose weights are
// float constants are rewritten into tern.matmul on weights ternarized by
// the numerics library.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Passes.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/IR/TernTypes.h"
#include "tern/Quant/Packing.h"
#include "tern/Quant/Quantize.h"
#include "tern/Quantization/Allocation.h"
#include "tern/Quantization/Calibration.h"
#include "tern/Quantization/Layers.h"
#include "tern/Quantization/ModelEvaluator.h"
#include "tern/Quantization/Probe.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/PassManager.h"
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
#include "tern/Quantization/Passes.h.inc"
} // namespace mlir::tern

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

/// What the report says about one layer.
struct LayerReport {
  std::string name;
  int64_t rows, cols, planes, groupSize;
  q::ErrorReport error;
  /// Cosine similarity of the layer's float and ternary outputs on the
  /// calibration data (needs E[x xᵀ]), or NaN.
  double outputCosine = std::nan("");
  /// Cosine similarity of the model's outputs with only this layer
  /// ternarized and the float model's (measured by allocation), or NaN.
  double modelCosine = std::nan("");
};

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
                    const OutputMoments &moments,
                    const std::vector<float> &bias) {
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

/// The report as JSON (per layer and totals) to `path`, and as a table on
/// stderr.
LogicalResult writeReport(Operation *root, StringRef path, StringRef method,
                          ArrayRef<LayerReport> layers,
                          ArrayRef<std::string> floatLayers,
                          double modelBytes) {
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
      return mlir::emitError(getOperation().getLoc(), "tern-ternarize: ")
             << message;
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
    } else if (method == "sherry") {
      options.method = q::Method::Sherry;
    } else if (method == "dlt") {
      options.method = q::Method::ScaleShift;
    } else {
      return fail("unknown method '" + method +
                  "' (expected bt, szt, tequila, ptqtp, dlt or sherry)");
    }
    if (groupSize < 0)
      return fail("group-size must be >= 0, got " + Twine(groupSize));
    if (biasCorrection && !haveStats)
      return fail("bias-correction needs calibration statistics " +
                  kNeedsStats);
    if (gptq && !haveStats)
      return fail("gptq needs calibration statistics with second moments " +
                  kNeedsStats);
    if (refitScales && !haveStats)
      return fail("refit-scales needs calibration statistics with second "
                  "moments " +
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
        mlir::emitError(module.getLoc(), "tern-ternarize: ") << error;
        return signalPassFailure();
      }
    } else if (attached) {
      source = "the module's " + kCalibrationAttrName.str();
      if (!calibrationFromAttr(attached, calibration, error)) {
        mlir::emitError(module.getLoc(), "tern-ternarize: ") << error;
        return signalPassFailure();
      }
      module->removeAttr(kCalibrationAttrName);
    }
    if ((sequential || bits != 0) && calibrationInputs.empty()) {
      mlir::emitError(module.getLoc(), "tern-ternarize: ")
          << (sequential ? "sequential" : "bits") << " needs calibration=DIR";
      return signalPassFailure();
    }
    if (sequential && bits != 0) {
      mlir::emitError(module.getLoc(),
                      "tern-ternarize: bits and sequential do not combine "
                      "(allocation measures every layer on the float model)");
      return signalPassFailure();
    }
    if (bits < 0 || (bits != 0 && method != "ptqtp")) {
      mlir::emitError(module.getLoc(),
                      "tern-ternarize: bits= allocates ptqtp planes: it needs "
                      "method=ptqtp and a budget > 0");
      return signalPassFailure();
    }
    // Sequential fitting and allocation run the model on calibration
    // inputs: through the evaluator the tool registered.
    ModelEvaluator *evaluator = nullptr;
    if (sequential || bits != 0) {
      evaluator = lookupModelEvaluator(
          module.getLoc(), sequential ? "tern-ternarize: sequential=true"
                                      : "tern-ternarize: bits=");
      if (!evaluator)
        return signalPassFailure();
    }
    if (sequential) {
      if (!source.empty()) {
        mlir::emitError(module.getLoc(),
                        "tern-ternarize: sequential calibrates as it goes; "
                        "it takes no other statistics (")
            << source << ")";
        return signalPassFailure();
      }
      source = "the sequential calibration";
    }
    bool haveStats = !source.empty();
    q::QuantizeOptions options;
    Type codeType;
    if (failed(readOptions(options, codeType, haveStats)))
      return signalPassFailure();
    llvm::Regex includeRegex(include), excludeRegex(exclude);
    if ((!include.empty() && !includeRegex.isValid(error)) ||
        (!exclude.empty() && !excludeRegex.isValid(error))) {
      mlir::emitError(module.getLoc(),
                      "tern-ternarize: bad include or exclude regular "
                      "expression: ")
          << error;
      return signalPassFailure();
    }
    // Sherry's codes keep their 3:4 structure in 1.25 bits per weight;
    // every other method's in 2-bit sign/magnitude codes.
    bool sherry = options.method == q::Method::Sherry;
    q::Packing packing =
        sherry ? q::Packing::Sherry : q::Packing::SignMagnitude;
    PackingKind packingKind =
        sherry ? PackingKind::Sherry : PackingKind::SignMagnitude;
    double modelBytes = constantBytes(module);
    // Weights are read one layer at a time, as it is fitted, and dropped
    // once it is rewritten: a model's float weights are never all copied.
    std::vector<Layer> layers = findLayers(module, /*readWeights=*/false);
    std::vector<Layer *> selected;
    for (Layer &layer : layers)
      if ((include.empty() || includeRegex.match(layer.name)) &&
          (exclude.empty() || !excludeRegex.match(layer.name)))
        selected.push_back(&layer);
    IRRewriter rewriter(&getContext());
    SmallVector<LayerReport> reports;
    std::vector<std::string> floatLayers;

    // Sequential calibration: the model compiled once with every selected
    // layer on argument weights; `current` holds the weights of the
    // partly ternarized model, `floatWeights` the float model's.
    std::unique_ptr<ProbeModel> probe;
    std::vector<ProbeWeights> floatWeights, current;
    if (sequential) {
      std::vector<std::string> names;
      for (const Layer *layer : selected)
        names.push_back(layer->name);
      TargetCPU target;
      if (resolveCPU(cpu, target, error))
        probe = ProbeModel::create(*evaluator, module, names,
                                   ProbeModel::Results::Activations,
                                   calibrationInputs, target, error);
      if (!probe) {
        mlir::emitError(module.getLoc(), "tern-ternarize: sequential: ")
            << error;
        return signalPassFailure();
      }
      floatWeights = probe->initialWeights();
      current = floatWeights;
    }
    // The float model's activations do not change: when they fit in
    // kFloatCacheBytes they are computed once per set (and each layer's
    // dropped once it is fitted), else again for every layer.
    constexpr double kFloatCacheBytes = 4.0 * (1 << 30);
    std::vector<std::vector<::tern::support::Array>> floatCache;
    if (probe) {
      double bytes = 0;
      for (size_t i = 0; i < selected.size(); ++i)
        bytes += 4.0 * double(probe->rows(i)) * double(probe->channels(i)) *
                 double(probe->numSets());
      if (bytes <= kFloatCacheBytes) {
        floatCache.resize(probe->numSets());
        for (size_t set = 0; set < probe->numSets(); ++set)
          if (!probe->run(set, floatWeights, floatCache[set], error)) {
            mlir::emitError(module.getLoc(), "tern-ternarize: sequential: ")
                << error;
            return signalPassFailure();
          }
      }
    }

    // What a layer's fit needs: its statistics and column importances.
    struct Prepared {
      /// Of the activations the layer receives.
      const LayerStatistics *stats = nullptr;
      std::vector<float> importance;
      /// What GPTQ and the scale refit minimise the output error under:
      /// E[x xᵀ], or with bias correction (the bias taking the error's
      /// mean) the covariance.
      std::vector<double> hessian;
      /// Sequential: the statistics against the float model, and the
      /// weights whose output on the received activations best matches
      /// the float layer's (retargetWeights).
      TargetStatistics sequential;
      std::vector<float> target;
      const float *h() const {
        return importance.empty() ? nullptr : importance.data();
      }
    };
    auto fail = [&](const Layer &layer, const Twine &message) {
      layer.op->emitError("tern-ternarize: layer '")
          << layer.name << "': " << message;
      signalPassFailure();
      return failure();
    };
    auto readWeights = [&](Layer &layer) -> LogicalResult {
      if (readLayerWeights(layer))
        return success();
      return fail(layer, "its weights cannot be read (an elided or "
                         "non-f32 constant)");
    };
    /// The weights a layer's fit approximates.
    auto fitted = [](const Layer &layer, const Prepared &prepared) {
      return q::MatrixRef{prepared.target.empty() ? layer.weights.data()
                                                  : prepared.target.data(),
                          layer.rows, layer.cols};
    };
    // Runs every calibration set on the float model and on the current one,
    // recording what layer `index` receives against the float model.
    auto observe = [&](size_t index, TargetStatistics &stats) {
      stats.received.channels = probe->channels(index);
      std::vector<::tern::support::Array> x, received;
      bool progress = llvm::errs().is_displayed();
      for (size_t set = 0; set < probe->numSets(); ++set) {
        if (!floatCache.empty())
          std::swap(x, floatCache[set]);
        else if (!probe->run(set, floatWeights, x, error))
          return false;
        if (!probe->run(set, current, received, error))
          return false;
        stats.accumulate(
            probe->rows(index),
            reinterpret_cast<const float *>(x[index].data.data()),
            reinterpret_cast<const float *>(received[index].data.data()));
        if (!floatCache.empty()) {
          x[index] = ::tern::support::Array();
          std::swap(x, floatCache[set]);
        }
      }
      if (progress)
        llvm::errs() << "\rtern-ternarize: sequential: " << index + 1 << "/"
                     << selected.size() << " layers"
                     << (index + 1 == selected.size() ? "\n" : "");
      return true;
    };
    auto centered = [](const std::vector<double> &moment,
                       const std::vector<double> &a,
                       const std::vector<double> &b) {
      std::vector<double> result(moment);
      int64_t k = int64_t(a.size());
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < k; ++j)
          result[i * k + j] -= a[i] * b[j];
      return result;
    };
    auto prepare = [&](const Layer &layer, size_t index, Prepared &prepared) {
      int64_t k = layer.cols;
      if (!q::validateOptions(optionsForWidth(options, k), layer.rows, k,
                              &error))
        return fail(layer, error);
      if (sequential) {
        if (!observe(index, prepared.sequential))
          return fail(layer, "sequential calibration: " + error);
        prepared.stats = &prepared.sequential.received;
      } else if (haveStats) {
        auto it = calibration.layers.find(layer.name);
        if (it == calibration.layers.end())
          return fail(layer, "no calibration statistics for it in " + source +
                                 " (calibrated on another model?)");
        prepared.stats = &it->second;
      } else {
        return success();
      }
      const LayerStatistics &stats = *prepared.stats;
      if (stats.channels != k)
        return fail(layer, "its statistics have " + Twine(stats.channels) +
                               " channels, the layer has K = " + Twine(k));
      if ((gptq || refitScales) && stats.secondMoment.empty())
        return fail(layer,
                    Twine(gptq ? "gptq" : "refit-scales") +
                        " needs second moments, and " + source +
                        " has none (run tern-calibrate with second-moment=1)");
      // Importance of the columns: E[x²]. A column no calibration input
      // reached still counts a little, so that no group is fitted to
      // nothing.
      double meanImportance = 0;
      for (double v : stats.meanSquare)
        meanImportance += v / double(k);
      for (double v : stats.meanSquare)
        prepared.importance.push_back(
            float(std::max(v, 1e-6 * meanImportance + 1e-30)));
      if (!stats.secondMoment.empty())
        prepared.hessian = biasCorrection ? centered(stats.secondMoment,
                                                     stats.mean, stats.mean)
                                          : stats.secondMoment;
      if (sequential) {
        const TargetStatistics &target = prepared.sequential;
        std::vector<double> cross =
            biasCorrection
                ? centered(target.crossMoment, target.floatMean, stats.mean)
                : target.crossMoment;
        std::optional<std::vector<float>> retargeted = q::retargetWeights(
            {layer.weights.data(), layer.rows, k}, cross.data(),
            prepared.hessian.data(), dampening, &error);
        if (!retargeted)
          return fail(layer, error);
        prepared.target = std::move(*retargeted);
      }
      return success();
    };
    auto fit = [&](const Layer &layer, const Prepared &prepared,
                   const q::QuantizeOptions &with)
        -> std::optional<q::TernaryWeights> {
      q::MatrixRef w = fitted(layer, prepared);
      q::QuantizeOptions forLayer = optionsForWidth(with, layer.cols);
      std::optional<q::TernaryWeights> result;
      if (gptq) {
        q::ErrorFeedbackOptions feedback;
        feedback.dampening = dampening;
        result = q::quantizeWithErrorFeedback(w, prepared.hessian.data(),
                                              forLayer, feedback, &error);
      } else {
        result = q::quantize(w, prepared.h(), forLayer, &error);
      }
      if (!result)
        (void)fail(layer, error);
      else if (refitScales)
        q::refitScales(w, prepared.hessian.data(), *result);
      return result;
    };
    // The bias a layer's fit adds: bias correction's expected output error
    // E[W x - Ŵ x̃] (x̃ = x unless sequential), or Tequila's dead-zone term.
    auto biasFor = [&](const Layer &layer, const Prepared &prepared,
                       const q::TernaryWeights &weights) {
      std::vector<float> bias;
      if (method != "tequila" && !biasCorrection)
        return bias;
      q::MatrixRef w = fitted(layer, prepared);
      std::vector<float> mean(prepared.stats->mean.begin(),
                              prepared.stats->mean.end());
      if (!biasCorrection)
        return q::deadZoneBias(w, weights, mean.data());
      bias = q::meanErrorBias(w, weights, mean.data());
      if (!prepared.target.empty()) {
        // + W E[x] - W* E[x̃]: what the target itself leaves.
        const std::vector<double> &floatMean = prepared.sequential.floatMean;
        for (int64_t n = 0; n < layer.rows; ++n) {
          double sum = 0;
          for (int64_t c = 0; c < layer.cols; ++c)
            sum += double(layer.weights[n * layer.cols + c]) * floatMean[c] -
                   double(w.row(n)[c]) * prepared.stats->mean[c];
          bias[n] += float(sum);
        }
      }
      return bias;
    };
    auto rewrite = [&](Layer &layer, const Prepared &prepared,
                       const q::TernaryWeights &weights,
                       const std::vector<float> &bias, double damage) {
      const std::string &name = layer.name;
      Operation *op = layer.op;
      int64_t n = layer.rows, k = layer.cols;
      q::MatrixRef w = {layer.weights.data(), n, k};
      std::vector<uint8_t> bytes(
          q::packedBytes(packing, weights.planes * n, k));
      if (!q::pack(packing, weights.codes.data(), weights.planes * n, k,
                   bytes.data(), &error))
        return fail(layer, error);

      SmallVector<int64_t> codesShape = {n, k};
      SmallVector<int64_t> scalesShape = {n, weights.groups()};
      if (weights.planes > 1) {
        codesShape.insert(codesShape.begin(), weights.planes);
        scalesShape.insert(scalesShape.begin(), weights.planes);
      }
      Location loc = op->getLoc();
      rewriter.setInsertionPoint(op);
      auto codes = mlir::tern::ConstantOp::create(
          rewriter, loc, RankedTensorType::get(codesShape, codeType),
          packingKind, name + ".codes", bytes);
      auto f32 = rewriter.getF32Type();
      auto constant = [&](ArrayRef<int64_t> shape, ArrayRef<float> values) {
        return arith::ConstantOp::create(
            rewriter, loc,
            DenseElementsAttr::get(RankedTensorType::get(shape, f32), values));
      };
      Value scales = constant(scalesShape, weights.scales);
      Value shifts, biasValue;
      if (!weights.shifts.empty())
        shifts = constant({n, weights.groups()}, weights.shifts);
      if (!bias.empty())
        biasValue = constant({n}, bias);
      Value replacement =
          buildLayer(rewriter, layer, [&](OpBuilder &b, Value x) -> Value {
            int64_t m = cast<RankedTensorType>(x.getType()).getDimSize(0);
            return mlir::tern::MatmulOp::create(
                b, loc, RankedTensorType::get({m, n}, f32), x, codes, scales,
                shifts, biasValue, b.getI64IntegerAttr(weights.groupSize));
          });
      rewriter.replaceOp(op, replacement);

      LayerReport report{name,
                         n,
                         k,
                         weights.planes,
                         weights.groupSize,
                         q::measure(w, prepared.h(), weights, packing)};
      if (prepared.stats && !prepared.stats->secondMoment.empty()) {
        const LayerStatistics &stats = *prepared.stats;
        const TargetStatistics &target = prepared.sequential;
        OutputMoments moments = {
            stats.secondMoment.data(), stats.secondMoment.data(),
            stats.secondMoment.data(), stats.mean.data(), stats.mean.data()};
        if (sequential)
          moments = {target.floatSecondMoment.data(), target.crossMoment.data(),
                     stats.secondMoment.data(), target.floatMean.data(),
                     stats.mean.data()};
        report.outputCosine =
            outputCosine(w, weights.dequantize(), moments, bias);
      }
      report.modelCosine = 1 - damage;
      reports.push_back(std::move(report));
      return success();
    };

    if (bits == 0) {
      for (auto [index, layer] : llvm::enumerate(selected)) {
        Prepared prepared;
        if (failed(readWeights(*layer)) ||
            failed(prepare(*layer, index, prepared)))
          return;
        std::optional<q::TernaryWeights> weights =
            fit(*layer, prepared, options);
        if (!weights)
          return;
        std::vector<float> bias = biasFor(*layer, prepared, *weights);
        // The next layers are calibrated on the model with this one
        // ternarized.
        if (sequential)
          current[index].set(layer->rows, weights->dequantize(), bias);
        if (failed(rewrite(*layer, prepared, *weights, bias, std::nan(""))))
          return;
        std::vector<float>().swap(layer->weights);
      }
    } else {
      // Allocation: every layer fitted with 1 .. planes planes, each fit's
      // effect on the model output measured, planes (or float) chosen
      // under the budget.
      std::vector<Prepared> prepared(selected.size());
      std::vector<std::vector<q::TernaryWeights>> fits(selected.size());
      std::vector<AllocationLayer> allocation(selected.size());
      for (auto [i, layer] : llvm::enumerate(selected)) {
        if (failed(readWeights(*layer)) ||
            failed(prepare(*layer, i, prepared[i])))
          return;
        allocation[i].layer = layer;
        q::MatrixRef w = {layer->weights.data(), layer->rows, layer->cols};
        for (int64_t p = 1; p <= planes; ++p) {
          q::QuantizeOptions with = options;
          with.tritPlanes.planes = int(p);
          std::optional<q::TernaryWeights> weights =
              fit(*layer, prepared[i], with);
          if (!weights)
            return;
          AllocationCandidate candidate;
          candidate.planes = p;
          candidate.bitsPerWeight =
              q::measure(w, nullptr, *weights, packing).bitsPerWeight;
          candidate.weights = weights->dequantize();
          candidate.bias = biasFor(*layer, prepared[i], *weights);
          allocation[i].candidates.push_back(std::move(candidate));
          fits[i].push_back(std::move(*weights));
        }
        allocation[i].candidates.push_back(AllocationCandidate());
      }
      TargetCPU target;
      if (!resolveCPU(cpu, target, error) ||
          !measureDamage(*evaluator, module, allocation, calibrationInputs,
                         target, error) ||
          !allocateBits(allocation, bits, error)) {
        mlir::emitError(module.getLoc(), "tern-ternarize: allocation: ")
            << error;
        return signalPassFailure();
      }
      llvm::errs() << llvm::format(
          "allocation under %g bits per weight (per candidate: 1 - cosine "
          "of the model outputs)\n",
          bits.getValue());
      for (auto [i, entry] : llvm::enumerate(allocation)) {
        llvm::errs() << llvm::format("%-32s", entry.layer->name.c_str());
        for (const AllocationCandidate &candidate : entry.candidates)
          llvm::errs() << llvm::format(
              "  %s%s:%.2e", candidate.planes ? "" : "float",
              candidate.planes ? std::to_string(candidate.planes).c_str() : "",
              candidate.damage);
        const AllocationCandidate &chosen = entry.candidates[entry.chosen];
        llvm::errs() << "  -> "
                     << (chosen.planes
                             ? std::to_string(chosen.planes) + " planes"
                             : std::string("float"))
                     << "\n";
        if (!chosen.planes) {
          floatLayers.push_back(entry.layer->name);
          continue;
        }
        if (failed(rewrite(*selected[i], prepared[i], fits[i][entry.chosen],
                           chosen.bias, chosen.damage)))
          return;
      }
    }
    if (!report.empty() && failed(writeReport(module, report, method, reports,
                                              floatLayers, modelBytes)))
      return signalPassFailure();
  }
};

} // namespace
