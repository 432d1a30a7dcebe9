//===- LowerMath.cpp - math ops convert-to-llvm does not lower ------------===//
//
// This file implements tern-lower-math: erf and integer powers, the math
// ops that convert-to-llvm leaves for LLVM IR translation to refuse.
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Conversion/MathToFuncs/MathToFuncs.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_LOWERMATHFORCPU
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

struct LowerMathForCPUPass
    : public mlir::tern::impl::LowerMathForCPUBase<LowerMathForCPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    // f32 erf, scalar or vector: the polynomial approximation.
    RewritePatternSet approximations(context);
    populatePolynomialApproximateErfPattern(approximations);
    if (failed(applyPatternsGreedily(module, std::move(approximations))))
      return signalPassFailure();
    // What is left of erf (f64, f16): libm. A partial conversion with only
    // erf illegal applies the libm patterns to erf and nothing else.
    ConversionTarget target(*context);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addIllegalOp<math::ErfOp>();
    RewritePatternSet libm(context);
    populateMathToLibmConversionPatterns(libm);
    if (failed(applyPartialConversion(module, target, std::move(libm))))
      return signalPassFailure();
    // Integer powers: outlined loops.
    OpPassManager powers(ModuleOp::getOperationName());
    powers.addPass(createConvertMathToFuncs());
    if (failed(runPipeline(powers, module)))
      return signalPassFailure();
  }
};

} // namespace
