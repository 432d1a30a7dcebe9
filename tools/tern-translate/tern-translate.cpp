//===- tern-translate.cpp - translations into and out of MLIR -------------===//
//
// This file is the tern-translate driver: mlir-translate with tern's
// translations, `--import-onnx` first among them.
//
//===----------------------------------------------------------------------===//

#include "tern/Target/ONNX/Import.h"

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

int main(int argc, char **argv) {
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
