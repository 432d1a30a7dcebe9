//===- Passes.td - tern-sparsity's pass --------------------*- tablegen -*-===//
//
// This file declares annotate-tern-sparsity, the pass of the out-of-tree
// example project.
//
//===----------------------------------------------------------------------===//

#ifndef TERNSPARSITY_PASSES_TD
#define TERNSPARSITY_PASSES_TD

include "mlir/Pass/PassBase.td"

def AnnotateTernSparsity : Pass<"annotate-tern-sparsity"> {
  let summary = "annotate each tern.matmul with the zero codes of its weights";
  let description = [{
    A zero code is an activation the add/sub kernels neither add nor
    subtract. For every `tern.matmul` whose codes (a `tern.constant`),
    scales, shifts and bias are constants, counts the zero codes (0, 0+ or
    0-) of each trit plane and attaches them, with the number of codes of a
    plane:

    ```mlir
    %y = tern.matmul %x, %w scales(%s : tensor<2x2x1xf32>) group_size = 0
           {sparsity.codes = 8 : i64, sparsity.zeros = array<i64: 5, 3>}
           : tensor<1x4xf32>, tensor<2x2x4x!tern.trit> -> tensor<1x2xf32>
    ```

    A matmul whose weights are not constants gets a remark saying so and is
    left as it is.
  }];
  let dependentDialects = ["mlir::tern::TernDialect"];
}

#endif // TERNSPARSITY_PASSES_TD
