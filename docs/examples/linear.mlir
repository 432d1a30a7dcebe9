// A ternary linear layer y = x Ŵᵀ + b with two trit planes (PTQTP), groups
// of 4 weights, fp16 scales and a DLT shift per group. The 2 x 3 x 8 codes
// are 12 bytes in a resource blob in the #tern.packing<sign_magnitude>
// layout (docs/Packing.md). Run it with scripts/demo.sh.

func.func @main() {
  %x = arith.constant dense<[[1.0, -1.0, 0.0, -3.0, 0.0, -1.0, -3.0, 2.0],
                             [2.0, 1.0, 0.5, -3.0, 0.5, 1.0, 0.5, -1.0]]> : tensor<2x8xf32>
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<planes>
         : tensor<12xi8> -> tensor<2x3x8x!tern.trit>
  %a = arith.constant dense<[[[1.0, 0.5], [0.5, 1.0], [0.125, 1.0]],
                             [[0.125, 0.125], [0.125, 2.0], [1.0, 1.0]]]> : tensor<2x3x2xf16>
  %g = arith.constant dense<[[0.5, 0.5], [0.5, 0.0], [1.0, 0.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[1.0, -2.0, 0.5]> : tensor<3xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x3x2xf16>) shifts(%g : tensor<3x2xf32>)
         bias(%b : tensor<3xf32>) group_size = 4
         : tensor<2x8xf32>, tensor<2x3x8x!tern.trit> -> tensor<2x3xf32>
  %u = tensor.cast %y : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)

{-#
  dialect_resources: {
    builtin: {
      planes: "0x0100000051D47F4D37CD1D005441DCF1"
    }
  }
#-}
