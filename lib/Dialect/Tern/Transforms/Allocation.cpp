//===- Allocation.cpp - planes per layer under a bit budget ---------------===//
//
// This file implements the sensitivity measurement (one compile of the model
// with its weights as arguments, one run per candidate) and the greedy
// allocation.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Transforms/Allocation.h"

#include "tern/Dialect/Tern/Transforms/Calibration.h"
#include "tern/Driver/Execution.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;
using ::tern::runtime::Array;
using ::tern::runtime::DType;

namespace {

/// `nk` (N x K) in the layout of the layer's weight operand: K x N for a
/// matmul, F x C x 1 x 1 (= N x K) for a 1x1 convolution.
Array weightArray(const Layer &layer, ArrayRef<float> nk,
                  RankedTensorType type) {
  Array array;
  array.type = DType::F32;
  array.shape.assign(type.getShape().begin(), type.getShape().end());
  array.data.resize(nk.size() * sizeof(float));
  auto *out = reinterpret_cast<float *>(array.data.data());
  int64_t n = layer.rows, k = layer.cols;
  if (isa<linalg::MatmulOp>(layer.op)) {
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c)
        out[c * n + r] = nk[r * k + c];
  } else {
    std::memcpy(out, nk.data(), nk.size() * sizeof(float));
  }
  return array;
}

/// Appends the f32 outputs to `values`.
void flatten(const std::vector<Array> &outputs, std::vector<double> &values) {
  for (const Array &output : outputs) {
    if (output.type != DType::F32)
      continue;
    const auto *data = reinterpret_cast<const float *>(output.data.data());
    values.insert(values.end(), data, data + output.numElements());
  }
}

} // namespace

bool mlir::tern::measureDamage(ModuleOp module,
                               std::vector<AllocationLayer> &layers,
                               StringRef inputs, const TargetCPU &cpu,
                               std::string &error) {
  MLIRContext context(module->getContext()->getDialectRegistry());
  OwningOpRef<ModuleOp> copy = copyForExecution(module, context);
  if (!copy) {
    error = "cannot copy the module";
    return false;
  }
  auto main = copy->lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal()) {
    error = "the module has no function @main to run";
    return false;
  }
  std::vector<Layer> copies = findLayers(*copy, /*readWeights=*/false);
  llvm::StringMap<Layer *> byName;
  for (Layer &layer : copies)
    byName[layer.name] = &layer;

  // The weights of every allocation layer become arguments of @main.
  unsigned modelInputs = main.getNumArguments();
  std::vector<RankedTensorType> weightTypes;
  for (AllocationLayer &entry : layers) {
    Layer *layer = byName.lookup(entry.layer->name);
    if (!layer || layer->op->getParentOfType<func::FuncOp>() != main) {
      error = "layer '" + entry.layer->name + "' is not in @main";
      return false;
    }
    Value weight = layer->op->getOperand(1);
    unsigned index = main.getNumArguments();
    if (failed(main.insertArgument(index, weight.getType(), {},
                                   weight.getLoc()))) {
      error =
          "cannot make the weights of '" + entry.layer->name + "' an argument";
      return false;
    }
    layer->op->setOperand(1, main.getArgument(index));
    weightTypes.push_back(cast<RankedTensorType>(weight.getType()));
  }

  ExecutionOptions options;
  options.cpu = cpu;
  std::unique_ptr<CompiledModel> model =
      CompiledModel::compile(*copy, options, error);
  if (!model)
    return false;
  ArrayRef<TensorSignature> signature = model->signature().inputs;
  std::vector<InputEntry> entries;
  std::vector<InputSet> sets;
  if (!listInputEntries(inputs, entries, error))
    return false;
  for (const InputEntry &entry : entries)
    if (!readInputEntry(entry, signature.take_front(modelInputs), sets, error))
      return false;

  // Every set's arguments: its inputs, then the float weights.
  for (InputSet &set : sets) {
    for (auto [entry, type] : llvm::zip(layers, weightTypes))
      set.arrays.push_back(
          weightArray(*entry.layer, entry.layer->weights, type));
    if (!checkInputs(model->signature(), set.arrays, set.sources, error))
      return false;
  }
  auto runAll = [&](std::vector<double> &values) {
    std::vector<Array> outputs;
    for (InputSet &set : sets) {
      if (!model->run(set.arrays, &outputs, error))
        return false;
      flatten(outputs, values);
    }
    return true;
  };
  std::vector<double> reference;
  if (!runAll(reference))
    return false;
  double referenceNorm = 0;
  for (double v : reference)
    referenceNorm += v * v;

  bool progress = llvm::errs().is_displayed();
  for (auto [index, entry] : llvm::enumerate(layers)) {
    size_t argument = modelInputs + index;
    for (AllocationCandidate &candidate : entry.candidates) {
      if (candidate.weights.empty()) {
        candidate.damage = 0;
        continue;
      }
      Array quantized =
          weightArray(*entry.layer, candidate.weights, weightTypes[index]);
      for (InputSet &set : sets)
        std::swap(set.arrays[argument], quantized);
      std::vector<double> values;
      bool ok = runAll(values);
      for (InputSet &set : sets)
        std::swap(set.arrays[argument], quantized);
      if (!ok)
        return false;
      double dot = 0, norm = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        dot += values[i] * reference[i];
        norm += values[i] * values[i];
      }
      double denominator = std::sqrt(norm * referenceNorm);
      candidate.damage = denominator > 0 ? 1 - dot / denominator : 1;
    }
    if (progress)
      llvm::errs() << "\rtern-ternarize: sensitivity of " << index + 1 << "/"
                   << layers.size() << " layers";
  }
  if (progress)
    llvm::errs() << "\n";
  return true;
}

bool mlir::tern::allocateBits(std::vector<AllocationLayer> &layers, double bits,
                              std::string &error) {
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
  if (used > budget * (1 + 1e-12)) {
    error = "bits=" + std::to_string(bits) +
            " is below the cheapest allocation (" +
            std::to_string(used / weights) + " bits per weight)";
    return false;
  }
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
      return true;
    used += (best->candidates[bestCandidate].bitsPerWeight -
             best->candidates[best->chosen].bitsPerWeight) *
            size(*best);
    best->chosen = bestCandidate;
  }
}
