//===- tern-opt.cpp - tern optimizer driver -------------------------------===//
//
// This file implements tern-opt, the mlir-opt of tern: every upstream dialect
// and pass, plus the tern dialect, its passes and its pipelines.
//
//===----------------------------------------------------------------------===//

#include "tern/Conversion/Passes.h"
#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::tern::registerTernConversionPasses();
  mlir::tern::registerTernPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::tern::TernDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tern optimizer driver\n", registry));
}
