//===- tern-translate.cpp - translations into and out of MLIR -------------===//
//
// This file is the tern-translate driver: mlir-translate with tern's
// translations: `--import-onnx`, and `--export-onnx`, which writes a
// ternarized module back into the ONNX model it came from.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Target/ONNX/Export.h"
#include "tern/Target/ONNX/Import.h"

#include "mlir/InitAllDialects.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

static llvm::cl::opt<std::string> inputShapes(
    "input-shape",
    llvm::cl::desc("Static shapes for model inputs: NAME=DxDx...[,NAME=...]"),
    llvm::cl::init(""));

static llvm::cl::opt<std::string> onnxModel(
    "onnx-model",
    llvm::cl::desc("--export-onnx: the ONNX model the module was imported "
                   "from"),
    llvm::cl::init(""));

static llvm::cl::opt<std::string> onnxWeights(
    "onnx-weights",
    llvm::cl::desc("--export-onnx: 'fake-quant' (dequantized float weights, "
                   "the default) or 'matmulnbits' (com.microsoft "
                   "MatMulNBits, 2 bits per trit plane)"),
    llvm::cl::init("fake-quant"));

int main(int argc, char **argv) {
  TranslateFromMLIRRegistration exportONNX(
      "export-onnx",
      "Write a ternarized module into the ONNX model it was imported from "
      "(--onnx-model), as fake-quant float weights or MatMulNBits nodes",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("export-onnx: expected a module");
        if (onnxModel.empty())
          return op->emitError("export-onnx: needs --onnx-model=PATH, the "
                               "ONNX model the module was imported from");
        std::optional<tern::ONNXWeightFormat> format =
            llvm::StringSwitch<std::optional<tern::ONNXWeightFormat>>(
                onnxWeights)
                .Case("fake-quant", tern::ONNXWeightFormat::FakeQuant)
                .Case("matmulnbits", tern::ONNXWeightFormat::MatMulNBits)
                .Default(std::nullopt);
        if (!format)
          return op->emitError("export-onnx: unknown --onnx-weights '")
                 << onnxWeights << "' (expected fake-quant or matmulnbits)";
        return tern::exportQuantizedONNX(module, onnxModel, *format, os);
      },
      [](DialectRegistry &registry) {
        registerAllDialects(registry);
        registry.insert<tern::TernDialect>();
      });

  TranslateToMLIRRegistration importONNX(
      "import-onnx", "Import an ONNX model (binary or text syntax)",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        tern::ONNXImportOptions options;
        std::string error;
        if (!tern::parseONNXInputShapes(inputShapes, options, error)) {
          emitError(UnknownLoc::get(context)) << error;
          return OwningOpRef<Operation *>();
        }
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef name = buffer->getBufferIdentifier();
        SmallString<256> directory;
        if (name != "<stdin>") {
          directory = name;
          llvm::sys::path::remove_filename(directory);
          if (directory.empty())
            directory = ".";
        }
        OwningOpRef<ModuleOp> module = tern::importONNXBuffer(
            buffer->getBuffer(), name, directory, context, options);
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) {
        tern::registerONNXImportDialects(registry);
      });
  return failed(mlirTranslateMain(argc, argv, "tern translation driver"));
}
