//===- Passes.td - tern conversion passes ------------------*- tablegen -*-===//
//
// This file declares the passes that lower the tern dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_CONVERSION_PASSES_TD
#define TERN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTernToLinalg : Pass<"convert-tern-to-linalg", "ModuleOp"> {
  let summary = "Lower tern ops to float linalg: the reference semantics";
  let description = [{
    Lowers every tern op to plain tensor code in `linalg`, `arith` and
    `tensor`, computing exactly what the op descriptions say: weights are
    dequantized to float, then multiplied. This is the semantic oracle that
    optimized lowerings are tested against, not a fast path.

    Ternary tensors become `i8` tensors holding the 2-bit sign/magnitude code
    (bit 0 magnitude, bit 1 sign), function signatures included. Packed
    constants stay `dense_resource` blobs and are unpacked by IR that reads
    the `#tern.packing` layout; their contents are validated first, and a
    reserved code or non-zero padding is an error naming the constant.

    ```mlir
    // tern-opt --convert-tern-to-linalg
    %y = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
           : tensor<1x8xf32>, tensor<4x8x!tern.trit> -> tensor<1x4xf32>
    // becomes a linalg.generic dequantizing %w and one contracting over K.
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // TERN_CONVERSION_PASSES_TD
