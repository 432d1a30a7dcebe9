//===- tern-opt.cpp - the tern optimizer driver ---------------------------===//
//
// This file is tern-opt: mlir-opt with the tern dialect, its passes and
// pipelines, and every upstream dialect and pass. It also reads ONNX models
// directly (`tern-opt model.onnx --passes`): a file ending in .onnx or
// .onnxtxt is imported first, with `--input-shape` fixing dynamic inputs.
// An output file ending in .mlirbc is written as bytecode.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/Transforms/Passes.h"
#include "tern/Execution/Execution.h"
#include "tern/Pipelines/PTQPipeline.h"
#include "tern/Pipelines/Pipelines.h"
#include "tern/Quantization/Passes.h"
#include "tern/Target/ONNX/Import.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

#include <malloc.h>

using namespace mlir;

/// The input as MLIR: the file itself, or the ONNX model it holds imported
/// and serialized to bytecode for MlirOptMain to parse. The bytecode goes
/// through an unlinked temporary file mapped back into memory: the imported
/// module is gone before MlirOptMain parses it, and its resource blobs point
/// into the mapping, so a model's weights are in memory once, not three
/// times (docs/Hardening.md, "Scale").
static std::unique_ptr<llvm::MemoryBuffer>
loadInput(StringRef inputFilename, DialectRegistry &registry) {
  std::string error;
  if (!mlir::tern::looksLikeONNX(inputFilename)) {
    std::unique_ptr<llvm::MemoryBuffer> file =
        openInputFile(inputFilename, &error);
    if (!file)
      llvm::errs() << error << "\n";
    return file;
  }
  llvm::Expected<mlir::tern::ONNXImportOptions> options =
      mlir::tern::onnxImportOptionsFromCL();
  if (!options) {
    llvm::errs() << "error: " << llvm::toString(options.takeError()) << "\n";
    return nullptr;
  }
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module =
      mlir::tern::importONNXFile(inputFilename, &context, *options);
  if (!module)
    return nullptr;
  int fd;
  SmallString<128> path;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "tern-import", "mlirbc", fd, path)) {
    llvm::errs() << "error: cannot create a temporary file for the imported "
                    "model: "
                 << ec.message() << "\n";
    return nullptr;
  }
  llvm::FileRemover remover(path);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (failed(writeBytecodeToFile(*module, os)))
      return nullptr;
    os.close();
    if (os.has_error()) {
      llvm::errs() << "error: cannot write the imported model to '" << path
                   << "': " << os.error().message() << "\n";
      os.clear_error();
      return nullptr;
    }
  }
  module = nullptr;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer) {
    llvm::errs() << "error: cannot read back the imported model from '" << path
                 << "': " << buffer.getError().message() << "\n";
    return nullptr;
  }
  return std::move(*buffer);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Calibration and allocation run models many times in this process: keep
  // freed buffers in the heap between runs (docs/CABI.md explains why).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  registerAllPasses();
  mlir::tern::registerTernConversionPasses();
  mlir::tern::registerTernTransformsPasses();
  mlir::tern::registerTernPasses();
  mlir::tern::registerTernQuantizationPasses();
  mlir::tern::registerTernPipelines();
  mlir::tern::registerTernPTQPipeline();
  mlir::tern::registerONNXImportCLOptions();
  // The quantization passes run models on calibration inputs with the JIT.
  mlir::tern::registerJITModelEvaluator();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();
  mlir::tern::registerONNXImportDialects(registry);

  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv, "tern optimizer driver\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  // `-o model.mlirbc` writes bytecode, which keeps the locations that name
  // layers (text drops them unless --mlir-print-debuginfo is given).
  if (StringRef(outputFilename).ends_with(".mlirbc"))
    config.emitBytecode(true);

  std::unique_ptr<llvm::MemoryBuffer> input =
      loadInput(inputFilename, registry);
  if (!input)
    return 1;
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (failed(MlirOptMain(output->os(), std::move(input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
