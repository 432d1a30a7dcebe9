//===- TernAttrs.td - tern attributes ----------------------*- tablegen -*-===//
//
// This file declares the attributes of the tern dialect: the packing layout of
// ternary constants.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNATTRS_TD
#define TERN_DIALECT_TERN_IR_TERNATTRS_TD

include "tern/Dialect/Tern/IR/TernDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/EnumAttr.td"

def Tern_PackingSignMagnitude : I32EnumAttrCase<"SignMagnitude", 0, "sign_magnitude">;
def Tern_PackingOffsetBinary : I32EnumAttrCase<"OffsetBinary", 1, "offset_binary">;
def Tern_PackingBase3 : I32EnumAttrCase<"Base3", 2, "base3">;
def Tern_PackingSherry : I32EnumAttrCase<"Sherry", 4, "sherry">;

def Tern_PackingKind : I32EnumAttr<"PackingKind",
    "how ternary codes are laid out in bytes",
    [Tern_PackingSignMagnitude, Tern_PackingOffsetBinary, Tern_PackingBase3,
     Tern_PackingSherry]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_PackingAttr : EnumAttr<Tern_Dialect, Tern_PackingKind, "packing"> {
  let summary = "byte layout of a packed ternary tensor";
  let description = [{
    Names the byte layout of the packed blob behind a `tern.constant`. Every
    layout shares the same outer structure: the tensor is seen as rows along
    its innermost dimension K (rows = product of the outer dimensions, in
    row-major order); each row starts on a byte boundary and rows follow each
    other with no gap. Inside a row:

    - `sign_magnitude`: 4 codes per byte, code j in bits 2(j mod 4) and
      2(j mod 4) + 1 of byte j / 4 (low bits first). Bit 0 is the magnitude,
      bit 1 the sign: 0b00 = 0 (0+), 0b01 = +1, 0b10 = 0- (only `!tern.szt`),
      0b11 = -1. The only layout that holds `!tern.szt`.
    - `offset_binary`: 4 codes per byte in the same positions, code = t + 1
      (0b00 = -1, 0b01 = 0, 0b10 = +1; 0b11 is reserved): unsigned 2-bit
      codes with zero point 1, as 2-bit integer formats store them.
    - `base3`: 5 trits per byte, byte = sum over i < 5 of (t_i + 1) * 3^i
      (1.6 bits per weight; bytes above 242 are reserved).
    - `sherry`: 3:4 sparse trits (every 4 consecutive codes along K hold
      exactly one 0; K must be a multiple of 4) in 5 bits per quartet, 1.25
      bits per weight: quartet q occupies bits 5q .. 5q + 4 of the row, bit
      b of the row being bit b mod 8 of byte b / 8. The field's low 2 bits
      give the zero's position, the next 3 the signs of the other three
      codes in order (1 = -1).

    Padding codes at the end of a row hold the code of 0. Reserved codes and
    non-zero padding are rejected when a constant is lowered.

    ```mlir
    #tern.packing<sign_magnitude>
    ```
  }];
  let assemblyFormat = "`<` $value `>`";
  let extraClassDeclaration = [{
    /// Number of bytes that hold a tensor of `shape` in this layout.
    int64_t getPackedBytes(::llvm::ArrayRef<int64_t> shape) const;
    /// Whether this layout can represent every value of `elementType`.
    bool canHold(::mlir::Type elementType) const;
  }];
}

def Tern_PackedCodesAttr
    : AttrDef<Tern_Dialect, "PackedCodes", [TypedAttrInterface]> {
  let mnemonic = "packed_codes";
  let summary = "the value of a tern.constant: packed codes and their layout";
  let description = [{
    What `tern.constant` folds to, so that it is `ConstantLike`: the blob of
    bytes, the `#tern.packing` it is laid out in, and the tensor of codes it
    holds (the attribute's type). Folding and canonicalization see two
    constants with the same attribute as one value, hoist them to the entry
    block, and rebuild a `tern.constant` from it (the dialect's constant
    materializer); `m_Constant` matches a `tern.constant` through it.

    ```mlir
    #tern.packed_codes<#tern.packing<sign_magnitude>,
                       dense_resource<w0> : tensor<8xi8>>
      : tensor<4x8x!tern.trit>
    ```
  }];
  let parameters = (ins
    AttributeSelfTypeParameter<"", "::mlir::RankedTensorType">:$type,
    "::mlir::tern::PackingKindAttr":$packing,
    "::mlir::ElementsAttr":$bytes);
  let assemblyFormat = "`<` qualified($packing) `,` $bytes `>`";
}

def Tern_DotGeneric : I32EnumAttrCase<"Generic", 0, "generic">;
def Tern_DotPmaddubsw : I32EnumAttrCase<"Pmaddubsw", 1, "pmaddubsw">;
def Tern_DotVpdpbusd : I32EnumAttrCase<"Vpdpbusd", 2, "vpdpbusd">;

def Tern_DotInstruction : I32EnumAttr<"DotInstruction",
    "how tern.dot4 is lowered",
    [Tern_DotGeneric, Tern_DotPmaddubsw, Tern_DotVpdpbusd]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_DotInstructionAttr
    : EnumAttr<Tern_Dialect, Tern_DotInstruction, "dot_instruction"> {
  let summary = "the instructions a tern.dot4 becomes";
  let description = [{
    `generic`: plain vector arithmetic (extensions, multiplication, a
    reduction of each group of four lanes), for any target. `pmaddubsw`:
    x86 `vpmaddubsw` (pairs of products, saturated to i16) then `vpmaddwd`
    by ones and an add, on AVX2 (256-bit) or AVX-512BW (512-bit).
    `vpdpbusd`: x86 `vpdpbusd` on AVX-VNNI or AVX-512 VNNI.
  }];
  let assemblyFormat = "`<` $value `>`";
}

def Tern_LookupGeneric : I32EnumAttrCase<"Generic", 0, "generic">;
def Tern_LookupVpermi2d : I32EnumAttrCase<"Vpermi2d", 1, "vpermi2d">;
def Tern_LookupVpermi2b : I32EnumAttrCase<"Vpermi2b", 2, "vpermi2b">;
def Tern_LookupVpshufb : I32EnumAttrCase<"Vpshufb", 3, "vpshufb">;
def Tern_LookupVpermw : I32EnumAttrCase<"Vpermw", 4, "vpermw">;

def Tern_LookupInstruction : I32EnumAttr<"LookupInstruction",
    "how tern.decode_sherry, tern.decode_base3 and tern.lookup are lowered",
    [Tern_LookupGeneric, Tern_LookupVpermi2d, Tern_LookupVpermi2b,
     Tern_LookupVpshufb, Tern_LookupVpermw]> {
  let cppNamespace = "::mlir::tern";
  let genSpecializedAttr = 0;
}

def Tern_LookupInstructionAttr
    : EnumAttr<Tern_Dialect, Tern_LookupInstruction, "lookup_instruction"> {
  let summary = "the instructions a tern.decode_sherry, tern.decode_base3 or "
                "tern.lookup becomes";
  let description = [{
    `generic`: shifts, masks and adds on the lanes (about 15 vector
    instructions for tern.decode_sherry, 35 for tern.decode_base3), for any
    target. `vpermi2d` (tern.decode_sherry): one AVX-512 `vpermi2d`, a
    lookup in a 32-entry table held in two registers; needs 16 i32 lanes
    (a 512-bit register). `vpermi2b` (tern.decode_base3): two compares
    and AVX-512 VBMI's `vpermi2b`, one lookup in a 128-entry byte table;
    needs 64 bytes (a 512-bit register). `vpshufb` (tern.decode_base3):
    the digit 4 and the quotient by 9 of the rest as multiplies on i16
    lanes, then the 2-bit fields of the rest's two base-9 digits by two
    `vpshufb` lookups in 16-entry tables (SSSE3, AVX2, AVX-512BW); needs
    16, 32 or 64 bytes. `vpermw` (tern.lookup): one AVX-512BW `vpermw`, a
    lookup in a 32-entry table of i16 held in one register or read from
    memory; needs 32 i16 lanes (a 512-bit register). `generic` for
    tern.lookup: each lane's entry extracted and inserted, for any target.
  }];
  let assemblyFormat = "`<` $value `>`";
}

#endif // TERN_DIALECT_TERN_IR_TERNATTRS_TD
