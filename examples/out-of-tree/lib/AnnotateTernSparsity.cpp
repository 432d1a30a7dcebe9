//===- AnnotateTernSparsity.cpp - zero codes of ternary weights -----------===//
//
// This file implements annotate-tern-sparsity with tern's C++ API: the
// tern.matmul op class, readConstantWeights (which unpacks a tern.constant
// whatever its packing) and the numerics library's code values.
//
//===----------------------------------------------------------------------===//

#include "TernSparsity/Passes.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Quant/Packing.h"

#include "mlir/IR/Builders.h"

namespace ternsparsity {
#define GEN_PASS_DEF_ANNOTATETERNSPARSITY
#include "TernSparsity/Passes.h.inc"
} // namespace ternsparsity

namespace {
struct AnnotateTernSparsity
    : ternsparsity::impl::AnnotateTernSparsityBase<AnnotateTernSparsity> {
  void runOnOperation() override {
    getOperation()->walk([](mlir::tern::MatmulOp op) {
      if (!mlir::tern::hasConstantWeights(op)) {
        op.emitRemark() << "annotate-tern-sparsity: not annotated: its "
                           "codes, scales, shifts and bias are not all "
                           "constants";
        return;
      }
      llvm::FailureOr<mlir::tern::MatmulWeights> read =
          mlir::tern::readConstantWeights(op);
      if (failed(read))
        return;
      const tern::quant::TernaryWeights *weights = &read->weights;
      llvm::SmallVector<int64_t> zeros(weights->planes, 0);
      for (int64_t p = 0; p < weights->planes; ++p)
        for (int64_t r = 0; r < weights->rows; ++r)
          for (int64_t k = 0; k < weights->cols; ++k)
            if (tern::quant::codeValue(weights->code(p, r, k)) == 0)
              ++zeros[p];
      mlir::Builder builder(op.getContext());
      op->setAttr("sparsity.codes",
                  builder.getI64IntegerAttr(weights->rows * weights->cols));
      op->setAttr("sparsity.zeros", builder.getDenseI64ArrayAttr(zeros));
    });
  }
};
} // namespace
