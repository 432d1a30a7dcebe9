//===- ModelEvaluator.cpp - the evaluator registry ------------------------===//
//
// This file implements the process-wide registration of the ModelEvaluator
// the quantization passes run models with.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/ModelEvaluator.h"

#include "mlir/IR/Diagnostics.h"

#include <mutex>

using namespace mlir;
using namespace mlir::tern;

EvaluableModel::~EvaluableModel() = default;
ModelEvaluator::~ModelEvaluator() = default;

namespace {
struct Registry {
  std::mutex mutex;
  std::unique_ptr<ModelEvaluator> evaluator;
};
Registry &registry() {
  static Registry instance;
  return instance;
}
} // namespace

void mlir::tern::registerModelEvaluator(
    std::unique_ptr<ModelEvaluator> evaluator) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.evaluator = std::move(evaluator);
}

ModelEvaluator *mlir::tern::lookupModelEvaluator(Location loc, StringRef what) {
  Registry &r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (r.evaluator)
      return r.evaluator.get();
  }
  mlir::emitError(loc)
      << what
      << " runs the model on calibration inputs, and no model evaluator is "
         "registered in this tool: use tern-opt (or tern-ptq-pipeline "
         "through it), or call mlir::tern::registerJITModelEvaluator() "
         "(TernExecution) before running passes";
  return nullptr;
}
