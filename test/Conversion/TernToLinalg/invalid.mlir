// RUN: tern-opt %s --convert-tern-to-linalg --split-input-file -verify-diagnostics

// Errors of the reference lowering: the packed bytes are checked before they
// are read, and casts of ternary tensors must be to their code tensors.

func.func @signed_zero_in_trit() -> tensor<1x4x!tern.trit> {
  // expected-error @+1 {{'tern.constant' op has invalid packed data in blob 'w': signed zero (0b10) in a !tern.trit tensor at row 0, column 1}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<1xi8> -> tensor<1x4x!tern.trit>
  return %0 : tensor<1x4x!tern.trit>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x0100000009"
    }
  }
#-}

// -----

func.func @reserved_offset_binary() -> tensor<2x3x!tern.trit> {
  // expected-error @+1 {{'tern.constant' op has invalid packed data in blob 'w': reserved offset_binary code 0b11 at row 1, column 0}}
  %0 = tern.constant #tern.packing<offset_binary> dense_resource<w>
         : tensor<2xui8> -> tensor<2x3x!tern.trit>
  return %0 : tensor<2x3x!tern.trit>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x010000005557"
    }
  }
#-}

// -----

func.func @reserved_base3() -> tensor<1x5x!tern.trit> {
  // expected-error @+1 {{'tern.constant' op has invalid packed data in blob 'w': reserved base3 byte 255 at row 0, column 0}}
  %0 = tern.constant #tern.packing<base3> dense_resource<w>
         : tensor<1xi8> -> tensor<1x5x!tern.trit>
  return %0 : tensor<1x5x!tern.trit>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000FF"
    }
  }
#-}

// -----

func.func @padding() -> tensor<1x3x!tern.szt> {
  // expected-error @+1 {{'tern.constant' op has invalid packed data in blob 'w': non-zero padding after the last code of row 0}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<1xi8> -> tensor<1x3x!tern.szt>
  return %0 : tensor<1x3x!tern.szt>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000C0"
    }
  }
#-}

// -----

func.func @elided() -> tensor<1x4x!tern.trit> {
  // expected-error @+1 {{'tern.constant' op has no data for blob 'w' (was it elided?)}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<1xi8> -> tensor<1x4x!tern.trit>
  return %0 : tensor<1x4x!tern.trit>
}

// -----

func.func @cast_to_other_type(%t: tensor<2x4x!tern.szt>) -> tensor<2x4xi32> {
  // expected-error @+1 {{'builtin.unrealized_conversion_cast' op casts a ternary tensor to 'tensor<2x4xi32>'; the reference lowering only resolves a cast of one ternary tensor to the i8 tensor of its codes ('tensor<2x4xi8>')}}
  %c = builtin.unrealized_conversion_cast %t : tensor<2x4x!tern.szt> to tensor<2x4xi32>
  return %c : tensor<2x4xi32>
}

// -----

func.func @sherry_padding() -> tensor<1x4x!tern.trit> {
  // expected-error @+1 {{'tern.constant' op has invalid packed data in blob 'w': non-zero padding after the last code of row 0}}
  %0 = tern.constant #tern.packing<sherry> dense_resource<w>
         : tensor<1xi8> -> tensor<1x4x!tern.trit>
  return %0 : tensor<1x4x!tern.trit>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000E0"
    }
  }
#-}

// -----

func.func @sherry_szt() -> tensor<1x4x!tern.szt> {
  // expected-error @+1 {{'tern.constant' op}}
  %0 = tern.constant #tern.packing<sherry> dense_resource<w>
         : tensor<1xi8> -> tensor<1x4x!tern.szt>
  return %0 : tensor<1x4x!tern.szt>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x0100000001"
    }
  }
#-}
