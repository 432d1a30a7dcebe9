// A tern.dequantize that feeds no layer the export recognizes (here a
// plain matmul of the dequantized weights): exporting would leave node
// 'mm''s float weights in the model, so the export refuses
// (export-onnx.test, STRAY).
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %a = arith.constant dense<1.0> : tensor<2x2xf32>
  %d = tern.dequantize %w scales(%a : tensor<2x2xf32>) group_size = 4
         : tensor<2x8x!tern.trit> -> tensor<2x8xf32> loc("mm")
  %t = tensor.empty() : tensor<8x2xf32>
  %wt = linalg.transpose ins(%d : tensor<2x8xf32>) outs(%t : tensor<8x2xf32>)
          permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %wt : tensor<1x8xf32>, tensor<8x2xf32>)
         outs(%acc : tensor<1x2xf32>) -> tensor<1x2xf32> loc("mm")
  return %y : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555"
    }
  }
#-}
