//===- SequentialCalibration.h - fitting layer after layer ------*- C++ -*-===//
//
// This file declares what sequential fitting observes: for each layer in
// turn, the activations it receives in the model whose earlier layers are
// already ternarized, against the float model's.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_SEQUENTIALCALIBRATION_H
#define TERN_QUANTIZATION_SEQUENTIALCALIBRATION_H

#include "tern/Quantization/Calibration.h"
#include "tern/Quantization/Probe.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::tern {

class SequentialCalibration {
public:
  /// Compiles `module` once with the layers named `layers` on argument
  /// weights (ProbeModel) and reads the input sets of `inputs`. The float
  /// model's activations do not change: when they fit in `cacheBytes` they
  /// are computed once per set here, else again for every layer. Errors
  /// are emitted at the module. With `blockTargets`, a layer whose output
  /// is added to a residual stream also records what the stream carries
  /// (TargetStatistics::residualCross).
  static FailureOr<std::unique_ptr<SequentialCalibration>>
  create(ModelEvaluator &evaluator, ModuleOp module,
         ArrayRef<std::string> layers, StringRef inputs, const TargetCPU &cpu,
         double cacheBytes, bool blockTargets);

  /// Runs every input set on the float model and on the current one,
  /// recording what layer `index` receives against the float model into
  /// `stats`; drops the layer's cached float activations. Fails when a run
  /// fails (no IR is left to point at: the caller reports it).
  llvm::Error observe(size_t index, TargetStatistics &stats);

  /// Layer `index` of the current model computes with `weights` (`rows` x
  /// K) and adds `bias` (or none) from now on.
  void update(size_t index, int64_t rows, ArrayRef<float> weights,
              ArrayRef<float> bias);

private:
  SequentialCalibration() = default;

  std::unique_ptr<ProbeModel> probe_;
  /// The weights of the float model and of the partly ternarized one.
  std::vector<ProbeWeights> float_, current_;
  /// Per input set, the float model's activations of every layer (empty
  /// when they do not fit the cache).
  std::vector<std::vector<::tern::support::Array>> floatCache_;
};

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_SEQUENTIALCALIBRATION_H
