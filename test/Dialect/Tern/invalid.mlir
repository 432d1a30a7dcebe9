// RUN: tern-opt %s -split-input-file -verify-diagnostics

// Every verifier message of the tern ops, once each.

func.func @negative_group_size(%w: tensor<4x16xf32>, %a: tensor<4x2xf32>) {
  // expected-error @+1 {{'tern.quantize' op expects group_size >= 0 (0 means one group per row), got -8}}
  %0 = tern.quantize %w scales(%a : tensor<4x2xf32>) group_size = -8
         : tensor<4x16xf32> -> tensor<4x16x!tern.trit>
  return
}

// -----

func.func @quantize_planes(%w: tensor<4x16xf32>, %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.quantize' op expects a result of rank 2 (N x K): it holds a single plane, got 'tensor<2x4x16x!tern.trit>'}}
  %0 = tern.quantize %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<4x16xf32> -> tensor<2x4x16x!tern.trit>
  return
}

// -----

func.func @dequantize_rank(%t: tensor<16x!tern.trit>, %a: tensor<1x1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects codes of rank 2 (N x K) or 3 (P x N x K), got 'tensor<16x!tern.trit>'}}
  %0 = tern.dequantize %t scales(%a : tensor<1x1xf32>) group_size = 0
         : tensor<16x!tern.trit> -> tensor<1x16xf32>
  return
}

// -----

func.func @dynamic_codes(%t: tensor<?x16x!tern.trit>, %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects codes with a static shape, got 'tensor<?x16x!tern.trit>'}}
  %0 = tern.dequantize %t scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<?x16x!tern.trit> -> tensor<4x16xf32>
  return
}

// -----

func.func @no_planes(%x: tensor<1x16xf32>, %w: tensor<0x4x16x!tern.trit>,
                     %a: tensor<0x4x1xf32>) {
  // expected-error @+1 {{'tern.matmul' op expects at least one trit plane, got 'tensor<0x4x16x!tern.trit>'}}
  %0 = tern.matmul %x, %w scales(%a : tensor<0x4x1xf32>) group_size = 0
         : tensor<1x16xf32>, tensor<0x4x16x!tern.trit> -> tensor<1x4xf32>
  return
}

// -----

func.func @empty_k(%t: tensor<4x0x!tern.trit>, %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects a non-empty reduction dimension K, got 'tensor<4x0x!tern.trit>'}}
  %0 = tern.dequantize %t scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<4x0x!tern.trit> -> tensor<4x0xf32>
  return
}

// -----

func.func @group_does_not_divide(%t: tensor<4x16x!tern.trit>, %a: tensor<4x3xf32>) {
  // expected-error @+1 {{'tern.dequantize' op group_size 6 does not divide K = 16}}
  %0 = tern.dequantize %t scales(%a : tensor<4x3xf32>) group_size = 6
         : tensor<4x16x!tern.trit> -> tensor<4x16xf32>
  return
}

// -----

func.func @scales_shape(%t: tensor<4x16x!tern.trit>, %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects scales of shape 4x2 (N x groups), got 4x1}}
  %0 = tern.dequantize %t scales(%a : tensor<4x1xf32>) group_size = 8
         : tensor<4x16x!tern.trit> -> tensor<4x16xf32>
  return
}

// -----

func.func @plane_scales_shape(%t: tensor<2x4x16x!tern.trit>, %a: tensor<4x2xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects scales of shape 2x4x2 (P x N x groups), got 4x2}}
  %0 = tern.dequantize %t scales(%a : tensor<4x2xf32>) group_size = 8
         : tensor<2x4x16x!tern.trit> -> tensor<4x16xf32>
  return
}

// -----

func.func @shifts_shape(%t: tensor<2x4x16x!tern.trit>, %a: tensor<2x4x2xf32>,
                        %g: tensor<2x4x2xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects shifts of shape 4x2 (N x groups), got 2x4x2}}
  %0 = tern.dequantize %t scales(%a : tensor<2x4x2xf32>) shifts(%g : tensor<2x4x2xf32>)
         group_size = 8 : tensor<2x4x16x!tern.trit> -> tensor<4x16xf32>
  return
}

// -----

func.func @quantize_shape(%w: tensor<4x8xf32>, %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.quantize' op expects the input shape 4x8 to match the result shape 4x16}}
  %0 = tern.quantize %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<4x8xf32> -> tensor<4x16x!tern.trit>
  return
}

// -----

func.func @dequantize_result(%t: tensor<2x4x16x!tern.trit>, %a: tensor<2x4x1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op expects a result of shape 4x16 (N x K), got 2x4x16}}
  %0 = tern.dequantize %t scales(%a : tensor<2x4x1xf32>) group_size = 0
         : tensor<2x4x16x!tern.trit> -> tensor<2x4x16xf32>
  return
}

// -----

func.func @activations_rank(%x: tensor<16xf32>, %w: tensor<4x16x!tern.trit>,
                            %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.matmul' op expects activations of rank 2 (M x K), got 'tensor<16xf32>'}}
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
  return
}

// -----

func.func @activations_k(%x: tensor<1x8xf32>, %w: tensor<4x16x!tern.trit>,
                         %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.matmul' op expects activations with K = 16 (the weights' K), got 8}}
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<1x8xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<?x16xf32>, %w: tensor<4x16x!tern.trit>,
                         %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.matmul' op expects a result of shape ?x4 (M x N), got 1x4}}
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<?x16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
  return
}

// -----

func.func @matmul_result_type(%x: tensor<1x16xf32>, %w: tensor<4x16x!tern.trit>,
                              %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.matmul' op expects a result of element type 'f32' (the activations'), got 'f16'}}
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<1x16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf16>
  return
}

// -----

func.func @bias_shape(%x: tensor<1x16xf32>, %w: tensor<4x16x!tern.trit>,
                      %a: tensor<4x1xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{'tern.matmul' op expects a bias of shape 4 (N), got 1x4}}
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) bias(%b : tensor<1x4xf32>)
         group_size = 0 : tensor<1x16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
  return
}

// -----

func.func @bias_type(%x: tensor<1x16xf32>, %w: tensor<4x16x!tern.trit>,
                     %a: tensor<4x1xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'tern.matmul' op expects a bias of element type 'f32' (the activations'), got 'f16'}}
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) bias(%b : tensor<4xf16>)
         group_size = 0 : tensor<1x16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
  return
}

// -----

func.func @codes_element_type(%t: tensor<4x16xi8>, %a: tensor<4x1xf32>) {
  // expected-error @+1 {{'tern.dequantize' op operand #0 must be ranked tensor of trit or szt values, but got 'tensor<4x16xi8>'}}
  %0 = "tern.dequantize"(%t, %a) <{group_size = 0 : i64}>
         : (tensor<4x16xi8>, tensor<4x1xf32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @float_element_type(%t: tensor<4x16x!tern.trit>, %a: tensor<4x1xi32>) {
  // expected-error @+1 {{'tern.dequantize' op operand #1 must be ranked tensor of floating-point values}}
  %0 = "tern.dequantize"(%t, %a) <{group_size = 0 : i64}>
         : (tensor<4x16x!tern.trit>, tensor<4x1xi32>) -> tensor<4x16xf32>
  return
}

// -----

func.func @inline_constant() {
  // expected-error @+1 {{'tern.constant' op expects its value to be a dense_resource blob of packed bytes, not an inline literal}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense<0> : tensor<2xi8>
         -> tensor<1x8x!tern.trit>
  return
}

// -----

func.func @constant_byte_type() {
  // expected-error @+1 {{'tern.constant' op expects packed bytes as a rank-1 tensor of i8 or ui8, got 'tensor<1x2xi8>'}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w> : tensor<1x2xi8>
         -> tensor<1x8x!tern.trit>
  return
}

// -----

func.func @constant_rank0() {
  // expected-error @+1 {{'tern.constant' op expects a result of rank >= 1 with a static shape, got 'tensor<!tern.trit>'}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w> : tensor<1xi8>
         -> tensor<!tern.trit>
  return
}

// -----

func.func @constant_szt_packing() {
  // expected-error @+1 {{'tern.constant' op #tern.packing<base3> cannot hold the signed zeros of '!tern.szt'; use #tern.packing<sign_magnitude>}}
  %0 = tern.constant #tern.packing<base3> dense_resource<w> : tensor<2xi8>
         -> tensor<1x8x!tern.szt>
  return
}

// -----

func.func @constant_too_large() {
  // expected-error @+1 {{'tern.constant' op has a result too large to pack: 'tensor<4611686018427387904x8x!tern.trit>'}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w> : tensor<2xi8>
         -> tensor<4611686018427387904x8x!tern.trit>
  return
}

// -----

func.func @constant_byte_count() {
  // expected-error @+1 {{'tern.constant' op expects 3 packed bytes for 'tensor<3x5x!tern.trit>' in #tern.packing<base3>, got 2}}
  %0 = tern.constant #tern.packing<base3> dense_resource<w> : tensor<2xi8>
         -> tensor<3x5x!tern.trit>
  return
}

// -----

func.func @constant_blob_size() {
  // expected-error @+1 {{'tern.constant' op expects the blob 'w' to hold 2 bytes, it holds 3}}
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w> : tensor<2xi8>
         -> tensor<1x8x!tern.trit>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000010203"
    }
  }
#-}

// -----

func.func @unknown_packing() {
  // expected-error @+2 {{expected ::mlir::tern::PackingKind to be one of: sign_magnitude, offset_binary, base3}}
  // expected-error @+1 {{failed to parse Tern_PackingAttr parameter 'value'}}
  %0 = tern.constant #tern.packing<bits2> dense_resource<w> : tensor<2xi8>
         -> tensor<1x8x!tern.trit>
  return
}

// -----

func.func @dot4_lanes(%a: vector<16xi8>, %c: vector<8xi32>) {
  // expected-error @+1 {{'tern.dot4' op needs 4 bytes per i32 lane: 16 bytes for 8 lanes}}
  %0 = tern.dot4 <generic> %a, %a, %c : vector<16xi8> into vector<8xi32>
  return
}

// -----

func.func @dot4_width(%a: vector<16xi8>, %c: vector<4xi32>) {
  // expected-error @+1 {{'tern.dot4' op with vpdpbusd needs 8 or 16 lanes (a 256-bit or 512-bit register), got 4}}
  %0 = tern.dot4 <vpdpbusd> %a, %a, %c : vector<16xi8> into vector<4xi32>
  return
}

// -----

func.func @decode_sherry_lanes(%a: vector<8xi32>) {
  // expected-error @+1 {{'tern.decode_sherry' op needs 4 bytes per i32 lane: 16 bytes for 8 lanes}}
  %0 = tern.decode_sherry <generic> %a : vector<8xi32> to vector<16xi8>
  return
}

// -----

func.func @decode_sherry_width(%a: vector<8xi32>) {
  // expected-error @+1 {{'tern.decode_sherry' op with vpermi2d needs 16 lanes (a 512-bit register), got 8}}
  %0 = tern.decode_sherry <vpermi2d> %a : vector<8xi32> to vector<32xi8>
  return
}

// -----

func.func @decode_sherry_bytes(%a: vector<16xi32>) {
  // expected-error @+1 {{'tern.decode_sherry' op cannot be vpermi2b, which looks up bytes or i16 (its fields name i32 words): vpermi2d or generic}}
  %0 = tern.decode_sherry <vpermi2b> %a : vector<16xi32> to vector<64xi8>
  return
}

// -----

func.func @decode_sherry_vpshufb(%a: vector<8xi32>) {
  // expected-error @+1 {{'tern.decode_sherry' op cannot be vpshufb, which looks up bytes or i16 (its fields name i32 words): vpermi2d or generic}}
  %0 = tern.decode_sherry <vpshufb> %a : vector<8xi32> to vector<32xi8>
  return
}

// -----

func.func @decode_base3_vpshufb_width(%a: vector<8xi8>) {
  // expected-error @+1 {{'tern.decode_base3' op with vpshufb needs 16, 32 or 64 bytes (a 128-, 256- or 512-bit register), got 8}}
  %0:2 = tern.decode_base3 <vpshufb> %a : vector<8xi8>
  return
}

// -----

func.func @decode_base3_width(%a: vector<32xi8>) {
  // expected-error @+1 {{'tern.decode_base3' op with vpermi2b needs 64 bytes (a 512-bit register), got 32}}
  %0:2 = tern.decode_base3 <vpermi2b> %a : vector<32xi8>
  return
}

// -----

func.func @decode_base3_words(%a: vector<64xi8>) {
  // expected-error @+1 {{'tern.decode_base3' op cannot be vpermi2d, which looks up words (its digits are bytes): vpermi2b, vpshufb or generic}}
  %0:2 = tern.decode_base3 <vpermi2d> %a : vector<64xi8>
  return
}

// -----

func.func @decode_base3_types(%a: vector<64xi8>) {
  // expected-error @+1 {{'tern.decode_base3' op failed to verify that all of {bytes, quads, fifth} have same type}}
  %0:2 = "tern.decode_base3"(%a) <{instruction = #tern.lookup_instruction<generic>}> : (vector<64xi8>) -> (vector<32xi8>, vector<64xi8>)
  return
}

// -----

func.func @dot2_lanes(%a: vector<32xi8>, %c: vector<8xi16>) {
  // expected-error @+1 {{'tern.dot2' op needs 2 bytes per i16 lane: 32 bytes for 8 lanes}}
  %0 = tern.dot2 <generic> %a, %a, %c : vector<32xi8> into vector<8xi16>
  return
}

// -----

func.func @dot2_vpdpbusd(%a: vector<32xi8>, %c: vector<16xi16>) {
  // expected-error @+1 {{'tern.dot2' op cannot be vpdpbusd, which sums 4 products per lane}}
  %0 = tern.dot2 <vpdpbusd> %a, %a, %c : vector<32xi8> into vector<16xi16>
  return
}

// -----

func.func @dot2_width(%a: vector<16xi8>, %c: vector<8xi16>) {
  // expected-error @+1 {{'tern.dot2' op with pmaddubsw needs 16 or 32 lanes (a 256-bit or 512-bit register), got 8}}
  %0 = tern.dot2 <pmaddubsw> %a, %a, %c : vector<16xi8> into vector<8xi16>
  return
}

// -----

func.func @rotate_rank(%x: tensor<2x3x4xf32>, %l: tensor<3x3xf32>, %r: tensor<4x4xf32>) {
  // expected-error @+1 {{'tern.rotate' op expects activations of rank 2 (M x K), got 'tensor<2x3x4xf32>'}}
  %0 = tern.rotate %x by(%l, %r : tensor<3x3xf32>, tensor<4x4xf32>) : tensor<2x3x4xf32>
  return
}

// -----

func.func @rotate_dynamic_k(%x: tensor<2x?xf32>, %l: tensor<3x3xf32>, %r: tensor<4x4xf32>) {
  // expected-error @+1 {{'tern.rotate' op expects activations with a static K, got 'tensor<2x?xf32>'}}
  %0 = tern.rotate %x by(%l, %r : tensor<3x3xf32>, tensor<4x4xf32>) : tensor<2x?xf32>
  return
}

// -----

func.func @rotate_not_square(%x: tensor<2x12xf32>, %l: tensor<3x2xf32>, %r: tensor<4x4xf32>) {
  // expected-error @+1 {{'tern.rotate' op expects a square static left matrix, got 'tensor<3x2xf32>'}}
  %0 = tern.rotate %x by(%l, %r : tensor<3x2xf32>, tensor<4x4xf32>) : tensor<2x12xf32>
  return
}

// -----

func.func @rotate_type(%x: tensor<2x12xf32>, %l: tensor<3x3xf32>, %r: tensor<4x4xf16>) {
  // expected-error @+1 {{'tern.rotate' op expects a right matrix of element type 'f32' (the activations'), got 'f16'}}
  %0 = tern.rotate %x by(%l, %r : tensor<3x3xf32>, tensor<4x4xf16>) : tensor<2x12xf32>
  return
}

// -----

func.func @rotate_sizes(%x: tensor<2x12xf32>, %l: tensor<2x2xf32>, %r: tensor<4x4xf32>) {
  // expected-error @+1 {{'tern.rotate' op expects the matrices' sizes to multiply to K = 12, got 2 x 4}}
  %0 = tern.rotate %x by(%l, %r : tensor<2x2xf32>, tensor<4x4xf32>) : tensor<2x12xf32>
  return
}

// -----

func.func @decode_sherry_vpermw(%a: vector<16xi32>) {
  // expected-error @+1 {{'tern.decode_sherry' op cannot be vpermw, which looks up bytes or i16 (its fields name i32 words): vpermi2d or generic}}
  %0 = tern.decode_sherry <vpermw> %a : vector<16xi32> to vector<64xi8>
  return
}

// -----

func.func @decode_base3_vpermw(%a: vector<64xi8>) {
  // expected-error @+1 {{'tern.decode_base3' op cannot be vpermw, which looks up words (its digits are bytes): vpermi2b, vpshufb or generic}}
  %0:2 = tern.decode_base3 <vpermw> %a : vector<64xi8>
  return
}

// -----

func.func @lookup_vpermw_width(%t: vector<16xi16>, %i: vector<16xi16>) {
  // expected-error @+1 {{'tern.lookup' op with vpermw needs 32 lanes (a 512-bit register), got 16}}
  %0 = tern.lookup <vpermw> %t[%i] : vector<16xi16>
  return
}

// -----

func.func @lookup_lanes(%t: vector<24xi16>, %i: vector<24xi16>) {
  // expected-error @+1 {{'tern.lookup' op needs a power of 2 lanes, got 24}}
  %0 = tern.lookup <generic> %t[%i] : vector<24xi16>
  return
}

// -----

func.func @lookup_instruction(%t: vector<32xi16>, %i: vector<32xi16>) {
  // expected-error @+1 {{'tern.lookup' op cannot be vpermi2d, which does not look up i16: vpermw or generic}}
  %0 = tern.lookup <vpermi2d> %t[%i] : vector<32xi16>
  return
}

// -----

func.func @lookup_types(%t: vector<32xi16>, %i: vector<16xi16>) {
  // expected-error @+1 {{all of {table, indices, result} have same type}}
  %0 = "tern.lookup"(%t, %i) <{instruction = #tern.lookup_instruction<generic>}> : (vector<32xi16>, vector<16xi16>) -> vector<32xi16>
  return
}
