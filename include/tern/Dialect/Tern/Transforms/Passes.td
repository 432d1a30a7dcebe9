//===- Passes.td - transformations of tern ops -------------*- tablegen -*-===//
//
// This file declares the passes that transform tern ops within the tern
// dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_TRANSFORMS_PASSES_TD
#define TERN_DIALECT_TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseSiblingMatmuls : Pass<"tern-fuse-sibling-matmuls",
                              "::mlir::func::FuncOp"> {
  let summary = "Merge ternary matmuls that read the same activations";
  let description = [{
    A decoder layer multiplies one normalized row by the q, k and v
    projections, and another by the gate and up projections: five kernel
    calls, five parallel regions, five passes over x (and five int8
    quantizations of it), where two would do. When a token is generated
    each call reads a few megabytes, and what a call costs before its
    weights stream at full rate (the fork, each thread's first misses)
    is a large part of it.

    This pass merges the `tern.matmul` ops of a block that read the same
    activations into one over the concatenated rows (in program order),
    placed where the first of them was, and replaces each by the
    `tensor.extract_slice` of its columns of the result. Ops merge when
    their weights, scales, shifts and biases are constants (codes in a
    `tern.constant`) and they agree on everything the kernel is compiled
    for: the group size, the code type and packing, the number of planes,
    the scales' type (and the shifts', which must be the scales'), the
    bias's type and the result's. An op without shifts or a bias that
    merges with one that has them gets zero shifts or a zero bias, which
    add exactly nothing. The merged codes are repacked in the same
    packing; the products are the same numbers as before, bit for bit.

    A slice is a strided view of the merged result. A `tensor.reshape` of
    it that only regroups the leading dimensions (a projection brought back
    to [batch, sequence, N]) would copy it, since a reshape needs a
    contiguous source; such reshapes become slices of the merged result
    reshaped the same way, which is a view.

    At most `max-rows` rows are merged into one op (0: no limit).

    ```mlir
    // tern-opt --tern-fuse-sibling-matmuls
    %q = tern.matmul %x, %wq scales(%sq : tensor<64x1xf32>) group_size = 0
           : tensor<?x128xf32>, tensor<64x128x!tern.trit> -> tensor<?x64xf32>
    %k = tern.matmul %x, %wk scales(%sk : tensor<16x1xf32>) group_size = 0
           : tensor<?x128xf32>, tensor<16x128x!tern.trit> -> tensor<?x16xf32>
    // becomes
    %qk = tern.matmul %x, %wqk scales(%sqk : tensor<80x1xf32>) group_size = 0
           : tensor<?x128xf32>, tensor<80x128x!tern.trit> -> tensor<?x80xf32>
    %q = tensor.extract_slice %qk[0, 0] [%m, 64] [1, 1]
    %k = tensor.extract_slice %qk[0, 64] [%m, 16] [1, 1]
    ```
  }];
  let options = [
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"0",
           "Most weight rows one merged matmul may have (0: no limit)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // TERN_DIALECT_TERN_TRANSFORMS_PASSES_TD
