//===- TernOps.td - tern operations ------------------------*- tablegen -*-===//
//
// This file declares the operations of the tern dialect: packed ternary
// constants, quantize/dequantize between float and ternary tensors, and the
// ternary matrix product.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_DIALECT_TERN_IR_TERNOPS_TD
#define TERN_DIALECT_TERN_IR_TERNOPS_TD

include "tern/Dialect/Tern/IR/TernDialect.td"
include "tern/Dialect/Tern/IR/TernTypes.td"
include "tern/Dialect/Tern/IR/TernAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Grouped ternary ops
//===----------------------------------------------------------------------===//

/// An op whose ternary codes come with per-group scales (and optional shifts).
/// `codes` names the accessor of the codes value (operand or result).
class Tern_GroupedOp<string mnemonic, string codes, list<Trait> traits = []>
    : Tern_Op<mnemonic, !listconcat(traits, [Pure])> {
  code extraBaseClassDeclaration = [{
    /// The plane/row/group structure of this op's codes.
    ::mlir::tern::GroupedLayout getLayout() {
      return ::mlir::tern::GroupedLayout::get(
          ::llvm::cast<::mlir::RankedTensorType>(}] # codes # [{().getType()),
          getGroupSize());
    }
  }];
  let extraClassDeclaration = extraBaseClassDeclaration;
  let hasVerifier = 1;
}

def Tern_QuantizeOp : Tern_GroupedOp<"quantize", "getResult"> {
  let summary = "round a float matrix to ternary codes with given group scales";
  let description = [{
    Quantizes a float matrix W (N x K, rows are output channels) to one plane
    of ternary codes, using the per-group scales α (N x G', G' = K / group_size,
    or 1 when `group_size` is 0) and optional per-group shifts γ (N x G'):

        r = (w - γ) / α,   t = sign(r) if |r| > 1/2 else 0

    that is, rounding to the nearest of {-1, 0, +1} with the threshold
    Δ = α/2 of the BT rule (ties go to 0). With a `!tern.szt` result the zeros
    keep the sign of r (0+ when r >= 0, also for r = -0.0 and NaN). Choosing
    the scales (thresholds, trit planes, DLT) is the job of the quantization
    passes; this op is the rounding they agree with.

    ```mlir
    %t = tern.quantize %w scales(%a : tensor<4x2xf32>) group_size = 8
           : tensor<4x16xf32> -> tensor<4x16x!tern.trit>
    ```
  }];
  let arguments = (ins Tern_FloatTensor:$input, Tern_FloatTensor:$scales,
                       Optional<Tern_FloatTensor>:$shifts,
                       I64Attr:$group_size);
  let results = (outs Tern_CodesTensor:$result);
  let assemblyFormat = [{
    $input `scales` `(` $scales `:` type($scales) `)`
    (`shifts` `(` $shifts^ `:` type($shifts) `)`)?
    `group_size` `=` $group_size attr-dict `:` type($input) `->` type($result)
  }];
}

def Tern_DequantizeOp : Tern_GroupedOp<"dequantize", "getInput"> {
  let summary = "reconstruct a float matrix from ternary planes";
  let description = [{
    Reconstructs the float matrix Ŵ (N x K) that ternary codes stand for.
    The codes hold P planes: N x K for one plane, P x N x K for several
    (PTQTP). Scales α are N x G' or P x N x G' to match, with G' = K /
    group_size (1 when `group_size` is 0); shifts γ (DLT) are N x G':

        Ŵ[n, k] = Σ_p α[p, n, g(k)] · T[p, n, k] + γ[n, g(k)]

    with g(k) = k / group_size. Both zeros of `!tern.szt` are 0.

    ```mlir
    %w = tern.dequantize %t scales(%a : tensor<2x4x2xf16>) group_size = 8
           : tensor<2x4x16x!tern.trit> -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins Tern_CodesTensor:$input, Tern_FloatTensor:$scales,
                       Optional<Tern_FloatTensor>:$shifts,
                       I64Attr:$group_size);
  let results = (outs Tern_FloatTensor:$result);
  let assemblyFormat = [{
    $input `scales` `(` $scales `:` type($scales) `)`
    (`shifts` `(` $shifts^ `:` type($shifts) `)`)?
    `group_size` `=` $group_size attr-dict `:` type($input) `->` type($result)
  }];
}

def Tern_MatmulOp : Tern_GroupedOp<"matmul", "getWeights",
                                   [AttrSizedOperandSegments]> {
  let summary = "activations times a ternary weight matrix";
  let description = [{
    Computes y = x Ŵᵀ for activations x (M x K, M = 1 for a vector) and the
    ternary weight Ŵ (N x K) that `tern.dequantize` defines from the same
    codes, scales, shifts and group size, plus an optional bias (N):

        y[m, n] = Σ_p Σ_g α[p, n, g] Σ_{k∈g} T[p, n, k] x[m, k]
                  + Σ_g γ[n, g] Σ_{k∈g} x[m, k] + bias[n]

    Inside a group the codes only add or subtract activations: the scales
    multiply per group and the shift multiplies the group sum of x, which is
    shared by every row. The result has the activations' element type.

    ```mlir
    %y = tern.matmul %x, %w scales(%a : tensor<2x4x2xf32>)
           bias(%b : tensor<4xf32>) group_size = 8
           : tensor<1x16xf32>, tensor<2x4x16x!tern.trit> -> tensor<1x4xf32>
    ```
  }];
  let arguments = (ins Tern_FloatTensor:$input, Tern_CodesTensor:$weights,
                       Tern_FloatTensor:$scales,
                       Optional<Tern_FloatTensor>:$shifts,
                       Optional<Tern_FloatTensor>:$bias,
                       I64Attr:$group_size);
  let results = (outs Tern_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights `scales` `(` $scales `:` type($scales) `)`
    (`shifts` `(` $shifts^ `:` type($shifts) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    `group_size` `=` $group_size attr-dict
    `:` type($input) `,` type($weights) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// RotateOp
//===----------------------------------------------------------------------===//

def Tern_RotateOp : Tern_Op<"rotate", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "activations times a Kronecker product of two matrices";
  let description = [{
    Computes y = x (L ⊗ R) for activations x (M x K) and matrices L (A x A)
    and R (B x B) with A · B = K: viewing each row of x as an A x B matrix
    X (x[m, p · B + q] = X[p, q]), the row of y is Lᵀ X R:

        y[m, i · B + j] = Σ_p Σ_q L[p, i] · x[m, p · B + q] · R[q, j]

    tern-ternarize's `rotate=` puts it before a `tern.matmul` whose weights
    were fitted in the rotated space (L and R orthogonal, so y Ŵᵀ
    approximates x Wᵀ): K (A + B) multiplies a row instead of K².
    Layers that read the same activations share one.

    ```mlir
    %y = tern.rotate %x by(%l, %r : tensor<10x10xf32>, tensor<12x12xf32>)
           : tensor<?x120xf32>
    ```
  }];
  let arguments = (ins Tern_FloatTensor:$input, Tern_FloatTensor:$left,
                       Tern_FloatTensor:$right);
  let results = (outs Tern_FloatTensor:$result);
  let assemblyFormat = [{
    $input `by` `(` $left `,` $right `:` type($left) `,` type($right) `)`
    attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

def Tern_ConstantOp : Tern_Op<"constant", [ConstantLike, Pure]> {
  let summary = "a packed ternary tensor held in a resource blob";
  let description = [{
    A constant tensor of ternary codes. The bits live in a `dense_resource`
    blob of bytes (i8 or ui8, rank 1) laid out as the `#tern.packing`
    attribute says, never as a text literal: a 100M-weight model stays a
    binary blob in bytecode and a single hex string in text. The blob must
    have exactly the byte count the layout needs for the result shape.

    ```mlir
    %w = tern.constant #tern.packing<sign_magnitude>
           dense_resource<w0> : tensor<8xi8> -> tensor<4x8x!tern.trit>
    ```

    It is `ConstantLike`: it folds to a `#tern.packed_codes` attribute, so
    canonicalization deduplicates constants of the same blob and hoists them
    to the entry block, and `m_Constant` matches it.
  }];
  let arguments = (ins Tern_PackingAttr:$packing, ElementsAttr:$value);
  let results = (outs Tern_CodesTensor:$result);
  let assemblyFormat = "qualified($packing) $value attr-dict `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "::mlir::RankedTensorType":$type,
                   "::mlir::tern::PackingKind":$packing,
                   "::llvm::StringRef":$blobName,
                   "::llvm::ArrayRef<uint8_t>":$bytes)>
  ];
  let extraClassDeclaration = [{
    /// Checks every byte of the blob against the packing: reserved codes,
    /// signed zeros in a `!tern.trit` tensor, non-zero padding. This reads
    /// the whole blob, so the verifier does not call it; lowerings that
    /// consume the bytes do.
    ::mlir::LogicalResult verifyContents();

    /// Unpacks the blob into one sign/magnitude code per element (in the
    /// result's row-major order), checking it as verifyContents does.
    ::mlir::LogicalResult readCodes(std::vector<uint8_t> &codes);

  private:
    /// Unpacks (into `codes` unless null) and checks the blob.
    ::mlir::LogicalResult unpackBlob(uint8_t *codes);

  public:
  }];
}

//===----------------------------------------------------------------------===//
// Dot4Op
//===----------------------------------------------------------------------===//

def Tern_Dot4Op : Tern_Op<"dot4", [Pure, AllTypesMatch<["lhs", "rhs"]>,
                                   AllTypesMatch<["acc", "result"]>]> {
  let summary = "dot products of four bytes with four signed bytes";
  let description = [{
    For N lanes of i32 and 4N bytes:

        result[i] = acc[i] + Σ_{j<4} ext(lhs[4i + j]) · sext(rhs[4i + j])

    where `ext` is zero extension, or sign extension with `signed`. The
    integer kernels of `convert-tern-to-vector` use it with codes t + 1
    in {0, 1, 2} (or a kept layer's int8 weights plus 128) as `lhs` and int8
    activations as `rhs`; `signed` is for weights stored as they are (a kept
    layer's int8 weights with `pmaddubsw`). `instruction` says what it
    lowers to (`convert-tern-dot-to-llvm`): with `pmaddubsw` each pair of products
    saturates to i16 as `vpmaddubsw` does, which cannot happen while
    lhs <= 128; `pmaddubsw` and `vpdpbusd` need N = 8 (256-bit registers)
    or N = 16 (512-bit) and a CPU with the instruction. Signed, both
    instructions take |lhs| and rhs with lhs's sign (`vpabsb`, and `vpsignb`
    or a masked negation), exact while rhs is not -128 (int8 activations
    are in [-127, 127]).

    ```mlir
    %s = tern.dot4 <vpdpbusd> %codes, %x, %acc : vector<64xi8> into vector<16xi32>
    %t = tern.dot4 <pmaddubsw> signed %w, %x, %acc : vector<32xi8> into vector<8xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs,
                       VectorOfRankAndType<[1], [I32]>:$acc,
                       Tern_DotInstructionAttr:$instruction,
                       UnitAttr:$signedLhs);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $instruction (`signed` $signedLhs^)? $lhs `,` $rhs `,` $acc attr-dict `:`
    type($lhs) `into` type($acc)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DecodeSherryOp
//===----------------------------------------------------------------------===//

def Tern_DecodeSherryOp : Tern_Op<"decode_sherry", [Pure]> {
  let summary = "Sherry quad fields to the quads' codes t + 1";
  let description = [{
    For N lanes of i32 and 4N bytes:

        result[4i + j] = t_j + 1 of the quad whose field is fields[i] & 31

    A field is `#tern.packing<sherry>`'s (docs/Packing.md): bits 0-1 give
    the position of the quad's one zero, bits 2-4 the signs of the other
    three codes in order (1 = -1); bits 5 and up are ignored, so a kernel
    reaches the next field of a lane with one shift. The int8 dot-product
    kernels of `convert-tern-to-vector` decode Sherry's 3:4 codes with it
    (`KernelDotCodes::Format::Sherry`) for `tern.dot4`. `instruction` says
    what it lowers to (`convert-tern-dot-to-llvm`): `vpermi2d` (N = 16) or
    `generic`.

    ```mlir
    %codes = tern.decode_sherry <vpermi2d> %fields : vector<16xi32> to vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$fields,
                       Tern_LookupInstructionAttr:$instruction);
  let results = (outs VectorOfRankAndType<[1], [I8]>:$codes);
  let assemblyFormat = [{
    $instruction $fields attr-dict `:` type($fields) `to` type($codes)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

def Tern_LookupOp : Tern_Op<"lookup",
    [Pure, AllTypesMatch<["table", "indices", "result"]>]> {
  let summary = "each lane's entry of a table as long as the register";
  let description = [{
    For N lanes of i16 (N a power of 2):

        result[i] = table[indices[i] & (N - 1)]

    so the bits of an index above its low log2(N) are ignored, and a
    kernel reaches the next field of a lane with one shift. The int8
    kernels of `convert-tern-to-vector` read Sherry's 3:4 codes with it for
    single activation rows (`KernelDotCodes::Format::Sherry`): `table`
    holds the 32 sums Σ t · x that a quad of activations can meet, one per
    5-bit field, and `indices` 32 rows' fields. `instruction` says what it
    lowers to (`convert-tern-dot-to-llvm`): `vpermw` (N = 32, AVX-512BW) or
    `generic`.

    ```mlir
    %sums = tern.lookup <vpermw> %table[%fields] : vector<32xi16>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I16]>:$table,
                       VectorOfRankAndType<[1], [I16]>:$indices,
                       Tern_LookupInstructionAttr:$instruction);
  let results = (outs VectorOfRankAndType<[1], [I16]>:$result);
  let assemblyFormat = [{
    $instruction $table `[` $indices `]` attr-dict `:` type($table)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DecodeBase3Op
//===----------------------------------------------------------------------===//

def Tern_DecodeBase3Op : Tern_Op<"decode_base3",
    [Pure, AllTypesMatch<["bytes", "quads", "fifth"]>]> {
  let summary = "base-3 bytes to their five digits t + 1";
  let description = [{
    Each byte b of `bytes` holds five base-3 digits t + 1 as the kernels
    store them (`KernelDotCodes::Format::Base3`, docs/Packing.md):
    b = 81 · digit_4 + r with digit_4 = [b >= 81] + [b >= 162] and digit_s
    = floor(r / 3^s) mod 3 for s < 4 (every byte decodes to digits of at
    most 2). For every byte i:

        quads[i] = Σ_{s<4} digit_s << 2s,  fifth[i] = digit_4

    so `quads` holds digits 0-3 as a register of 2-bit dot codes holds its
    four quads, and `fifth` the codes of a set's fifth quad, ready for
    `tern.dot4`. The int8 dot-product kernels of `convert-tern-to-vector`
    read base-3 weights with it (base3-direct). `instruction` says what it
    lowers to (`convert-tern-dot-to-llvm`): `vpermi2b` (AVX-512 VBMI, 64
    bytes) compares for the fifth digit and looks the quads of r up in a
    128-entry table, `vpshufb` (AVX2 and others, 16, 32 or 64 bytes)
    divides on i16 lanes and looks up the fields of r's base-9 digits in
    two 16-entry tables, `generic` computes them.

    ```mlir
    %quads, %fifth = tern.decode_base3 <vpermi2b> %bytes : vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I8]>:$bytes,
                       Tern_LookupInstructionAttr:$instruction);
  let results = (outs VectorOfRankAndType<[1], [I8]>:$quads,
                      VectorOfRankAndType<[1], [I8]>:$fifth);
  let assemblyFormat = [{
    $instruction $bytes attr-dict `:` type($bytes)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Dot2Op
//===----------------------------------------------------------------------===//

def Tern_Dot2Op : Tern_Op<"dot2", [Pure, AllTypesMatch<["lhs", "rhs"]>,
                                   AllTypesMatch<["acc", "result"]>]> {
  let summary = "dot products of two unsigned bytes with two signed bytes";
  let description = [{
    For N lanes of i16 and 2N bytes:

        result[i] = acc[i] + Σ_{j<2} zext(lhs[2i + j]) · sext(rhs[2i + j])

    in i16 (wrapping). The integer kernels of `convert-tern-to-vector` sum
    up to 64 of these in i16 before widening, where `vpmaddubsw` alone does
    the products (one instruction and an add instead of three). With
    `pmaddubsw` the sum of each pair saturates to i16 as the instruction's
    does (not when lhs <= 2 and |rhs| <= 127, as in the kernels); it needs
    N = 16 or 32 (a 256-bit or 512-bit register). `vpdpbusd` has no pair
    form and is rejected.

    ```mlir
    %s = tern.dot2 <pmaddubsw> %codes, %x, %acc : vector<32xi8> into vector<16xi16>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs,
                       VectorOfRankAndType<[1], [I16]>:$acc,
                       Tern_DotInstructionAttr:$instruction);
  let results = (outs VectorOfRankAndType<[1], [I16]>:$result);
  let assemblyFormat = [{
    $instruction $lhs `,` $rhs `,` $acc attr-dict `:` type($lhs) `into`
    type($acc)
  }];
  let hasVerifier = 1;
}

#endif // TERN_DIALECT_TERN_IR_TERNOPS_TD
