//===- SequentialCalibration.cpp - statistics as layers are fitted --------===//
//
// This file implements the observations of sequential fitting.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/SequentialCalibration.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;

FailureOr<std::unique_ptr<SequentialCalibration>>
SequentialCalibration::create(ModelEvaluator &evaluator, ModuleOp module,
                              ArrayRef<std::string> layers, StringRef inputs,
                              const TargetCPU &cpu, double cacheBytes) {
  std::unique_ptr<SequentialCalibration> result(new SequentialCalibration());
  std::string error;
  result->probe_ =
      ProbeModel::create(evaluator, module, layers,
                         ProbeModel::Results::Activations, inputs, cpu, error);
  auto fail = [&]() {
    return mlir::emitError(module.getLoc(), "tern-ternarize: sequential: ")
           << error;
  };
  if (!result->probe_)
    return fail();
  ProbeModel &probe = *result->probe_;
  result->float_ = probe.initialWeights();
  result->current_ = result->float_;
  double bytes = 0;
  for (size_t i = 0; i < layers.size(); ++i)
    bytes += 4.0 * double(probe.rows(i)) * double(probe.channels(i)) *
             double(probe.numSets());
  if (bytes <= cacheBytes) {
    result->floatCache_.resize(probe.numSets());
    for (size_t set = 0; set < probe.numSets(); ++set)
      if (!probe.run(set, result->float_, result->floatCache_[set], error))
        return fail();
  }
  return result;
}

bool SequentialCalibration::observe(size_t index, TargetStatistics &stats,
                                    std::string &error) {
  ProbeModel &probe = *probe_;
  stats.received.channels = probe.channels(index);
  std::vector<Array> x, received;
  bool progress = llvm::errs().is_displayed();
  for (size_t set = 0; set < probe.numSets(); ++set) {
    if (!floatCache_.empty())
      std::swap(x, floatCache_[set]);
    else if (!probe.run(set, float_, x, error))
      return false;
    if (!probe.run(set, current_, received, error))
      return false;
    stats.accumulate(
        probe.rows(index),
        reinterpret_cast<const float *>(x[index].data.data()),
        reinterpret_cast<const float *>(received[index].data.data()));
    if (!floatCache_.empty()) {
      x[index] = Array();
      std::swap(x, floatCache_[set]);
    }
  }
  if (progress)
    llvm::errs() << "\rtern-ternarize: sequential: " << index + 1 << "/"
                 << current_.size() << " layers"
                 << (index + 1 == current_.size() ? "\n" : "");
  return true;
}

void SequentialCalibration::update(size_t index, int64_t rows,
                                   ArrayRef<float> weights,
                                   ArrayRef<float> bias) {
  current_[index].set(rows, weights, bias);
}
