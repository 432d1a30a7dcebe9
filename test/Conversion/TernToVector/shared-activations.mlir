// RUN: tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" | FileCheck %s
// RUN: tern-opt %s --convert-tern-to-vector="activations=int8" | FileCheck %s --check-prefix=ADDSUB
// RUN: tern-opt %s --convert-tern-to-vector | FileCheck %s --check-prefix=FLOAT

// Matmuls of one activation (a layer's q and k, each reading it through a
// reshape of its own, as imported) quantize it and sum its groups once; a
// matmul of another activation quantizes its own. Float activations are
// read as they are.

// CHECK-LABEL: func.func @shared
// CHECK-COUNT-2: arith.fptosi
// CHECK-NOT:     arith.fptosi
// ADDSUB-LABEL: func.func @shared
// ADDSUB-COUNT-2: arith.fptosi
// ADDSUB-NOT:     arith.fptosi
// FLOAT-LABEL: func.func @shared
// FLOAT-NOT:   arith.fptosi
func.func @shared(%x: tensor<1x1x20xf32>, %z: tensor<1x20xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>, tensor<1x3xf32>) {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<15xi8> -> tensor<3x20x!tern.trit>
  %v = tern.constant #tern.packing<sign_magnitude> dense_resource<v>
         : tensor<15xi8> -> tensor<3x20x!tern.trit>
  %a = arith.constant dense<[[1.0], [2.0], [0.5]]> : tensor<3x1xf32>
  %x1 = tensor.collapse_shape %x [[0, 1], [2]] : tensor<1x1x20xf32> into tensor<1x20xf32>
  %q = tern.matmul %x1, %w scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<1x20xf32>, tensor<3x20x!tern.trit> -> tensor<1x3xf32>
  %x2 = tensor.collapse_shape %x [[0, 1], [2]] : tensor<1x1x20xf32> into tensor<1x20xf32>
  %k = tern.matmul %x2, %v scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<1x20xf32>, tensor<3x20x!tern.trit> -> tensor<1x3xf32>
  %o = tern.matmul %z, %v scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<1x20xf32>, tensor<3x20x!tern.trit> -> tensor<1x3xf32>
  return %q, %k, %o : tensor<1x3xf32>, tensor<1x3xf32>, tensor<1x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000010000000003000000000000000040",
      v: "0x01000000010000000003000000000000000040"
    }
  }
#-}
