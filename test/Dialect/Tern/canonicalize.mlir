// RUN: tern-opt %s --canonicalize | FileCheck %s

// tern.constant is ConstantLike: two constants of the same blob, layout and
// type are one value after canonicalization, hoisted to the entry block;
// another layout of the same bytes stays apart.

// CHECK-LABEL: func.func @dedupe
// CHECK-DAG:     %[[W:.+]] = tern.constant #tern.packing<sign_magnitude> dense_resource<w> : tensor<4xi8> -> tensor<2x8x!tern.trit>
// CHECK-DAG:     %[[O:.+]] = tern.constant #tern.packing<offset_binary> dense_resource<w>
// CHECK-NOT:     tern.constant
// CHECK:         tern.matmul %{{.+}}, %[[W]]
// CHECK:         tern.matmul %{{.+}}, %[[W]]
// CHECK:         tern.matmul %{{.+}}, %[[O]]
func.func @dedupe(%x: tensor<1x8xf32>, %a: tensor<2x2xf32>)
    -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %w0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
          : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %y0 = tern.matmul %x, %w0 scales(%a : tensor<2x2xf32>) group_size = 4
          : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32>
  %w1 = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
          : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %y1 = tern.matmul %x, %w1 scales(%a : tensor<2x2xf32>) group_size = 4
          : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32>
  %w2 = tern.constant #tern.packing<offset_binary> dense_resource<w>
          : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %y2 = tern.matmul %x, %w2 scales(%a : tensor<2x2xf32>) group_size = 4
          : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32>
  return %y0, %y1, %y2 : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// A constant nobody uses is dead code (it is Pure).

// CHECK-LABEL: func.func @dead
// CHECK-NOT:     tern.constant
func.func @dead() {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555"
    }
  }
#-}
