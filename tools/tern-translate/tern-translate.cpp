//===- tern-translate.cpp - translations into and out of MLIR -------------===//
//
// This file is the tern-translate driver: mlir-translate with tern's
// translations: `--import-onnx`, and `--export-onnx`, which writes a
// ternarized module back into the ONNX model it came from. An imported
// module is written as bytecode with --emit-bytecode or an output file
// ending in .mlirbc (as tern-opt does), otherwise as text.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Target/ONNX/Export.h"
#include "tern/Target/ONNX/Import.h"

#include "mlir/InitAllDialects.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

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

static llvm::cl::opt<std::string> onnxExternalData(
    "onnx-external-data",
    llvm::cl::desc("--export-onnx: the file to write weights to as external "
                   "data, when the original model keeps them so or the "
                   "model exceeds 2 GiB; it belongs beside the output "
                   "(default: the output file's name + .data)"),
    llvm::cl::init(""));

static llvm::cl::opt<bool> emitBytecode(
    "emit-bytecode",
    llvm::cl::desc("--import-onnx: write MLIR bytecode rather than text "
                   "(implied by an output file ending in .mlirbc)"),
    llvm::cl::init(false));

/// mlirTranslateMain's own option `name` (it keeps -o and
/// --split-input-file to itself), read from LLVM's option registry once it
/// has parsed the command line; null if it does not exist.
static llvm::cl::Option *translateMainOption(StringRef name) {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find(name);
  return it == options.end() ? nullptr : it->second;
}

/// The output file (-o), "-" for stdout.
static std::string outputFile() {
  auto *output =
      dynamic_cast<llvm::cl::opt<std::string> *>(translateMainOption("o"));
  return output ? output->getValue() : "-";
}

int main(int argc, char **argv) {
  tern::registerONNXImportCLOptions();
  TranslateFromMLIRRegistration exportONNX(
      "export-onnx",
      "Write a ternarized module into the ONNX model it was imported from "
      "(--onnx-model), as fake-quant float weights or MatMulNBits nodes",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return mlir::emitError(op->getLoc(),
                                 "export-onnx: expected a module");
        if (onnxModel.empty())
          return mlir::emitError(op->getLoc(),
                                 "export-onnx: needs --onnx-model=PATH, the "
                                 "ONNX model the module was imported from");
        if (emitBytecode)
          return mlir::emitError(op->getLoc(),
                                 "export-onnx: --emit-bytecode applies to "
                                 "--import-onnx only (the output is ONNX)");
        std::optional<tern::ONNXWeightFormat> format =
            llvm::StringSwitch<std::optional<tern::ONNXWeightFormat>>(
                onnxWeights)
                .Case("fake-quant", tern::ONNXWeightFormat::FakeQuant)
                .Case("matmulnbits", tern::ONNXWeightFormat::MatMulNBits)
                .Default(std::nullopt);
        if (!format)
          return mlir::emitError(op->getLoc(),
                                 "export-onnx: unknown --onnx-weights '")
                 << onnxWeights << "' (expected fake-quant or matmulnbits)";
        tern::ONNXExportOptions options;
        options.format = *format;
        options.externalDataPath = onnxExternalData;
        // By default next to the output file (-o), when there is one.
        if (options.externalDataPath.empty() && outputFile() != "-")
          options.externalDataPath = outputFile() + ".data";
        return tern::exportQuantizedONNX(module, onnxModel, options, os);
      },
      [](DialectRegistry &registry) {
        registerAllDialects(registry);
        registry.insert<tern::TernDialect>();
      });

  // Registered as a file-to-file translation so that the module can be
  // written as bytecode; otherwise what mlir-translate does with a module
  // it imports: verify it, then print it.
  TranslateRegistration importONNX(
      "import-onnx", "Import an ONNX model (binary or text syntax)",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr, raw_ostream &output,
         MLIRContext *context) -> LogicalResult {
        DialectRegistry registry;
        tern::registerONNXImportDialects(registry);
        context->appendDialectRegistry(registry);
        llvm::Expected<tern::ONNXImportOptions> options =
            tern::onnxImportOptionsFromCL();
        if (!options)
          return emitError(UnknownLoc::get(context))
                 << llvm::toString(options.takeError());
        const llvm::MemoryBuffer *buffer =
            sourceMgr->getMemoryBuffer(sourceMgr->getMainFileID());
        StringRef name = buffer->getBufferIdentifier();
        // An output file ending in .mlirbc implies bytecode.
        llvm::cl::Option *split = translateMainOption("split-input-file");
        bool bytecode =
            emitBytecode || StringRef(outputFile()).ends_with(".mlirbc");
        if (bytecode && split && split->getNumOccurrences())
          return emitError(FileLineColLoc::get(context, name, 0, 0))
                 << "import-onnx: bytecode output (--emit-bytecode or -o "
                    "FILE.mlirbc) holds one module; --split-input-file "
                    "makes several";
        SmallString<256> directory;
        if (name != "<stdin>") {
          directory = name;
          llvm::sys::path::remove_filename(directory);
          if (directory.empty())
            directory = ".";
        }
        OwningOpRef<ModuleOp> module = tern::importONNXBuffer(
            buffer->getBuffer(), name, directory, context, *options);
        if (!module || failed(verify(*module)))
          return failure();
        if (bytecode)
          return writeBytecodeToFile(*module, output);
        module->print(output);
        return success();
      });
  return failed(mlirTranslateMain(argc, argv, "tern translation driver"));
}
