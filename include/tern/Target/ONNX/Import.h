//===- Import.h - ONNX models to MLIR ---------------------------*- C++ -*-===//
//
// This file declares the ONNX importer: it reads a model (binary protobuf or
// ONNX text syntax) and builds a func.func of upstream dialects only (linalg,
// tensor, arith, math), with weights in dense resource blobs and every op
// located at the ONNX node it came from. See docs/ONNXImport.md.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_TARGET_ONNX_IMPORT_H
#define TERN_TARGET_ONNX_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::tern {

struct ONNXImportOptions {
  /// Static shapes for graph inputs, by name: they replace the model's
  /// shapes, which is how dynamic dimensions are fixed.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Values for scalar graph inputs, by name: each input becomes a constant
  /// (a mode such as a sample rate), so that what depends on it folds at
  /// import time (an If on it imports only the branch taken).
  llvm::StringMap<double> inputValues;
  /// Name of the function the graph becomes.
  std::string functionName = "main";
  /// Constants with more elements than this become resource blobs.
  int64_t inlineConstantLimit = 16;
};

/// Parses `x=1x3x48x320,y=4` into `options.inputShapes`; the error names
/// the entry it cannot read.
llvm::Error parseONNXInputShapes(llvm::StringRef spec,
                                 ONNXImportOptions &options);

/// Parses `sr=16000,flag=1` into `options.inputValues`; the error names
/// the entry it cannot read.
llvm::Error parseONNXInputValues(llvm::StringRef spec,
                                 ONNXImportOptions &options);

/// Registers `--input-shape NAME=DxDx...[,NAME=...]` and `--input-value
/// NAME=V[,NAME=V]`, the command-line
/// option of every tool that imports ONNX (tern-opt, tern-translate,
/// tern-run, tern-compile): declared here once. Call it before the command
/// line is parsed; with `category`, the options are listed there (for tools
/// whose --help shows only their own category).
void registerONNXImportCLOptions(llvm::cl::OptionCategory *category = nullptr);

/// The import options the command line gave (registerONNXImportCLOptions).
llvm::Expected<ONNXImportOptions> onnxImportOptionsFromCL();

/// Imports the model in `path`; external data is read relative to (and
/// confined to) the model's folder. Errors are emitted as diagnostics on
/// `context` and yield a null module.
OwningOpRef<ModuleOp> importONNXFile(llvm::StringRef path, MLIRContext *context,
                                     const ONNXImportOptions &options);

/// Imports a model held in memory (binary or text syntax). `baseDirectory`
/// is where external data may live (empty: no external data allowed), and
/// `bufferName` names the model in diagnostics.
OwningOpRef<ModuleOp> importONNXBuffer(llvm::StringRef bytes,
                                       llvm::StringRef bufferName,
                                       llvm::StringRef baseDirectory,
                                       MLIRContext *context,
                                       const ONNXImportOptions &options);

/// Whether a file name or its first bytes look like an ONNX model.
bool looksLikeONNX(llvm::StringRef fileName);

/// Registers the dialects the importer emits.
void registerONNXImportDialects(DialectRegistry &registry);

} // namespace mlir::tern

#endif // TERN_TARGET_ONNX_IMPORT_H
