//===- SequentialCalibration.cpp - statistics as layers are fitted --------===//
//
// This file implements the observations of sequential fitting.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/SequentialCalibration.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;

FailureOr<std::unique_ptr<SequentialCalibration>>
SequentialCalibration::create(ModelEvaluator &evaluator, ModuleOp module,
                              ArrayRef<std::string> layers, StringRef inputs,
                              const TargetCPU &cpu, double cacheBytes,
                              bool blockTargets) {
  std::unique_ptr<SequentialCalibration> result(new SequentialCalibration());
  auto emitError = [&]() {
    return mlir::emitError(module.getLoc(), "tern-ternarize: sequential: ");
  };
  FailureOr<std::unique_ptr<ProbeModel>> created = ProbeModel::create(
      evaluator, module, layers,
      blockTargets ? ProbeModel::Results::ActivationsAndResiduals
                   : ProbeModel::Results::Activations,
      inputs, cpu, emitError);
  if (failed(created))
    return failure();
  result->probe_ = std::move(*created);
  ProbeModel &probe = *result->probe_;
  result->float_ = probe.initialWeights();
  result->current_ = result->float_;
  // Activations whose rows are known only when the model runs are not
  // cached (their size is not known in advance).
  double bytes = 0;
  for (size_t i = 0; i < layers.size(); ++i)
    bytes += ShapedType::isDynamic(probe.rows(i))
                 ? INFINITY
                 : 4.0 * double(probe.rows(i)) *
                       double(probe.channels(i) +
                              (probe.residual(i) >= 0 ? probe.outputs(i) : 0)) *
                       double(probe.numSets());
  if (bytes <= cacheBytes) {
    result->floatCache_.resize(probe.numSets());
    for (size_t set = 0; set < probe.numSets(); ++set)
      if (llvm::Error error =
              probe.run(set, result->float_, result->floatCache_[set]))
        return emitError() << llvm::toString(std::move(error));
  }
  return result;
}

llvm::Error SequentialCalibration::observe(size_t index,
                                           TargetStatistics &stats) {
  ProbeModel &probe = *probe_;
  stats.received.channels = probe.channels(index);
  stats.received.groups = probe.groups(index);
  std::vector<Array> x, received;
  for (size_t set = 0; set < probe.numSets(); ++set) {
    if (!floatCache_.empty())
      std::swap(x, floatCache_[set]);
    else if (llvm::Error error = probe.run(set, float_, x, int64_t(index)))
      return error;
    if (llvm::Error error = probe.run(set, current_, received, int64_t(index)))
      return error;
    auto data = [](const Array &array) {
      return reinterpret_cast<const float *>(array.data.data());
    };
    stats.accumulate(x[index].shape[0], data(x[index]), data(received[index]));
    if (int64_t residual = probe.residual(index); residual >= 0) {
      for (const Array *array : {&x[residual], &received[residual]})
        if (array->shape.size() != 2 || array->shape[0] != x[index].shape[0] ||
            array->shape[1] != probe.outputs(index))
          return llvm::createStringError(
              "the residual stream of layer " + std::to_string(index) +
              " does not have the layer's rows and outputs");
      stats.accumulateResidual(x[index].shape[0], x[residual].shape[1],
                               data(x[residual]), data(received[residual]),
                               data(received[index]));
    }
    if (!floatCache_.empty()) {
      x[index] = Array();
      if (int64_t residual = probe.residual(index); residual >= 0)
        x[residual] = Array();
      std::swap(x, floatCache_[set]);
    }
  }
  return llvm::Error::success();
}

void SequentialCalibration::update(size_t index, int64_t rows,
                                   ArrayRef<float> weights,
                                   ArrayRef<float> bias) {
  current_[index].set(rows, weights, bias);
}
