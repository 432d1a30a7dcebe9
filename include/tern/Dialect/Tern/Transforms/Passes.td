//===- Passes.td - tern dialect transformations -------------*- tablegen -*-===//
//
// This file declares the passes that produce tern ops: post-training
// ternarization of float models.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_TRANSFORMS_PASSES_TD
#define TERN_DIALECT_TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def Ternarize : Pass<"tern-ternarize", "::mlir::ModuleOp"> {
  let summary = "Rewrite float matmuls with constant weights into tern.matmul";
  let description = [{
    Every `linalg.matmul` whose right operand is a float constant (K x N,
    as the ONNX importer emits MatMul and Gemm), and every 1x1 stride-1
    `linalg.conv_2d_nchw_fchw` with constant weights (a matmul over the
    channels of every pixel, between two transposes), that accumulates into
    zeros becomes a `tern.matmul` on the ternarized weights (N x K): codes
    packed into a `dense_resource` blob (`#tern.packing<sign_magnitude>`),
    scales (and DLT's shifts) as constants. The numerics are the library's
    (`include/tern/Quant`, docs/Quantization.md):

    - `method=bt`: balanced ternary, one plane, `threshold=` rule;
    - `method=szt`: the same with signed zeros (`!tern.szt`);
    - `method=ptqtp`: `planes=` trit planes (PTQTP);
    - `method=dlt`: one plane with a scale and a shift per group.

    `group-size=0` fits per output channel, `group-size=G` per G weights
    along K (G must divide K). Layers are named by their location (the ONNX
    node name for imported models); `include=` and `exclude=` are regular
    expressions on those names (a layer is rewritten if it matches include,
    or include is empty, and does not match exclude).

    ```mlir
    // tern-opt --tern-ternarize="method=ptqtp planes=2 group-size=64"
    %y = linalg.matmul ins(%x, %w : tensor<1x128xf32>, tensor<128x32xf32>)
                       outs(%zeros : tensor<1x32xf32>) -> tensor<1x32xf32>
    // becomes
    %c = tern.constant #tern.packing<sign_magnitude> dense_resource<...>
           : tensor<2048xi8> -> tensor<2x32x128x!tern.trit>
    %y = tern.matmul %x, %c scales(%s : tensor<2x32x2xf32>) group_size = 64
           : tensor<1x128xf32>, tensor<2x32x128x!tern.trit> -> tensor<1x32xf32>
    ```
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"bt\"",
           "bt, szt, ptqtp or dlt">,
    Option<"threshold", "threshold", "std::string", /*default=*/"\"mse\"",
           "Threshold rule of bt and szt: sigma, twn, absmean or mse">,
    Option<"planes", "planes", "int64_t", /*default=*/"2",
           "Trit planes of ptqtp (1 to 4)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"0",
           "Weights per group along K; 0 for one group per output channel">,
    Option<"include", "include", "std::string", /*default=*/"\"\"",
           "Regular expression: only layers whose name matches">,
    Option<"exclude", "exclude", "std::string", /*default=*/"\"\"",
           "Regular expression: layers whose name matches are left float">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write a JSON report of every layer (shape, planes, group, bits "
           "per weight, relative weight error) and totals to this file, and "
           "print it as a table on stderr">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tern::TernDialect",
  ];
}

#endif // TERN_DIALECT_TERN_TRANSFORMS_PASSES_TD
