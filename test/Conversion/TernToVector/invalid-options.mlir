// RUN: not tern-opt %s --convert-tern-to-vector=vector-width=12 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not tern-opt %s --convert-tern-to-vector=tile-rows=0 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not tern-opt %s --convert-tern-to-vector=tile-batch=-2 2>&1 | FileCheck %s --check-prefix=BATCH
// RUN: not tern-opt %s --convert-tern-to-vector=block-rows=0 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not tern-opt %s --convert-tern-to-vector=dot-tile-batch=0 2>&1 | FileCheck %s --check-prefix=DOTBATCH
// RUN: not tern-opt %s --convert-tern-to-vector=dot-tile-registers=0 2>&1 | FileCheck %s --check-prefix=DOTREGS
// RUN: not tern-opt %s --convert-tern-to-vector=block-batch=-1 2>&1 | FileCheck %s --check-prefix=BLOCKBATCH
// RUN: not tern-opt %s --convert-tern-to-vector=row-tile-registers=-1 2>&1 | FileCheck %s --check-prefix=ROWREGS
// RUN: not tern-opt %s --split-input-file --convert-tern-to-vector 2>&1 | FileCheck %s --check-prefix=BLOB
// RUN: not tern-opt %s --convert-tern-to-vector=activations=int4 2>&1 | FileCheck %s --check-prefix=ACTIVATIONS
// RUN: not tern-opt %s --convert-tern-to-vector="activations=int8 vector-width=64" 2>&1 | FileCheck %s --check-prefix=INTWIDTH
// RUN: not tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=vnni" 2>&1 | FileCheck %s --check-prefix=DOT
// RUN: not tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=32" 2>&1 | FileCheck %s --check-prefix=DOTWIDTH

// WIDTH: error: convert-tern-to-vector: vector-width must be 8, 16, 32 or 64, got 12
// ROWS: error: convert-tern-to-vector: tile-rows must be >= 1, got 0
// BATCH: error: convert-tern-to-vector: tile-batch must be >= 1, got -2
// BLOCK: error: convert-tern-to-vector: block-rows must be >= 1, got 0
// DOTBATCH: error: convert-tern-to-vector: dot-tile-batch must be >= 1, got 0
// DOTREGS: error: convert-tern-to-vector: dot-tile-registers must be >= 1, got 0
// BLOCKBATCH: error: convert-tern-to-vector: block-batch must be >= 1, got -1
// ROWREGS: error: convert-tern-to-vector: row-tile-registers must be >= 0 (0: automatic), got -1
// ACTIVATIONS: for the --activations option: Cannot find option named 'int4'!
// INTWIDTH: error: convert-tern-to-vector: activations=int8 takes 2V lanes of i16 per chunk, at most 64: vector-width must be <= 32, got 64
// DOT: for the --int8-dot option: Cannot find option named 'vnni'!
// DOTWIDTH: error: convert-tern-to-vector: int8-dot=vpdpbusd uses 256-bit or 512-bit x86 registers: vector-width must be 8 or 16, got 32

// A blob with a reserved code is reported when it is repacked.
// BLOB: error: 'tern.constant' op {{.*}}reserved
func.func @bad_blob(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = tern.constant #tern.packing<offset_binary> dense_resource<bad>
         : tensor<1xi8> -> tensor<1x4x!tern.trit>
  %a = arith.constant dense<1.0> : tensor<1x1xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<1x1xf32>) group_size = 0
         : tensor<1x4xf32>, tensor<1x4x!tern.trit> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
{-#
  dialect_resources: {
    builtin: {
      bad: "0x01000000FF"
    }
  }
#-}
