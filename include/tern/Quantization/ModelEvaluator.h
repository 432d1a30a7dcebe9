//===- ModelEvaluator.h - how PTQ passes run a model ------------*- C++ -*-===//
//
// This file declares the interface through which the quantization passes
// (tern-calibrate, and tern-ternarize's allocation and sequential fitting)
// run a module on calibration inputs. The passes own the interface; an
// execution library implements it (the JIT in lib/Execution/Execution.cpp) and
// a tool registers that implementation before it runs passes. The passes
// therefore never link the JIT, and a pass loaded into a tool that
// registered no evaluator says which of its options need one.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_MODELEVALUATOR_H
#define TERN_QUANTIZATION_MODELEVALUATOR_H

#include "tern/Support/Npy.h"
#include "tern/Support/Signature.h"
#include "tern/Target/CPU/TargetCPU.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::tern {

/// A module's @main, ready to run on arrays.
class EvaluableModel {
public:
  virtual ~EvaluableModel();

  /// What @main takes and returns (read before any lowering).
  virtual const ModelSignature &signature() const = 0;

  /// Runs @main on inputs checked against signature() (checkInputs); fills
  /// `outputs` unless it is null. Run-time failures (no IR is left to point
  /// at) come back as an llvm::Error the caller reports.
  virtual llvm::Error run(std::vector<::tern::support::Array> &inputs,
                          std::vector<::tern::support::Array> *outputs) = 0;
};

/// Turns modules into EvaluableModels.
class ModelEvaluator {
public:
  virtual ~ModelEvaluator();

  /// Prepares `module`'s @main to run on `cpu`; `module` may be rewritten
  /// (lowered) in place and must live in a context the caller owns for the
  /// result's lifetime. Fails with diagnostics at what could not be
  /// prepared (the entry function, an op a lowering fails on, the module).
  virtual FailureOr<std::unique_ptr<EvaluableModel>>
  prepare(ModuleOp module, const TargetCPU &cpu) = 0;
};

/// Makes `evaluator` the one the passes use in this process (replacing any
/// earlier one; null unregisters). Tools call this before running passes.
void registerModelEvaluator(std::unique_ptr<ModelEvaluator> evaluator);

/// The registered evaluator, or null. When null, reports at `loc` that
/// `what` (e.g. "tern-calibrate", "tern-ternarize: bits=") needs
/// one and how a tool provides it.
ModelEvaluator *lookupModelEvaluator(Location loc, StringRef what);

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_MODELEVALUATOR_H
