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

def ConvertTernToVector : Pass<"convert-tern-to-vector", "ModuleOp"> {
  let summary = "Lower tern.matmul with constant weights to add/sub vector "
                "loops";
  let description = [{
    Rewrites every `tern.matmul` whose weights are a `tern.constant` and
    whose activations are f32 into loops of `vector` ops that multiply no
    weights. The codes are repacked at compile time into kernel bitmaps
    (docs/Packing.md): per row a magnitude bitmap and a sign bitmap, read
    `vector-width` bits at a time as `vector<Vxi1>` masks. For each chunk of
    V activations a row selects x or -x by its sign mask and adds it to its
    accumulator where its magnitude mask is set; each group's sum is then
    scaled once by its plane's scale. Planes, groups, SZT codes and every
    packing (Sherry's included) take the same path. DLT shifts multiply the
    group sums of x, computed once and shared by all rows, and with the bias
    initialize the result.

    With `activations=int8` each row of activations is first quantized to
    int8 with one scale (s = max |x| / 127, q = roundeven(x / s)) and the
    same loop runs on 16-bit lanes, twice as many per register, widened
    to 32 bits every 256 chunks; the row's scale multiplies its sums once.
    The result then differs from the dequantized model by the activations'
    rounding.

    With `int8-dot` other than `none`, the int8 activations meet the codes
    in dot products instead (`tern.dot4`, lowered by tern-lower-vector to
    `vpdpbusd`, to `vpmaddubsw` + `vpmaddwd`, or to generic vector
    arithmetic): the codes are repacked as kernel dot codes (t + 1 in 2
    bits, in blocks of vector-width rows), unpacked in registers to bytes,
    and each i32 lane accumulates one output row, so that a register holds
    vector-width consecutive outputs. Per quad of 4 codes the 4 activations
    of a row are broadcast to every lane; the group's sum of activations,
    computed once per row, removes the +1 offset exactly. Blocks of
    `block-rows` outputs by `block-batch` activation rows are the
    iterations of a 2-D `scf.forall`; tiles are `dot-tile-registers`
    registers by `dot-tile-batch` activation rows, and a single activation
    row's tiles take one register on short rows of codes (a block of at
    most 16 KiB) and `row-tile-registers` on longer ones. With `base3-direct`,
    an iteration of 32 activation rows or more (a prompt) first decodes
    its block's base-3 codes into a scratch its tiles read; fewer rows
    decode in every tile.

    The loops are register-tiled: `tile-rows` output rows by `tile-batch`
    rows of activations share each load of x and of the masks, with
    remainder tiles of one row and one activation. Blocks of `block-rows`
    output rows are the iterations of an `scf.forall`, which
    tern-cpu-pipeline runs on threads. Other tern ops, and matmuls with
    non-constant weights or non-f32 activations, are left to
    `convert-tern-to-linalg`.

    With `kept-int8-dot` (the default) and int8 dot products, the layers
    tern-ternarize keeps in int8 (a `linalg.matmul` of f32 activations and
    constant i8 weights whose product is scaled per output channel) become
    the same kernels: their weights are repacked as kernel dot codes of
    bytes w + 128, one quad of 4 codes a set, and each row's sums start at
    -128 · Σ q; with `pmaddubsw` (whose i16 pairs would saturate on such
    bytes) the bytes are w, dotted by `tern.dot4 signed`, from 0.

    ```mlir
    // tern-opt --convert-tern-to-vector="vector-width=16"
    %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
           : tensor<64xi8> -> tensor<8x32x!tern.trit>
    %y = tern.matmul %x, %w scales(%a : tensor<8x1xf32>) group_size = 0
           : tensor<1x32xf32>, tensor<8x32x!tern.trit> -> tensor<1x8xf32>
    // becomes an scf.forall over blocks of rows whose tiles loop over K
    // with vector.bitcast masks, arith.select and arith.addf.
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"8",
           "f32 lanes per vector: 8 (AVX2), 16 (AVX-512), 32 or 64">,
    Option<"activations", "activations", "::mlir::tern::KernelActivations",
           /*default=*/"::mlir::tern::KernelActivations::F32",
           "f32 (exact with respect to the dequantized weights) or int8 "
           "(each row of activations quantized to int8 with one scale, "
           "summed in 16-bit lanes: twice the lanes per instruction)",
           [{::mlir::tern::kernelActivationsValues()}]>,
    Option<"int8Dot", "int8-dot", "::mlir::tern::Int8Dot",
           /*default=*/"::mlir::tern::Int8Dot::None",
           "With activations=int8, how codes meet activations: none (add/sub "
           "in 16-bit lanes selected by bitmaps, no multiplication), or dot "
           "products of 2-bit codes unpacked to bytes with the int8 "
           "activations: generic (plain vector arithmetic, any target), "
           "pmaddubsw (AVX2 or AVX-512BW), vpdpbusd (AVX-VNNI or AVX-512 "
           "VNNI)",
           [{::mlir::tern::int8DotValues()}]>,
    Option<"base3Direct", "base3-direct", "bool", /*default=*/"false",
           "With int8-dot=vpdpbusd on 512-bit registers (vector-width=16; "
           "the target needs AVX-512 VBMI), pmaddubsw (any width) or "
           "generic, read base-3 weights (1.6 bits) as such, decoded by "
           "byte lookups (vpermi2b; vpshufb with pmaddubsw) to the codes "
           "the dot products take, instead of repacking them to 2-bit dot "
           "codes: fewer bytes, more instructions (docs/Kernels.md, "
           "\"Base-3 weights\")">,
    Option<"sherryDirect", "sherry-direct", "bool", /*default=*/"true",
           "With int8-dot=vpdpbusd on 512-bit registers (vector-width=16) "
           "or generic, read Sherry's 3:4 weights as 5-bit quad fields "
           "(1.33 bits, one lookup and one dot product a quad of codes) "
           "instead of repacking them to 2-bit dot codes "
           "(docs/Kernels.md, \"Sherry's 3:4 weights\")">,
    Option<"sherryLookups", "sherry-lookups", "bool", /*default=*/"true",
           "With sherry-direct and vector-width=16, read Sherry's fields "
           "for fewer activation rows than dot-tile-batch (a decoder's "
           "step) by lookups in tables of sums of the activations "
           "(vpermw) instead of decoding them for dot products">,
    Option<"tileRows", "tile-rows", "int64_t", /*default=*/"4",
           "Output rows a register tile computes at once">,
    Option<"tileBatch", "tile-batch", "int64_t", /*default=*/"2",
           "Activation rows a register tile computes at once">,
    Option<"blockRows", "block-rows", "int64_t", /*default=*/"64",
           "Output rows per parallel iteration">,
    Option<"dotTileRegisters", "dot-tile-registers", "int64_t",
           /*default=*/"2",
           "Dot-product kernels: registers of vector-width output rows a "
           "register tile computes at once">,
    Option<"dotTileBatch", "dot-tile-batch", "int64_t", /*default=*/"4",
           "Dot-product kernels: activation rows a register tile computes "
           "at once">,
    Option<"blockBatch", "block-batch", "int64_t", /*default=*/"64",
           "Dot-product kernels: activation rows per parallel iteration">,
    Option<"rowTileRegisters", "row-tile-registers", "int64_t",
           /*default=*/"0",
           "Dot-product kernels: registers of output rows a tile computes "
           "for a single activation row (a decoder's step) when a "
           "register's block of codes is longer than 16 KiB (16 KiB or "
           "more for int8 codes; shorter blocks take one). 0: automatic, 4 "
           "with vpdpbusd on 512-bit registers for 2-bit and base-3 codes "
           "and for int8 codes (more streams through memory), "
           "dot-tile-registers otherwise">,
    Option<"keptInt8Dot", "kept-int8-dot", "bool", /*default=*/"true",
           "With activations=int8 and int8 dot products, lower the layers "
           "tern-ternarize kept in int8 (keep=int8) to the same "
           "dot-product kernels: their int8 weights (stored as w + 128, or "
           "as w with pmaddubsw) meet the quantized activations, instead of "
           "being widened to f32 by the float pipeline. Rows longer than "
           "44,149 weights (132,104 with pmaddubsw) stay float (their sums "
           "would leave i32)">,
  ];
  let statistics = [
    Statistic<"numLowered", "lowered", "tern.matmul ops lowered to kernels">,
    Statistic<"numLeft", "left", "tern.matmul ops left to the reference "
              "lowering">,
    Statistic<"numKept", "kept-int8", "layers kept in int8 lowered to "
              "dot-product kernels">,
  ];
  let dependentDialects = [
    // tern.dot4 for kept layers, in modules that may have no tern op.
    "::mlir::tern::TernDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvertTernDotToLLVM : Pass<"convert-tern-dot-to-llvm",
                                "::mlir::func::FuncOp"> {
  let summary = "Lower tern.dot2, tern.dot4, tern.decode_sherry and "
                "tern.decode_base3 to the instructions they name";
  let description = [{
    The dot-product kernels of `convert-tern-to-vector` multiply unsigned
    bytes by signed bytes with `tern.dot4` (sums of 4 products into i32
    lanes) and `tern.dot2` (sums of 2 into i16). `<vpdpbusd>` becomes
    AVX-512 VNNI's `vpdpbusd` (256- or 512-bit), `<pmaddubsw>` becomes
    `vpmaddubsw` (then `vpmaddwd` by ones for dot4) and an add, both as
    `llvm.call_intrinsic`; `<generic>` becomes extensions, a multiply and
    a sum of each group of lanes in plain vector ops, for any target.
    `tern.decode_sherry`, which turns Sherry's 5-bit quad fields into the
    codes `tern.dot4` takes, becomes `<vpermi2d>` AVX-512's `vpermi2d` (a
    lookup in a 32-entry table of two constant registers) or `<generic>`
    shifts, masks and adds on the lanes. `tern.decode_base3`, which turns
    base-3 bytes into the same codes, becomes `<vpermi2b>` two compares and
    AVX-512 VBMI's `vpermi2b` (one lookup in a 128-entry table of constant
    registers) or `<generic>` i16 arithmetic.
    tern-cpu-pipeline runs it after bufferization, before
    `tern-lower-vector` lowers what the generic form leaves.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // TERN_CONVERSION_PASSES_TD
