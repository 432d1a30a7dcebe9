// A ternary layer 'mm' with a part named as a salient-column correction
// that multiplies x itself rather than columns gathered from it: no
// correction tern-ternarize writes (export-correction.test, BADSALIENT).
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<0.5> : tensor<2x2xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x2xf32>) group_size = 4
         : tensor<1x8xf32>, tensor<2x8x!tern.trit> -> tensor<1x2xf32> loc("mm")
  %s = arith.constant dense_resource<mm.salient.f16> : tensor<8x2xf16>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %c = linalg.matmul ins(%x, %s : tensor<1x8xf32>, tensor<8x2xf16>)
         outs(%z : tensor<1x2xf32>) -> tensor<1x2xf32> loc("mm.salient")
  %sum = linalg.add ins(%y, %c : tensor<1x2xf32>, tensor<1x2xf32>)
           outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %sum : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555",
      mm.salient.f16: "0x020000000034003400340034003400340034003400340034003400340034003400340034"
    }
  }
#-}
