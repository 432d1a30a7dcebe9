//===- Allocation.cpp - planes per layer under a bit budget ---------------===//
//
// This file implements the sensitivity measurement (one compile of the model
// with its weights as arguments, one run per candidate) and the greedy
// allocation.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Allocation.h"

#include "tern/Quantization/Progress.h"

#include "tern/Quantization/Probe.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;
using ::tern::support::DType;

namespace {

/// Appends the float outputs (f32, and f16 of half-precision models) to
/// `values`.
void flatten(const std::vector<Array> &outputs, std::vector<double> &values) {
  for (const Array &output : outputs) {
    if (output.type == DType::F32) {
      const auto *data = reinterpret_cast<const float *>(output.data.data());
      values.insert(values.end(), data, data + output.numElements());
    } else if (output.type == DType::F16) {
      for (int64_t i = 0; i < output.numElements(); ++i) {
        uint16_t bits;
        std::memcpy(&bits, output.data.data() + 2 * i, 2);
        values.push_back(
            llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits))
                .convertToDouble());
      }
    }
  }
}

} // namespace

LogicalResult
mlir::tern::measureDamage(ModelEvaluator &evaluator, ModuleOp module,
                          std::vector<AllocationLayer> &layers,
                          StringRef inputs, const TargetCPU &cpu, bool quiet,
                          function_ref<InFlightDiagnostic()> emitError) {
  std::vector<std::string> names;
  for (const AllocationLayer &entry : layers)
    names.push_back(entry.layer->name);
  FailureOr<std::unique_ptr<ProbeModel>> created =
      ProbeModel::create(evaluator, module, names, ProbeModel::Results::Model,
                         inputs, cpu, emitError);
  if (failed(created))
    return failure();
  ProbeModel &probe = **created;
  std::vector<ProbeWeights> weights = probe.initialWeights();
  auto runAll = [&](std::vector<double> &values) -> LogicalResult {
    std::vector<Array> outputs;
    for (size_t set = 0; set < probe.numSets(); ++set) {
      if (llvm::Error error = probe.run(set, weights, outputs))
        return emitError() << llvm::toString(std::move(error));
      flatten(outputs, values);
    }
    return success();
  };
  std::vector<double> reference;
  if (failed(runAll(reference)))
    return failure();
  double referenceNorm = 0;
  for (double v : reference)
    referenceNorm += v * v;

  Progress progress("tern-ternarize: sensitivity of layer", layers.size(),
                    quiet);
  for (auto [index, entry] : llvm::enumerate(layers)) {
    for (AllocationCandidate &candidate : entry.candidates) {
      if (candidate.weights.empty()) {
        candidate.damage = 0;
        continue;
      }
      ProbeWeights floatWeights = std::move(weights[index]);
      weights[index].set(entry.layer->rows, candidate.weights, candidate.bias);
      std::vector<double> values;
      LogicalResult ran = runAll(values);
      weights[index] = std::move(floatWeights);
      if (failed(ran))
        return failure();
      double dot = 0, norm = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        dot += values[i] * reference[i];
        norm += values[i] * values[i];
      }
      double denominator = std::sqrt(norm * referenceNorm);
      candidate.damage = denominator > 0 ? 1 - dot / denominator : 1;
    }
    progress.step(index + 1, entry.layer->name);
  }
  return success();
}

llvm::Error mlir::tern::allocateBits(std::vector<AllocationLayer> &layers,
                                     double bits) {
  double weights = 0, used = 0;
  auto size = [](const AllocationLayer &entry) {
    return double(entry.layer->rows) * double(entry.layer->cols);
  };
  for (AllocationLayer &entry : layers) {
    entry.chosen = 0;
    for (size_t c = 1; c < entry.candidates.size(); ++c)
      if (entry.candidates[c].bitsPerWeight <
          entry.candidates[entry.chosen].bitsPerWeight)
        entry.chosen = c;
    weights += size(entry);
    used += entry.candidates[entry.chosen].bitsPerWeight * size(entry);
  }
  double budget = bits * weights;
  if (used > budget * (1 + 1e-12))
    return llvm::createStringError(
        "bits=" + std::to_string(bits) + " is below the cheapest allocation (" +
        std::to_string(used / weights) + " bits per weight)");
  // Greedy by damage removed per bit added; ties go to the earlier layer
  // and candidate, so the choice is deterministic.
  while (true) {
    double bestRatio = 0;
    AllocationLayer *best = nullptr;
    size_t bestCandidate = 0;
    for (AllocationLayer &entry : layers) {
      const AllocationCandidate &current = entry.candidates[entry.chosen];
      for (size_t c = 0; c < entry.candidates.size(); ++c) {
        const AllocationCandidate &next = entry.candidates[c];
        double added =
            (next.bitsPerWeight - current.bitsPerWeight) * size(entry);
        double removed = current.damage - next.damage;
        if (added <= 0 || removed <= 0 || used + added > budget)
          continue;
        if (removed / added > bestRatio) {
          bestRatio = removed / added;
          best = &entry;
          bestCandidate = c;
        }
      }
    }
    if (!best)
      return llvm::Error::success();
    used += (best->candidates[bestCandidate].bitsPerWeight -
             best->candidates[best->chosen].bitsPerWeight) *
            size(*best);
    best->chosen = bestCandidate;
  }
}
