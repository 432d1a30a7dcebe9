// RUN: tern-opt %s --tern-fuse-sibling-matmuls --verify-diagnostics

// Codes that do not unpack (0b10, a negative zero, in a !tern.trit tensor)
// are reported where they are, not merged.
func.func @bad_codes(%x: tensor<1x4xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %wa = tern.constant #tern.packing<sign_magnitude> dense_resource<a> : tensor<1xi8> -> tensor<1x4x!tern.trit>
  // expected-error@+1 {{has invalid packed data in blob 'b'}}
  %wb = tern.constant #tern.packing<sign_magnitude> dense_resource<b> : tensor<1xi8> -> tensor<1x4x!tern.trit>
  %s = arith.constant dense<[[1.0]]> : tensor<1x1xf32>
  %a = tern.matmul %x, %wa scales(%s : tensor<1x1xf32>) group_size = 0 : tensor<1x4xf32>, tensor<1x4x!tern.trit> -> tensor<1x1xf32>
  %b = tern.matmul %x, %wb scales(%s : tensor<1x1xf32>) group_size = 0 : tensor<1x4xf32>, tensor<1x4x!tern.trit> -> tensor<1x1xf32>
  return %a, %b : tensor<1x1xf32>, tensor<1x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      a: "0x0400000001",
      b: "0x0400000002"
    }
  }
#-}
