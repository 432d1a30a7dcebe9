// A ternary layer 'mm' with the first factor of a low-rank correction and
// no second one (export-correction.test, BADLOWRANK).
func.func @main(%x: tensor<1x8xf32>) -> (tensor<1x2xf32>, tensor<1x1xf32>) {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<0.5> : tensor<2x2xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x2xf32>) group_size = 4
         : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32> loc("mm")
  %d = arith.constant dense_resource<mm.lowrank_down.f16> : tensor<8x1xf16>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1xf32>) -> tensor<1x1xf32>
  %c = linalg.matmul ins(%x, %d : tensor<1x8xf32>, tensor<8x1xf16>)
         outs(%z : tensor<1x1xf32>) -> tensor<1x1xf32> loc("mm.lowrank_down")
  return %y, %c : tensor<1x2xf32>, tensor<1x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555",
      mm.lowrank_down.f16: "0x0200000000340034003400340034003400340034"
    }
  }
#-}
