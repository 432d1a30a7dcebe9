// A tern.matmul after a tern.rotate whose factors are computed at run time
// (arguments): the rotation cannot be folded into exported weights
// (export-rotate.test, ARGROTATION).
func.func @main(%x: tensor<1x8xf32>, %l: tensor<2x2xf32>, %r: tensor<4x4xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<0.5> : tensor<2x2xf32>
  %xq = tern.rotate %x by(%l, %r : tensor<2x2xf32>, tensor<4x4xf32>) : tensor<1x8xf32>
  %y = tern.matmul %xq, %w scales(%a : tensor<2x2xf32>) group_size = 4
         : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32> loc("mm")
  return %y : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555"
    }
  }
#-}
