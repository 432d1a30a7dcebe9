//===- Driver.h - what tern's tools share -----------------------*- C++ -*-===//
//
// This file declares the pieces the model tools (tern-run, tern-compile)
// share: loading a model from any of the formats tern reads, and the
// signature of its entry function.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DRIVER_DRIVER_H
#define TERN_DRIVER_DRIVER_H

#include "tern/Runtime/Npy.h"
#include "tern/Target/ONNX/Import.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/CommandLine.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::tern {

/// Loads `path`: ONNX (.onnx, .onnxtxt; imported with `options`) or MLIR
/// (.mlir, .mlirbc). Errors are diagnostics on `context`.
OwningOpRef<ModuleOp> loadModel(StringRef path, MLIRContext *context,
                                const ONNXImportOptions &options);

/// One input or output of an entry function.
struct TensorSignature {
  std::string name; ///< the ONNX name, or argN / resultN
  Type elementType;
  SmallVector<int64_t> shape;
};

struct ModelSignature {
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
};

/// The signature of `func`, whose arguments and results must be static
/// tensors; on failure returns false with a message in `error`.
bool readSignature(func::FuncOp func, ModelSignature &signature,
                   std::string &error);

/// The array type of an MLIR element type, if tern can exchange it.
std::optional<::tern::runtime::DType> dtypeOf(Type type);

/// "(2, 3)".
std::string shapeString(ArrayRef<int64_t> shape);

/// Checks that `inputs` match the inputs of `signature` (types and shapes,
/// in order); the message names the input and `sources[i]` when given.
bool checkInputs(const ModelSignature &signature,
                 const std::vector<::tern::runtime::Array> &inputs,
                 const std::vector<std::string> &sources, std::string &error);

/// The category of the model tools' own options; their --help shows only
/// these, not the LLVM options linked in.
llvm::cl::OptionCategory &modelToolCategory();

struct TargetCPU;

/// The command-line options of the model tools (tern-run, tern-compile)
/// that mean the same in both: static shapes for an ONNX model's dynamic
/// inputs, and the CPU to generate code for. A tool declares one instance
/// at namespace scope, so that the options exist when it parses its
/// command line.
struct ModelToolOptions {
  llvm::cl::opt<std::string> inputShapes{
      "input-shape", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("For ONNX models: static input shapes, "
                     "NAME=DxDx...[,NAME=...]"),
      llvm::cl::init("")};
  llvm::cl::opt<std::string> cpu{
      "cpu", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("Instruction set of the generated code: x86-64-v3 "
                     "(AVX2, the default, runs on any AVX2 machine), "
                     "x86-64-v4 (AVX-512), native (this machine), or an "
                     "LLVM CPU name"),
      llvm::cl::init("x86-64-v3")};
  llvm::cl::opt<std::string> ternaryActivations{
      "ternary-activations", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("Activations of the ternary matmul kernels: 'f32' "
                     "(exact, the default) or 'int8' (per-row int8, faster)"),
      llvm::cl::init("f32")};
  llvm::cl::opt<std::string> ternaryInt8Dot{
      "ternary-int8-dot", llvm::cl::cat(modelToolCategory()),
      llvm::cl::desc("With --ternary-activations=int8, how the kernels "
                     "combine codes and activations: 'auto' (the fastest "
                     "--cpu has, the default), 'none' (16-bit add/sub, no "
                     "multiplication), 'generic', 'pmaddubsw' or "
                     "'vpdpbusd'"),
      llvm::cl::init("auto")};

  /// Checks --ternary-activations and resolves --ternary-int8-dot for
  /// `cpu` (resolveInt8Dot). On failure returns false with a message.
  bool resolveTernaryKernels(const TargetCPU &cpu, std::string &activations,
                             std::string &int8Dot, std::string &error) const;
};

/// A CPU that code is generated for.
struct TargetCPU {
  /// The LLVM CPU name.
  std::string name;
  /// f32 lanes of its widest SIMD registers (16 with AVX-512, 8 with AVX).
  int64_t vectorWidth = 4;
  /// Which byte dot products it has in registers of that width:
  /// vpmaddubsw (AVX2, AVX-512BW) and vpdpbusd (AVX-VNNI, AVX-512 VNNI).
  bool pmaddubsw = false, vpdpbusd = false;

  /// The fastest int8-dot of convert-tern-to-vector this CPU runs.
  StringRef bestInt8Dot() const {
    return vpdpbusd ? "vpdpbusd" : pmaddubsw ? "pmaddubsw" : "generic";
  }
};

/// The CPU for `--cpu NAME`: NAME itself if the host target knows it, the
/// host's CPU for "native". On failure returns false with a message.
bool resolveCPU(StringRef name, TargetCPU &cpu, std::string &error);

/// The int8-dot of convert-tern-to-vector for `requested` on `cpu`: its
/// best for "auto", else `requested` if it is one and the CPU has its
/// instructions. On failure returns false with a message.
bool resolveInt8Dot(const TargetCPU &cpu, StringRef requested, std::string &dot,
                    std::string &error);

} // namespace mlir::tern

#endif // TERN_DRIVER_DRIVER_H
