//===- Probe.h - a model compiled with layer weights as arguments -*- C++
//-*-===//
//
// This file declares the probe model that sensitivity allocation and
// sequential calibration run: a copy of a module in which chosen layers
// compute a float matmul on weights and a bias passed as arguments of
// @main, compiled once, so that any weights can be tried for them without
// compiling again. It returns either the model's outputs or the layers'
// activations.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_PROBE_H
#define TERN_QUANTIZATION_PROBE_H

#include "tern/Quantization/Calibration.h"
#include "tern/Quantization/ModelEvaluator.h"
#include "tern/Support/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::tern {

/// The weights and bias one probed layer computes with.
struct ProbeWeights {
  /// K x N, as the matmul takes them.
  ::tern::support::Array weights;
  /// N values added to every row of the products.
  ::tern::support::Array bias;

  /// Sets them from `rows` x K `weights` (row n: output channel n) and
  /// `bias` (`rows` values, or empty for none).
  void set(int64_t rows, llvm::ArrayRef<float> weights,
           llvm::ArrayRef<float> bias);
};

class ProbeModel {
public:
  enum class Results {
    Model, ///< @main's own results
    /// Each probed layer's M x K activations, in order; a run may ask for
    /// one layer's only (the others are then 0 x K and not computed, where
    /// the layer does not compute them anyway).
    Activations,
    /// Activations, and for every probed layer whose output is added to
    /// another value (a residual stream: the layer's M x N products,
    /// reshaped, one operand of an elementwise addition) that value as
    /// M x N too, after the activations and on the same selector.
    ActivationsAndResiduals,
  };

  /// Copies `module` (as copyForExecution does), makes the layers named
  /// `layers` (Layers.h names) compute on argument weights, prepares it
  /// with `evaluator` for `cpu` and reads the input sets of `inputs` (a
  /// calibration directory). Reports failures, including those of preparing
  /// the copy, through `emitError`.
  static FailureOr<std::unique_ptr<ProbeModel>>
  create(ModelEvaluator &evaluator, ModuleOp module,
         llvm::ArrayRef<std::string> layers, Results results,
         llvm::StringRef inputs, const TargetCPU &cpu,
         llvm::function_ref<InFlightDiagnostic()> emitError);
  ~ProbeModel();

  /// Input sets read.
  size_t numSets() const { return sets_.size(); }
  /// Rows (M; ShapedType::kDynamic when known only at run time, as the
  /// activations' shape then says) and channels (K) of probed layer `i`'s
  /// activations.
  int64_t rows(size_t i) const { return rows_[i]; }
  int64_t channels(size_t i) const { return channels_[i]; }
  /// Output channels (N) of probed layer `i`.
  int64_t outputs(size_t i) const { return outputs_[i]; }
  /// The groups of a grouped layer (Layer::groups): its activations are
  /// `groups` blocks of columns, and its weights K / groups x N.
  int64_t groups(size_t i) const { return groups_[i]; }

  /// The index among a run's outputs of the value probed layer `i`'s
  /// output is added to (ActivationsAndResiduals), or -1.
  int64_t residual(size_t i) const {
    return i < residuals_.size() ? residuals_[i] : -1;
  }

  /// The weights the probed layers had in the module (float; dequantized
  /// for layers already ternarized), with no bias.
  const std::vector<ProbeWeights> &initialWeights() const { return initial_; }

  /// Runs input set `set` with `weights` (one entry per probed layer) into
  /// `outputs`: with Results::Activations, of probed layer `only` alone
  /// unless it is negative.
  llvm::Error run(size_t set, std::vector<ProbeWeights> &weights,
                  std::vector<::tern::support::Array> &outputs,
                  int64_t only = -1);

private:
  ProbeModel();
  std::unique_ptr<MLIRContext> context_;
  std::unique_ptr<EvaluableModel> model_;
  std::vector<InputSet> sets_;
  std::vector<int64_t> rows_, channels_, outputs_, groups_, residuals_;
  std::vector<ProbeWeights> initial_;
  std::vector<::tern::support::Array> arguments_;
  /// The index of the argument selecting the one layer whose activations a
  /// run returns (Results::Activations), or -1.
  int64_t selector_ = -1;
};

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_PROBE_H
