//===- LowerMath.cpp - math ops convert-to-llvm does not lower ------------===//
//
// This file implements tern-lower-math: erf and integer powers, the math
// ops that convert-to-llvm leaves for LLVM IR translation to refuse, and
// exp of f32 vectors, which LLVM would scalarize into libm calls.
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

/// f32 erf, scalar or vector, as the polynomial approximation; what is left
/// of erf (f64, f16) as libm calls. A partial conversion with only erf
/// illegal applies the libm patterns to erf and nothing else.
LogicalResult lowerErf(ModuleOp module) {
  MLIRContext *context = module.getContext();
  RewritePatternSet approximations(context);
  populatePolynomialApproximateErfPattern(approximations);
  if (failed(applyPatternsGreedily(module, std::move(approximations))))
    return failure();
  ConversionTarget target(*context);
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  target.addIllegalOp<math::ErfOp>();
  RewritePatternSet libm(context);
  populateMathToLibmConversionPatterns(libm);
  return applyPartialConversion(module, target, std::move(libm));
}

/// f32 exp of vectors (softmax, sigmoid, GELU's tanh form after
/// vectorization) as the polynomial approximation, in vector registers:
/// LLVM would otherwise call libm's expf once per lane. Scalar exp stays a
/// libm call.
LogicalResult lowerVectorExp(ModuleOp module) {
  SmallVector<Operation *> exps;
  module.walk([&](math::ExpOp op) {
    auto type = dyn_cast<VectorType>(op.getType());
    if (type && type.getElementType().isF32())
      exps.push_back(op);
  });
  if (exps.empty())
    return success();
  RewritePatternSet patterns(module.getContext());
  populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
    return name == math::ExpOp::getOperationName();
  });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  return applyOpPatternsGreedily(exps, std::move(patterns), config);
}

struct LowerMathForCPUPass
    : public mlir::tern::impl::LowerMathForCPUBase<LowerMathForCPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Rewriting also folds and moves constants: a module without these ops
    // is left exactly as it is.
    bool erf = false, powers = false;
    module.walk([&](Operation *op) {
      erf |= isa<math::ErfOp>(op);
      powers |= isa<math::IPowIOp, math::FPowIOp>(op);
    });
    if (erf && failed(lowerErf(module)))
      return signalPassFailure();
    if (failed(lowerVectorExp(module)))
      return signalPassFailure();
    // Integer powers: outlined loops.
    if (powers) {
      OpPassManager outline(ModuleOp::getOperationName());
      outline.addPass(createConvertMathToFuncs());
      if (failed(runPipeline(outline, module)))
        return signalPassFailure();
    }
  }
};

} // namespace
