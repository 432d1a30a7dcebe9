//===- Execution.h - run a model with the JIT -------------------*- C++ -*-===//
//
// This file declares JIT execution of a model's @main: lowering with one of
// tern's pipelines, compiling for a target CPU, and calling it on .npy
// arrays. tern-run and the calibration pass use it.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DRIVER_EXECUTION_H
#define TERN_DRIVER_EXECUTION_H

#include "tern/Driver/Driver.h"
#include "tern/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::tern {

/// The array type of an MLIR element type, if tern can exchange it.
std::optional<::tern::runtime::DType> dtypeOf(Type type);

/// "(2, 3)".
std::string shapeString(ArrayRef<int64_t> shape);

struct ExecutionOptions {
  /// Lower with the reference pipeline (the oracle) instead of
  /// tern-cpu-pipeline.
  bool reference = false;
  TargetCPU cpu = {"x86-64-v3", 8};
  /// Activations of the ternary matmul kernels: "f32" or "int8"
  /// (tern-cpu-pipeline's ternary-activations).
  std::string ternaryActivations = "f32";
  /// With int8 activations, how the kernels combine codes and activations
  /// (tern-cpu-pipeline's ternary-int8-dot; resolveInt8Dot).
  std::string ternaryInt8Dot = "pmaddubsw";
};

/// Checks that `inputs` match the inputs of `signature` (types and shapes,
/// in order); the message names the input and `sources[i]` when given.
bool checkInputs(const ModelSignature &signature,
                 const std::vector<::tern::runtime::Array> &inputs,
                 const std::vector<std::string> &sources, std::string &error);

/// A model's @main compiled by the JIT.
class CompiledModel {
public:
  /// Lowers `module` in place and compiles its @main, whose arguments and
  /// results must be static tensors of types dtypeOf knows. On failure
  /// returns null with a message in `error`. Registers the LLVM IR
  /// translations in the module's context.
  static std::unique_ptr<CompiledModel>
  compile(ModuleOp module, const ExecutionOptions &options, std::string &error);
  ~CompiledModel();

  /// What @main takes and returns (read before lowering).
  const ModelSignature &signature() const { return signature_; }

  /// Runs @main on checked inputs; fills `outputs` unless it is null.
  bool run(std::vector<::tern::runtime::Array> &inputs,
           std::vector<::tern::runtime::Array> *outputs, std::string &error);

private:
  CompiledModel() = default;
  ModelSignature signature_;
  std::unique_ptr<ExecutionEngine> engine_;
};

} // namespace mlir::tern

#endif // TERN_DRIVER_EXECUTION_H
