// A tern.matmul whose scales are computed at run time (an argument): its
// weights cannot be exported (export-onnx.test, ARGSCALES).
func.func @main(%x: tensor<1x8xf32>, %a: tensor<2x2xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %y = tern.matmul %x, %w scales(%a : tensor<2x2xf32>) group_size = 4
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
