//===- tern-sparsity-opt.cpp - the example project's opt tool -------------===//
//
// This file is tern-sparsity-opt: mlir-opt with the dialects of an imported
// model, the tern dialect, tern-ternarize (from the installed
// TernQuantization library) and the project's own annotate-tern-sparsity.
// It registers no model evaluator, so tern-ternarize's options that run the
// model report that they need one (docs/ModelEvaluator.md).
//
//===----------------------------------------------------------------------===//

#include "TernSparsity/Passes.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Quantization/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  mlir::linalg::LinalgDialect, mlir::tensor::TensorDialect,
                  mlir::tern::TernDialect>();
  mlir::tern::registerTernQuantizationPasses();
  ternsparsity::registerTernSparsityPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "tern-sparsity optimizer driver\n", registry));
}
