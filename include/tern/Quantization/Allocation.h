//===- Allocation.h - planes per layer under a bit budget -------*- C++ -*-===//
//
// This file declares sensitivity-driven allocation: how much each layer's
// ternarization hurts the model output (cosine similarity between the
// float model's outputs and those of the model with only that layer
// ternarized, on calibration inputs), and a greedy choice of planes (or
// float) per layer under an average bit budget.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_ALLOCATION_H
#define TERN_QUANTIZATION_ALLOCATION_H

#include "tern/Quantization/Layers.h"
#include "tern/Quantization/ModelEvaluator.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::tern {

/// One way to store a layer.
struct AllocationCandidate {
  /// Trit planes, or 0 for float weights.
  int64_t planes = 0;
  double bitsPerWeight = 32;
  /// The weights it computes with (N x K), empty for float.
  std::vector<float> weights;
  /// The bias it adds (N values), or empty.
  std::vector<float> bias;
  /// 1 - cosine similarity of the model outputs with only this layer
  /// stored this way and the float model's, over the calibration inputs.
  double damage = 0;
};

struct AllocationLayer {
  const Layer *layer = nullptr;
  std::vector<AllocationCandidate> candidates;
  /// Index of the candidate allocateBits chose.
  size_t chosen = 0;
};

/// Measures every candidate's damage: the module is copied with the
/// weights of the allocation layers turned into arguments of @main,
/// compiled once for `cpu`, and run on the input sets of `inputs` (as
/// tern-calibrate reads them) once per candidate, with a progress line
/// per layer unless `quiet`. Reports failures through `emitError`.
LogicalResult measureDamage(ModelEvaluator &evaluator, ModuleOp module,
                            std::vector<AllocationLayer> &layers,
                            StringRef inputs, const TargetCPU &cpu, bool quiet,
                            function_ref<InFlightDiagnostic()> emitError);

/// Chooses a candidate per layer: every layer starts at its cheapest one,
/// then the upgrade that removes the most damage per added bit is taken
/// while the average bits per weight over all the layers stays within
/// `bits`. Fails if the cheapest choice already exceeds it.
llvm::Error allocateBits(std::vector<AllocationLayer> &layers, double bits);

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_ALLOCATION_H
