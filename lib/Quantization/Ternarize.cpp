//===- Ternarize.cpp - float matmuls to tern.matmul -----------------------===//
//
// This file implements tern-ternarize: linalg.matmul ops whose weights are
// float constants are rewritten into tern.matmul on weights ternarized by
// the numerics library. The pass reads its options and statistics, then
// for each layer it selected: LayerFitter fits it, replaceWithTernMatmul
// rewrites it, reportLayer describes it; sequential fitting observes what
// each layer receives (SequentialCalibration), and allocation chooses
// planes per layer (Allocation.h).
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
#include "tern/Quantization/LayerFit.h"
#include "tern/Quantization/Layers.h"
#include "tern/Quantization/ModelEvaluator.h"
#include "tern/Quantization/Progress.h"
#include "tern/Quantization/SequentialCalibration.h"
#include "tern/Quantization/TernarizeReport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNARIZE
#include "tern/Quantization/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;

StringRef mlir::tern::stringifyTernarizeMethod(TernarizeMethod method) {
  switch (method) {
  case TernarizeMethod::BT:
    return "bt";
  case TernarizeMethod::SZT:
    return "szt";
  case TernarizeMethod::Tequila:
    return "tequila";
  case TernarizeMethod::PTQTP:
    return "ptqtp";
  case TernarizeMethod::DLT:
    return "dlt";
  case TernarizeMethod::Sherry:
    return "sherry";
  }
  llvm_unreachable("unknown TernarizeMethod");
}

namespace {

/// Where statistics come from, for messages.
constexpr llvm::StringLiteral kNeedsStats =
    "(stats=FILE, or tern-calibrate earlier in the pipeline)";

/// The float model's activations that sequential fitting keeps in memory
/// rather than computing again for every layer.
constexpr double kFloatCacheBytes = 4.0 * (1 << 30);

/// Layers kept out of the ternary set, each with the damage allocation
/// measured for it (NaN when it did not).
using KeptLayers = std::vector<std::pair<Layer *, double>>;

struct TernarizePass : public mlir::tern::impl::TernarizeBase<TernarizePass>,
                       public TernarizeOptionSet<Pass> {
  TernarizePass() : TernarizeOptionSet(static_cast<Pass &>(*this)) {}
  // The pass manager copies option values after cloning.
  TernarizePass(const TernarizePass &other)
      : TernarizeBase(other), TernarizeOptionSet(static_cast<Pass &>(*this)) {}

  void runOnOperation() override;

private:
  InFlightDiagnostic emitError() {
    return mlir::emitError(getOperation().getLoc(), "tern-ternarize: ");
  }
  /// Reads the statistics named by stats=, or those tern-calibrate left on
  /// the module (consumed), into `statistics`; `source` names them (empty
  /// when there are none).
  LogicalResult loadStatistics(Calibration &statistics, std::string &source);
  /// Checks the combination of options; returns how layers are fitted.
  FailureOr<FitSettings> readSettings(bool haveStats);
  /// Says why no layer is ternarized: none qualifies (each candidate op
  /// with its reason, from findLayers) or include=/exclude= leave none.
  void warnNothingSelected(ArrayRef<Layer> layers,
                           ArrayRef<std::string> rejected);
  /// The layers include= and exclude= select.
  FailureOr<std::vector<Layer *>> selectLayers(std::vector<Layer> &layers);
  /// Fits every selected layer (with `planes` planes) and rewrites it.
  LogicalResult ternarizeLayers(ArrayRef<Layer *> selected,
                                const LayerFitter &fitter,
                                const Calibration &statistics, StringRef source,
                                SequentialCalibration *sequential);
  /// Fits every selected layer with 1 .. `planes` planes, measures each
  /// fit's effect on the model output, and rewrites each layer with the
  /// planes (or the keep= format) chosen under the bits= budget; appends
  /// the layers it keeps to `keptLayers`.
  LogicalResult allocateLayers(ArrayRef<Layer *> selected,
                               const LayerFitter &fitter,
                               const Calibration &statistics, StringRef source,
                               ModelEvaluator &evaluator,
                               KeptLayers &keptLayers);
  /// Fills `prepared.stats` (and, sequential, `prepared.target`) for layer
  /// `index`, then has `fitter` prepare the fit.
  LogicalResult prepareLayer(Layer &layer, size_t index,
                             const LayerFitter &fitter,
                             const Calibration &statistics, StringRef source,
                             SequentialCalibration *sequential,
                             PreparedLayer &prepared);
  /// Stores every layer of `layers` in the keep= format and records its
  /// report (a no-op rewrite for keep=f32).
  /// Each layer comes with its damage as allocation measured it (NaN
  /// otherwise).
  LogicalResult keepLayers(ArrayRef<std::pair<Layer *, double>> layers,
                           const Calibration &statistics, StringRef source);
  /// Stores the tables tables= names in the keep= format and records their
  /// reports.
  LogicalResult keepTables();
  /// Rewrites `layer` as fitted and records its report.
  LogicalResult rewriteLayer(const Layer &layer, const PreparedLayer &prepared,
                             const FittedLayer &fitted, double damage);

  IRRewriter *rewriter = nullptr;
  Type codeType;
  /// How the codes are stored (packing=, or sherry's own).
  q::Packing storedPacking = q::Packing::SignMagnitude;
  SmallVector<LayerReport> reports;
  /// The layers kept out of the ternary set as f32.
  std::vector<std::string> floatLayers;
};

LogicalResult TernarizePass::loadStatistics(Calibration &statistics,
                                            std::string &source) {
  ModuleOp module = getOperation();
  auto attached = module->getAttrOfType<DictionaryAttr>(kCalibrationAttrName);
  auto emit = [this] { return emitError(); };
  if (!stats.empty()) {
    source = "'" + stats + "'";
    if (failed(readCalibration(stats, statistics, emit)))
      return failure();
  } else if (attached) {
    source = "the module's " + kCalibrationAttrName.str();
    if (failed(calibrationFromAttr(attached, statistics, emit)))
      return failure();
    module->removeAttr(kCalibrationAttrName);
  }
  return success();
}

FailureOr<FitSettings> TernarizePass::readSettings(bool haveStats) {
  FitSettings settings;
  q::QuantizeOptions &options = settings.quantize;
  MLIRContext *ctx = &getContext();
  codeType = TritType::get(ctx);
  if ((salient > 0 || lowRank > 0) && method == TernarizeMethod::Tequila)
    return emitError() << "method=tequila's dead-zone bias counts the "
                          "salient columns' and the low-rank part's weights "
                          "again: use method=bt with bias-correction=1, "
                          "which accounts for the corrections";
  switch (method) {
  case TernarizeMethod::BT:
  case TernarizeMethod::SZT:
  case TernarizeMethod::Tequila:
    options.method = q::Method::Threshold;
    if (threshold == q::Threshold::Calibrated && !haveStats)
      return emitError() << "threshold=calibrated needs calibration "
                            "statistics "
                         << kNeedsStats;
    options.threshold = threshold;
    if (method == TernarizeMethod::SZT) {
      options.signedZeros = true;
      codeType = SZTType::get(ctx);
    }
    if (method == TernarizeMethod::Tequila && !haveStats)
      return emitError() << "method=tequila needs calibration statistics for "
                            "its bias "
                         << kNeedsStats;
    break;
  case TernarizeMethod::PTQTP:
    if (planes < 1 || planes > q::kMaxPlanes)
      return emitError() << "planes must be between 1 and " << q::kMaxPlanes
                         << ", got " << planes.getValue();
    options.method = q::Method::TritPlanes;
    options.tritPlanes.planes = static_cast<int>(planes);
    break;
  case TernarizeMethod::Sherry:
    options.method = q::Method::Sherry;
    break;
  case TernarizeMethod::DLT:
    options.method = q::Method::ScaleShift;
    break;
  }
  if (groupSize < 0)
    return emitError() << "group-size must be >= 0, got "
                       << groupSize.getValue();
  if (biasCorrection && !haveStats)
    return emitError() << "bias-correction needs calibration statistics "
                       << kNeedsStats;
  if (gptq && !haveStats)
    return emitError() << "gptq needs calibration statistics with second "
                          "moments "
                       << kNeedsStats;
  if (refitScales && !haveStats)
    return emitError() << "refit-scales needs calibration statistics with "
                          "second moments "
                       << kNeedsStats;
  if (refineCodes < 0 || refineCodes > 1000)
    return emitError() << "refine-codes must be between 0 and 1000 sweeps, "
                          "got "
                       << refineCodes.getValue();
  if (refineCodes > 0 && method == TernarizeMethod::Sherry)
    return emitError() << "refine-codes moves codes one at a time, which "
                          "method=sherry's 3:4 codes do not allow";
  if (refineCodes > 0 && !haveStats)
    return emitError() << "refine-codes needs calibration statistics with "
                          "second moments "
                       << kNeedsStats;
  if (!(dampening > 0))
    return emitError() << "dampening must be > 0, got "
                       << std::to_string(dampening.getValue());
  options.granularity =
      groupSize ? q::Granularity::Group : q::Granularity::Channel;
  options.groupSize = groupSize;
  // Sherry's codes keep their 3:4 structure in 1.25 bits per weight; every
  // other method's are stored as packing= says (2-bit sign/magnitude, or
  // base 3 in 1.6 bits).
  if (packing != q::Packing::SignMagnitude && packing != q::Packing::Base3)
    return emitError() << "packing must be sign_magnitude or base3";
  if (packing == q::Packing::Base3 && method == TernarizeMethod::SZT)
    return emitError() << "packing=base3 holds three values a code: "
                          "method=szt's signed zeros need "
                          "packing=sign_magnitude";
  if (packing == q::Packing::Base3 && method == TernarizeMethod::Sherry)
    return emitError() << "method=sherry packs its own 1.25-bit layout: "
                          "packing=base3 does not apply";
  storedPacking = method == TernarizeMethod::Sherry ? q::Packing::Sherry
                                                    : packing.getValue();
  settings.gptq = gptq;
  settings.refitScales = refitScales;
  settings.refineCodes = static_cast<int>(refineCodes);
  settings.biasCorrection = biasCorrection;
  settings.deadZoneBias = method == TernarizeMethod::Tequila;
  settings.dampening = dampening;
  settings.rotate = rotate;
  if (salient < 0 || lowRank < 0)
    return emitError() << "salient and low-rank must be >= 0, got "
                       << salient.getValue() << " and " << lowRank.getValue();
  settings.salient = salient;
  settings.lowRank = lowRank;
  settings.lowRankWeight = lowRankWeight;
  if (lowRank > 0 && lowRankWeight == q::LowRankWeight::Hessian && !haveStats)
    return emitError() << "low-rank-weight=hessian needs calibration "
                          "statistics with second moments "
                       << kNeedsStats;
  settings.correctionFormat =
      keep == q::KeptFormat::F16 ? q::KeptFormat::F16 : q::KeptFormat::Int8;
  return settings;
}

FailureOr<std::vector<Layer *>>
TernarizePass::selectLayers(std::vector<Layer> &layers) {
  llvm::Regex includeRegex(include), excludeRegex(exclude);
  std::string error;
  if ((!include.empty() && !includeRegex.isValid(error)) ||
      (!exclude.empty() && !excludeRegex.isValid(error)))
    return emitError() << "bad include or exclude regular expression: "
                       << error;
  std::vector<Layer *> selected;
  for (Layer &layer : layers)
    if ((include.empty() || includeRegex.match(layer.name)) &&
        (exclude.empty() || !excludeRegex.match(layer.name)))
      selected.push_back(&layer);
  return selected;
}

void TernarizePass::warnNothingSelected(ArrayRef<Layer> layers,
                                        ArrayRef<std::string> rejected) {
  InFlightDiagnostic warning = mlir::emitWarning(
      getOperation().getLoc(), "tern-ternarize: no layer is ternarized: ");
  if (!layers.empty()) {
    warning << "include='" << include << "' and exclude='" << exclude
            << "' leave none of the " << layers.size() << " layers";
    return;
  }
  if (rejected.empty()) {
    warning << "the module has no linalg.matmul and no NCHW convolution";
    return;
  }
  // The first few reasons: a model's ops tend to fail alike.
  constexpr size_t kShown = 4;
  warning << "none of its " << rejected.size()
          << " matmuls and convolutions qualifies (constant f32, f16 or bf16 "
             "weights and activations; convolutions 1x1 with stride 1 "
             "unless convolutions=ungrouped or all): ";
  for (size_t i = 0; i < std::min(rejected.size(), kShown); ++i)
    warning << (i ? "; " : "") << rejected[i];
  if (rejected.size() > kShown)
    warning << "; and " << rejected.size() - kShown << " more";
}

LogicalResult TernarizePass::prepareLayer(Layer &layer, size_t index,
                                          const LayerFitter &fitter,
                                          const Calibration &statistics,
                                          StringRef source,
                                          SequentialCalibration *sequential,
                                          PreparedLayer &prepared) {
  if (!readLayerWeights(layer))
    return emitLayerError(layer)
           << "its weights cannot be read (an elided or non-f32 constant)";
  if (failed(fitter.checkShape(layer)))
    return failure();
  if (sequential) {
    if (llvm::Error error = sequential->observe(index, prepared.target))
      return emitLayerError(layer)
             << "sequential calibration: " << llvm::toString(std::move(error));
    prepared.sequential = true;
    prepared.stats = &prepared.target.received;
  } else if (!source.empty()) {
    auto it = statistics.layers.find(layer.name);
    if (it == statistics.layers.end())
      return emitLayerError(layer)
             << "no calibration statistics for it in " << source
             << " (calibrated on another model?)";
    prepared.stats = &it->second;
  }
  return fitter.prepare(layer, prepared, source);
}

LogicalResult TernarizePass::rewriteLayer(const Layer &layer,
                                          const PreparedLayer &prepared,
                                          const FittedLayer &fitted,
                                          double damage) {
  if (failed(replaceWithTernMatmul(
          *rewriter, layer, fitted.weights, fitted.bias, codeType,
          storedPacking, prepared.rotation ? &*prepared.rotation : nullptr,
          &fitted.correction)))
    return failure();
  reports.push_back(
      reportLayer(layer, prepared, fitted, storedPacking, damage));
  return success();
}

LogicalResult
TernarizePass::ternarizeLayers(ArrayRef<Layer *> selected,
                               const LayerFitter &fitter,
                               const Calibration &statistics, StringRef source,
                               SequentialCalibration *sequential) {
  Progress progress("tern-ternarize: layer", selected.size(), quiet);
  for (auto [index, layer] : llvm::enumerate(selected)) {
    PreparedLayer prepared;
    if (failed(prepareLayer(*layer, index, fitter, statistics, source,
                            sequential, prepared)))
      return failure();
    FailureOr<FittedLayer> fitted = fitter.fit(*layer, prepared);
    if (failed(fitted))
      return failure();
    // The next layers are calibrated on the model with this one ternarized.
    if (sequential)
      sequential->update(index, layer->rows, prepared.dequantize(*fitted),
                         fitted->bias);
    if (failed(rewriteLayer(*layer, prepared, *fitted, std::nan(""))))
      return failure();
    std::vector<float>().swap(layer->weights);
    progress.step(index + 1, layer->name);
  }
  return success();
}

LogicalResult
TernarizePass::keepLayers(ArrayRef<std::pair<Layer *, double>> layers,
                          const Calibration &statistics, StringRef source) {
  for (auto [layer, damage] : layers) {
    if (keep == q::KeptFormat::F32 && report.empty())
      continue;
    if (!readLayerWeights(*layer))
      return emitLayerError(*layer)
             << "its weights cannot be read (an elided or non-f32 constant) "
                "to keep them as "
             << q::keptFormatName(keep);
    q::MatrixRef w = {layer->weights.data(), layer->rows, layer->cols};
    q::KeptWeights kept = q::keepWeights(w, keep);
    std::vector<float> h;
    if (!source.empty()) {
      auto it = statistics.layers.find(layer->name);
      if (it != statistics.layers.end() &&
          int64_t(it->second.meanSquare.size()) == layer->cols)
        h.assign(it->second.meanSquare.begin(), it->second.meanSquare.end());
    }
    LayerReport entry;
    entry.name = layer->name;
    entry.rows = layer->rows;
    entry.cols = layer->cols;
    entry.planes = 0;
    entry.groupSize = 0;
    entry.error = q::measure(w, h.empty() ? nullptr : h.data(), kept);
    entry.kept = q::keptFormatName(kept.format);
    entry.modelCosine = 1 - damage;
    reports.push_back(std::move(entry));
    if (kept.format == q::KeptFormat::F32)
      floatLayers.push_back(layer->name);
    replaceWithKeptMatmul(*rewriter, *layer, kept);
    std::vector<float>().swap(layer->weights);
  }
  return success();
}

LogicalResult TernarizePass::keepTables() {
  if (tables.empty())
    return success();
  llvm::Regex regex(tables);
  std::string error;
  if (!regex.isValid(error))
    return emitError() << "bad tables regular expression: " << error;
  std::vector<Table> found = findTables(
      getOperation(), [&](StringRef name) { return regex.match(name); });
  if (found.empty())
    mlir::emitWarning(getOperation().getLoc(), "tern-ternarize: tables='")
        << tables
        << "' names no table (a 2-D f32 constant gathered from, as ONNX "
           "Gather on an initializer)";
  for (const Table &table : found) {
    std::optional<std::vector<float>> values = readTable(table);
    if (!values)
      return mlir::emitError(table.constant.getLoc(), "tern-ternarize: table '")
             << table.name
             << "': its values cannot be read (an elided constant?)";
    q::MatrixRef w = {values->data(), table.rows, table.cols};
    q::KeptWeights kept = q::keepWeights(w, keep);
    LayerReport entry;
    entry.name = table.name;
    entry.rows = table.rows;
    entry.cols = table.cols;
    entry.planes = 0;
    entry.groupSize = 0;
    entry.error = q::measure(w, nullptr, kept);
    entry.kept = q::keptFormatName(kept.format);
    entry.table = true;
    reports.push_back(std::move(entry));
    replaceTable(*rewriter, table, kept);
  }
  return success();
}

LogicalResult TernarizePass::allocateLayers(ArrayRef<Layer *> selected,
                                            const LayerFitter &fitter,
                                            const Calibration &statistics,
                                            StringRef source,
                                            ModelEvaluator &evaluator,
                                            KeptLayers &keptLayers) {
  std::vector<PreparedLayer> prepared(selected.size());
  std::vector<std::vector<FittedLayer>> fits(selected.size());
  std::vector<AllocationLayer> allocation(selected.size());
  Progress progress("tern-ternarize: fitting 1 to " + std::to_string(planes) +
                        " planes, layer",
                    selected.size(), quiet);
  for (auto [i, layer] : llvm::enumerate(selected)) {
    if (failed(prepareLayer(*layer, i, fitter, statistics, source,
                            /*sequential=*/nullptr, prepared[i])))
      return failure();
    allocation[i].layer = layer;
    q::MatrixRef w = {layer->weights.data(), layer->rows, layer->cols};
    for (int64_t p = 1; p <= planes; ++p) {
      q::QuantizeOptions with = fitter.settings().quantize;
      with.tritPlanes.planes = int(p);
      FailureOr<FittedLayer> fitted = fitter.fit(*layer, prepared[i], with);
      if (failed(fitted))
        return failure();
      AllocationCandidate candidate;
      candidate.planes = p;
      candidate.bitsPerWeight =
          q::measure(w, nullptr, fitted->weights, storedPacking).bitsPerWeight +
          fitted->correction.storedBits() / double(layer->rows * layer->cols);
      candidate.weights = prepared[i].dequantize(*fitted);
      candidate.bias = fitted->bias;
      allocation[i].candidates.push_back(std::move(candidate));
      fits[i].push_back(std::move(*fitted));
    }
    // The layer kept out of the ternary set, as keep= stores it.
    AllocationCandidate kept;
    if (keep != q::KeptFormat::F32) {
      q::KeptWeights stored = q::keepWeights(w, keep);
      kept.bitsPerWeight = stored.bitsPerWeight();
      if (stored.format != q::KeptFormat::F32)
        kept.weights = stored.dequantize();
    }
    allocation[i].candidates.push_back(std::move(kept));
    progress.step(i + 1, layer->name);
  }
  auto emitAllocationError = [this] { return emitError() << "allocation: "; };
  llvm::Expected<TargetCPU> target = resolveCPU(cpu);
  if (!target)
    return emitAllocationError() << llvm::toString(target.takeError());
  if (failed(measureDamage(evaluator, getOperation(), allocation, calibration,
                           *target, quiet, emitAllocationError)))
    return failure();
  if (llvm::Error error = allocateBits(allocation, bits))
    return emitAllocationError() << llvm::toString(std::move(error));
  llvm::errs() << llvm::format("allocation under %g bits per weight (per "
                               "candidate: 1 - cosine of the model outputs)\n",
                               bits.getValue());
  for (auto [i, entry] : llvm::enumerate(allocation)) {
    llvm::errs() << llvm::format("%-32s", entry.layer->name.c_str());
    for (const AllocationCandidate &candidate : entry.candidates)
      llvm::errs() << llvm::format(
          "  %s%s:%.2e", candidate.planes ? "" : q::keptFormatName(keep),
          candidate.planes ? std::to_string(candidate.planes).c_str() : "",
          candidate.damage);
    const AllocationCandidate &chosen = entry.candidates[entry.chosen];
    llvm::errs() << "  -> "
                 << (chosen.planes ? std::to_string(chosen.planes) + " planes"
                                   : std::string(q::keptFormatName(keep)))
                 << "\n";
    if (!chosen.planes) {
      keptLayers.push_back({selected[i], chosen.damage});
      continue;
    }
    if (failed(rewriteLayer(*selected[i], prepared[i], fits[i][entry.chosen],
                            chosen.damage)))
      return failure();
  }
  return success();
}

void TernarizePass::runOnOperation() {
  ModuleOp module = getOperation();
  Calibration statistics;
  std::string source;
  if (failed(loadStatistics(statistics, source)))
    return signalPassFailure();
  if ((sequential || bits != 0) && calibration.empty()) {
    emitError() << (sequential ? "sequential" : "bits")
                << " needs calibration=DIR";
    return signalPassFailure();
  }
  if (!sequential && sequentialTarget != SequentialTarget::Layer) {
    emitError() << "sequential-target=block needs sequential=1";
    return signalPassFailure();
  }
  if (sequential && bits != 0) {
    emitError() << "bits and sequential do not combine (allocation measures "
                   "every layer on the float model)";
    return signalPassFailure();
  }
  if (bits < 0 || (bits != 0 && method != TernarizeMethod::PTQTP)) {
    emitError() << "bits= allocates ptqtp planes: it needs method=ptqtp and "
                   "a budget > 0";
    return signalPassFailure();
  }
  // Sequential fitting and allocation run the model on calibration inputs:
  // through the evaluator the tool registered.
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
      emitError() << "sequential calibrates as it goes; it takes no other "
                     "statistics ("
                  << source << ")";
      return signalPassFailure();
    }
    source = "the sequential calibration";
  }
  FailureOr<FitSettings> settings = readSettings(!source.empty());
  if (failed(settings))
    return signalPassFailure();
  double modelBytes = constantBytes(module);
  // Weights are read one layer at a time, as it is fitted, and dropped once
  // it is rewritten: a model's float weights are never all copied.
  std::vector<std::string> rejected;
  std::vector<Layer> layers =
      findLayers(module, /*readWeights=*/false, &rejected, convolutions);
  FailureOr<std::vector<Layer *>> selected = selectLayers(layers);
  if (failed(selected))
    return signalPassFailure();
  if (selected->empty())
    warnNothingSelected(layers, rejected);
  IRRewriter rewriter(&getContext());
  this->rewriter = &rewriter;
  reports.clear();
  floatLayers.clear();
  LayerFitter fitter(std::move(*settings));

  // Layers left out of the ternary set, in program order, then those
  // allocation keeps.
  KeptLayers keptLayers;
  llvm::SmallPtrSet<Layer *, 16> chosen(selected->begin(), selected->end());
  for (Layer &layer : layers)
    if (!chosen.contains(&layer))
      keptLayers.push_back({&layer, std::nan("")});
  LogicalResult result = success();
  if (bits != 0) {
    result = allocateLayers(*selected, fitter, statistics, source, *evaluator,
                            keptLayers);
  } else {
    // Sequential calibration: the model compiled once with every selected
    // layer on argument weights.
    std::unique_ptr<SequentialCalibration> observer;
    if (sequential) {
      std::vector<std::string> names;
      for (const Layer *layer : *selected)
        names.push_back(layer->name);
      llvm::Expected<TargetCPU> target = resolveCPU(cpu);
      if (!target) {
        emitError() << "sequential: " << llvm::toString(target.takeError());
        return signalPassFailure();
      }
      FailureOr<std::unique_ptr<SequentialCalibration>> created =
          SequentialCalibration::create(
              *evaluator, module, names, calibration, *target, kFloatCacheBytes,
              sequentialTarget == SequentialTarget::Block);
      if (failed(created))
        return signalPassFailure();
      observer = std::move(*created);
    }
    result =
        ternarizeLayers(*selected, fitter, statistics, source, observer.get());
  }
  if (succeeded(result))
    result = keepLayers(keptLayers, statistics, source);
  if (succeeded(result))
    result = keepTables();
  this->rewriter = nullptr;
  if (failed(result))
    return signalPassFailure();
  // Layers that read the same activations (q, k and v; up and gate) share
  // one rotation: their tern.rotate ops, and the reshapes before them, are
  // the same ops.
  if (rotate) {
    DominanceInfo dominance(module);
    eliminateCommonSubExpressions(rewriter, dominance, module);
  }
  if (!report.empty() &&
      failed(writeReport(module, report, stringifyTernarizeMethod(method),
                         reports, floatLayers, modelBytes)))
    return signalPassFailure();
}

} // namespace

std::unique_ptr<Pass>
mlir::tern::createTernarize(const TernarizeOptions &options) {
  auto pass = std::make_unique<TernarizePass>();
  // print() writes "{name=value ...}" with every option, which the pass's
  // declarations of the same options (TernarizeOptionSet) parse back.
  std::string text;
  llvm::raw_string_ostream os(text);
  options.print(os);
  StringRef body = StringRef(text).drop_front().drop_back();
  if (failed(pass->initializeOptions(body, [](const Twine &message) {
        llvm::report_fatal_error("tern-ternarize: options did not read back "
                                 "as printed: " +
                                 message);
        return failure();
      })))
    llvm::report_fatal_error("tern-ternarize: options did not read back");
  return pass;
}
