//===- Execution.h - run a model with the JIT -------------------*- C++ -*-===//
//
// This file declares JIT execution of a model's @main: lowering with one of
// tern's pipelines, compiling for a target CPU, and calling it on .npy
// arrays. tern-run uses it, and the quantization passes through the
// ModelEvaluator that registerJITModelEvaluator registers.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_EXECUTION_EXECUTION_H
#define TERN_EXECUTION_EXECUTION_H

#include "tern/Quantization/ModelEvaluator.h"
#include "tern/Support/Npy.h"
#include "tern/Support/Signature.h"
#include "tern/Target/CPU/TargetCPU.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Error;
class Module;
namespace orc {
class LLJIT;
} // namespace orc
} // namespace llvm

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::tern {

struct ExecutionOptions : CPUKernelOptions {
  ExecutionOptions() = default;
  explicit ExecutionOptions(CPUKernelOptions kernels)
      : CPUKernelOptions(std::move(kernels)) {}

  /// Lower with the reference pipeline (the oracle) instead of
  /// tern-cpu-pipeline.
  bool reference = false;
  /// Where compiled models are kept, keyed by module and options, so that
  /// the next process that compiles the same starts at once ("": none).
  std::string cacheDir;
};

/// Lowers `module` in place to the LLVM dialect as `options` say
/// (tern-cpu-pipeline for `options.cpu`, or the reference pipeline), with a
/// C interface (`_mlir_ciface_NAME`) for every function: what the JIT
/// (CompiledModel) and the AOT compiler (tern-compile) both run. The passes
/// report failures at the ops they fail on.
LogicalResult lowerForCPU(ModuleOp module, const ExecutionOptions &options);

/// Optimizes LLVM IR as the JIT and the AOT compiler both do: O3 without
/// the target's cost model (the code is vectorized already; with x86's cost
/// model LLVM's loop and SLP passes reshape the register blocks), the
/// loops outside the OpenMP regions not unrolled, every function generated
/// for `cpu`.
llvm::Error optimizeForCPU(llvm::Module &module, const TargetCPU &cpu);

/// A model's @main compiled by the JIT.
class CompiledModel : public EvaluableModel {
public:
  /// Lowers `module` in place and compiles its @main, whose arguments and
  /// results must be static tensors of types dtypeOf knows. Fails with
  /// diagnostics at the function, the op a lowering fails on, or the module
  /// (JIT errors). Registers the LLVM IR translations in the module's
  /// context.
  static FailureOr<std::unique_ptr<CompiledModel>>
  compile(ModuleOp module, const ExecutionOptions &options);
  ~CompiledModel() override;

  /// What @main takes and returns (read before lowering).
  const ModelSignature &signature() const override { return signature_; }
  /// Whether compile() loaded the model from ExecutionOptions::cacheDir.
  bool fromCache() const { return fromCache_; }

  /// Runs @main on checked inputs; fills `outputs` unless it is null. A
  /// run-time check of the compiled code that fails (dynamic sizes that
  /// must agree and do not) is returned as an error.
  llvm::Error run(std::vector<::tern::support::Array> &inputs,
                  std::vector<::tern::support::Array> *outputs) override;

private:
  CompiledModel() = default;
  ModelSignature signature_;
  std::unique_ptr<ExecutionEngine> engine_;
  /// A model loaded from the compile cache runs in a JIT of its own.
  std::unique_ptr<llvm::orc::LLJIT> cachedJit_;
  bool fromCache_ = false;
  /// _mlir_ciface_main's packed wrapper.
  void (*entry_)(void **) = nullptr;
};

/// Registers the JIT (CompiledModel with the CPU pipeline) as the
/// ModelEvaluator of the quantization passes. Tools that run those passes
/// (tern-opt) call it once, before parsing pass pipelines.
void registerJITModelEvaluator();

} // namespace mlir::tern

#endif // TERN_EXECUTION_EXECUTION_H
