//===- TernDialect.td - tern dialect definition ------------*- tablegen -*-===//
//
// This file declares the tern dialect: ternary weights, their packed storage
// and the add/sub-only matrix products built from them.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNDIALECT_TD
#define TERN_DIALECT_TERN_IR_TERNDIALECT_TD

include "mlir/IR/OpBase.td"

def Tern_Dialect : Dialect {
  let name = "tern";
  let cppNamespace = "::mlir::tern";
  let summary = "Ternary weights and add/sub-only matrix products";
  let description = [{
    The tern dialect represents neural-network weights quantized to ternary
    codes and the matrix products computed from them. Codes are tensors whose
    element type is `!tern.trit` (balanced ternary {-1, 0, +1}) or `!tern.szt`
    (signed-zero ternary {-1, 0-, 0+, +1}); constants of such tensors keep their
    bits packed in resource blobs, with the layout spelled out by a
    `#tern.packing` attribute. Scales, shifts and group sizes are explicit
    operands and attributes of the ops that consume the codes, so a weight
    tensor means nothing by itself: `tern.dequantize` and `tern.matmul` give it
    its value.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

class Tern_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tern_Dialect, mnemonic, traits>;

#endif // TERN_DIALECT_TERN_IR_TERNDIALECT_TD
