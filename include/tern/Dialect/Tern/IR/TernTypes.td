//===- TernTypes.td - tern element types -------------------*- tablegen -*-===//
//
// This file declares the ternary element types of the tern dialect.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNTYPES_TD
#define TERN_DIALECT_TERN_IR_TERNTYPES_TD

include "tern/Dialect/Tern/IR/TernDialect.td"
include "mlir/IR/AttrTypeBase.td"

class Tern_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Tern_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Tern_TritType : Tern_Type<"Trit", "trit"> {
  let summary = "balanced ternary digit {-1, 0, +1}";
  let description = [{
    A balanced-ternary weight code. It has no scale of its own: the op that
    consumes a tensor of trits supplies the per-group scales. Used as a tensor
    element type:

    ```mlir
    %w = tern.constant #tern.packing<sign_magnitude>
           dense_resource<w> : tensor<4xi8> -> tensor<2x8x!tern.trit>
    ```
  }];
}

def Tern_SZTType : Tern_Type<"SZT", "szt"> {
  let summary = "signed-zero ternary digit {-1, 0-, 0+, +1}";
  let description = [{
    A signed-zero ternary code (SZT, arXiv 2508.05905). It takes the same two
    bits as `!tern.trit` and spends the fourth code on the sign of a weight
    that fell inside the dead zone. In the forward direction both zeros are 0,
    so every op computes with `!tern.szt` exactly as with `!tern.trit`; the
    sign is kept for training that resumes from the quantized model.

    ```mlir
    %q = tern.quantize %w scales(%s : tensor<4x1xf32>) group_size = 0
           : tensor<4x16xf32> -> tensor<4x16x!tern.szt>
    ```
  }];
}

def Tern_AnyTernary : Type<
    Or<[Tern_TritType.predicate, Tern_SZTType.predicate]>,
    "trit or szt">;

/// A tensor of ternary codes.
def Tern_CodesTensor : RankedTensorOf<[Tern_AnyTernary]>;

/// A ranked float tensor (activations, scales, shifts, bias).
def Tern_FloatTensor : RankedTensorOf<[AnyFloat]>;

#endif // TERN_DIALECT_TERN_IR_TERNTYPES_TD
