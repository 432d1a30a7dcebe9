//===- StaticHost.cpp - a plugin host with MLIR linked statically ---------===//
//
// This file is tern-plugin-static-host, a test tool: upstream's plugin
// loader (mlir::PassPlugin, mlir::DialectPlugin) in a program linked against
// MLIR's static libraries, as an mlir-opt built without libMLIR.so is. It
// loads each plugin named on its command line as a pass plugin and as a
// dialect plugin, prints what the loader says and exits 1 if it refused one.
// TernPlugin must refuse such a host with an error naming both MLIRs
// (test/Tools/tern-plugin/incompatible-host.test).
//
//===----------------------------------------------------------------------===//

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    llvm::Expected<mlir::PassPlugin> passes = mlir::PassPlugin::load(argv[i]);
    if (passes) {
      llvm::outs() << "loaded pass plugin " << passes->getPluginName() << "\n";
    } else {
      llvm::errs() << llvm::toString(passes.takeError()) << "\n";
      status = 1;
    }
    llvm::Expected<mlir::DialectPlugin> dialects =
        mlir::DialectPlugin::load(argv[i]);
    if (dialects) {
      llvm::outs() << "loaded dialect plugin " << dialects->getPluginName()
                   << "\n";
    } else {
      llvm::errs() << llvm::toString(dialects.takeError()) << "\n";
      status = 1;
    }
  }
  return status;
}
