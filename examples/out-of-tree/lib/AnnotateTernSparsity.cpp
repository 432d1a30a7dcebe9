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
      std::vector<float> bias;
      std::string error;
      std::optional<tern::quant::TernaryWeights> weights =
          mlir::tern::readConstantWeights(op, bias, error);
      if (!weights) {
        op.emitRemark() << "annotate-tern-sparsity: not annotated: " << error;
        return;
      }
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
