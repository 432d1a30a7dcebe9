// RUN: tern-opt %s | FileCheck %s
// RUN: tern-opt %s | tern-opt | FileCheck %s
// RUN: tern-opt %s --mlir-print-op-generic | tern-opt | FileCheck %s
// RUN: tern-opt %s --emit-bytecode | tern-opt | FileCheck %s
// RUN: tern-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Round trips of every tern op in custom, generic and bytecode form. The
// resource blobs must survive each of them byte for byte.

// CHECK-LABEL: func.func @types
// CHECK-SAME: tensor<4x8x!tern.trit>
// CHECK-SAME: tensor<2x4x8x!tern.szt>
func.func @types(%a: tensor<4x8x!tern.trit>, %b: tensor<2x4x8x!tern.szt>)
    -> (tensor<4x8x!tern.trit>, tensor<2x4x8x!tern.szt>) {
  return %a, %b : tensor<4x8x!tern.trit>, tensor<2x4x8x!tern.szt>
}

// CHECK-LABEL: func.func @quantize
// CHECK: tern.quantize %{{.*}} scales(%{{.*}} : tensor<4x2xf32>) group_size = 8 : tensor<4x16xf32> -> tensor<4x16x!tern.trit>
// CHECK: tern.quantize %{{.*}} scales(%{{.*}} : tensor<4x1xf16>) shifts(%{{.*}} : tensor<4x1xf16>) group_size = 0 : tensor<4x16xf32> -> tensor<4x16x!tern.szt>
// GENERIC-LABEL: sym_name = "quantize"
// GENERIC: "tern.quantize"(%{{.*}}, %{{.*}}) <{group_size = 8 : i64}>
func.func @quantize(%w: tensor<4x16xf32>, %a: tensor<4x2xf32>,
                    %s: tensor<4x1xf16>, %g: tensor<4x1xf16>)
    -> (tensor<4x16x!tern.trit>, tensor<4x16x!tern.szt>) {
  %0 = tern.quantize %w scales(%a : tensor<4x2xf32>) group_size = 8
         : tensor<4x16xf32> -> tensor<4x16x!tern.trit>
  %1 = tern.quantize %w scales(%s : tensor<4x1xf16>) shifts(%g : tensor<4x1xf16>)
         group_size = 0 : tensor<4x16xf32> -> tensor<4x16x!tern.szt>
  return %0, %1 : tensor<4x16x!tern.trit>, tensor<4x16x!tern.szt>
}

// CHECK-LABEL: func.func @dequantize
// CHECK: tern.dequantize %{{.*}} scales(%{{.*}} : tensor<2x4x2xf16>) group_size = 8 : tensor<2x4x16x!tern.trit> -> tensor<4x16xf32>
// CHECK: tern.dequantize %{{.*}} scales(%{{.*}} : tensor<4x1xf32>) shifts(%{{.*}} : tensor<4x1xf32>) group_size = 0 : tensor<4x16x!tern.szt> -> tensor<4x16xbf16>
func.func @dequantize(%t: tensor<2x4x16x!tern.trit>, %a: tensor<2x4x2xf16>,
                      %z: tensor<4x16x!tern.szt>, %s: tensor<4x1xf32>,
                      %g: tensor<4x1xf32>) -> (tensor<4x16xf32>, tensor<4x16xbf16>) {
  %0 = tern.dequantize %t scales(%a : tensor<2x4x2xf16>) group_size = 8
         : tensor<2x4x16x!tern.trit> -> tensor<4x16xf32>
  %1 = tern.dequantize %z scales(%s : tensor<4x1xf32>) shifts(%g : tensor<4x1xf32>)
         group_size = 0 : tensor<4x16x!tern.szt> -> tensor<4x16xbf16>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xbf16>
}

// CHECK-LABEL: func.func @matmul
// CHECK: tern.matmul %{{.*}}, %{{.*}} scales(%{{.*}} : tensor<4x1xf32>) group_size = 0 : tensor<1x16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
// CHECK: tern.matmul %{{.*}}, %{{.*}} scales(%{{.*}} : tensor<2x4x2xf16>) shifts(%{{.*}} : tensor<4x2xf16>) bias(%{{.*}} : tensor<4xf32>) group_size = 8 : tensor<?x16xf32>, tensor<2x4x16x!tern.szt> -> tensor<?x4xf32>
// GENERIC-LABEL: sym_name = "matmul"
// GENERIC: "tern.matmul"({{.*}}) <{group_size = 8 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}>
func.func @matmul(%x: tensor<1x16xf32>, %w: tensor<4x16x!tern.trit>,
                  %a: tensor<4x1xf32>, %xs: tensor<?x16xf32>,
                  %p: tensor<2x4x16x!tern.szt>, %ap: tensor<2x4x2xf16>,
                  %g: tensor<4x2xf16>, %b: tensor<4xf32>)
    -> (tensor<1x4xf32>, tensor<?x4xf32>) {
  %0 = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<1x16xf32>, tensor<4x16x!tern.trit> -> tensor<1x4xf32>
  %1 = tern.matmul %xs, %p scales(%ap : tensor<2x4x2xf16>)
         shifts(%g : tensor<4x2xf16>) bias(%b : tensor<4xf32>) group_size = 8
         : tensor<?x16xf32>, tensor<2x4x16x!tern.szt> -> tensor<?x4xf32>
  return %0, %1 : tensor<1x4xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @constants
// CHECK: tern.constant #tern.packing<sign_magnitude> dense_resource<w_sm> : tensor<4xi8> -> tensor<2x8x!tern.szt>
// CHECK: tern.constant #tern.packing<offset_binary> dense_resource<w_ob> : tensor<3xui8> -> tensor<3x3x!tern.trit>
// CHECK: tern.constant #tern.packing<base3> dense_resource<w_b3> : tensor<4xi8> -> tensor<2x2x5x!tern.trit>
// GENERIC-LABEL: sym_name = "constants"
// GENERIC: "tern.constant"() <{packing = #tern.packing<sign_magnitude>, value = dense_resource<w_sm> : tensor<4xi8>}>
func.func @constants() -> (tensor<2x8x!tern.szt>, tensor<3x3x!tern.trit>,
                           tensor<2x2x5x!tern.trit>) {
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w_sm>
         : tensor<4xi8> -> tensor<2x8x!tern.szt>
  %1 = tern.constant #tern.packing<offset_binary> dense_resource<w_ob>
         : tensor<3xui8> -> tensor<3x3x!tern.trit>
  %2 = tern.constant #tern.packing<base3> dense_resource<w_b3>
         : tensor<4xi8> -> tensor<2x2x5x!tern.trit>
  return %0, %1, %2 : tensor<2x8x!tern.szt>, tensor<3x3x!tern.trit>,
                      tensor<2x2x5x!tern.trit>
}

// CHECK-LABEL: func.func @dot4
// CHECK: tern.dot4 <generic> %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi8> into vector<4xi32>
// CHECK: tern.dot4 <pmaddubsw> %{{.*}}, %{{.*}}, %{{.*}} : vector<32xi8> into vector<8xi32>
// CHECK: tern.dot4 <vpdpbusd> %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK: tern.dot4 <pmaddubsw> signed %{{.*}}, %{{.*}}, %{{.*}} : vector<32xi8> into vector<8xi32>
// GENERIC-LABEL: sym_name = "dot4"
// GENERIC: "tern.dot4"(%{{.*}}, %{{.*}}, %{{.*}}) <{instruction = #tern.dot_instruction<generic>}>
// GENERIC: "tern.dot4"(%{{.*}}, %{{.*}}, %{{.*}}) <{instruction = #tern.dot_instruction<pmaddubsw>, signedLhs}>
func.func @dot4(%a: vector<16xi8>, %b: vector<16xi8>, %c: vector<4xi32>,
                %d: vector<32xi8>, %e: vector<8xi32>, %f: vector<64xi8>,
                %g: vector<16xi32>)
    -> (vector<4xi32>, vector<8xi32>, vector<16xi32>, vector<8xi32>) {
  %0 = tern.dot4 <generic> %a, %b, %c : vector<16xi8> into vector<4xi32>
  %1 = tern.dot4 <pmaddubsw> %d, %d, %e : vector<32xi8> into vector<8xi32>
  %2 = tern.dot4 <vpdpbusd> %f, %f, %g : vector<64xi8> into vector<16xi32>
  %3 = tern.dot4 <pmaddubsw> signed %d, %d, %e : vector<32xi8> into vector<8xi32>
  return %0, %1, %2, %3 : vector<4xi32>, vector<8xi32>, vector<16xi32>, vector<8xi32>
}

// CHECK-LABEL: func.func @decode_sherry
// CHECK: tern.decode_sherry <vpermi2d> %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK: tern.decode_sherry <generic> %{{.*}} : vector<8xi32> to vector<32xi8>
// GENERIC-LABEL: sym_name = "decode_sherry"
// GENERIC: "tern.decode_sherry"(%{{.*}}) <{instruction = #tern.lookup_instruction<vpermi2d>}>
func.func @decode_sherry(%a: vector<16xi32>, %b: vector<8xi32>)
    -> (vector<64xi8>, vector<32xi8>) {
  %0 = tern.decode_sherry <vpermi2d> %a : vector<16xi32> to vector<64xi8>
  %1 = tern.decode_sherry <generic> %b : vector<8xi32> to vector<32xi8>
  return %0, %1 : vector<64xi8>, vector<32xi8>
}

// CHECK-LABEL: func.func @lookup
// CHECK: tern.lookup <vpermw> %{{.*}}[%{{.*}}] : vector<32xi16>
// CHECK: tern.lookup <generic> %{{.*}}[%{{.*}}] : vector<16xi16>
// GENERIC-LABEL: sym_name = "lookup"
// GENERIC: "tern.lookup"(%{{.*}}, %{{.*}}) <{instruction = #tern.lookup_instruction<vpermw>}>
func.func @lookup(%t: vector<32xi16>, %i: vector<32xi16>, %u: vector<16xi16>,
                  %j: vector<16xi16>) -> (vector<32xi16>, vector<16xi16>) {
  %0 = tern.lookup <vpermw> %t[%i] : vector<32xi16>
  %1 = tern.lookup <generic> %u[%j] : vector<16xi16>
  return %0, %1 : vector<32xi16>, vector<16xi16>
}

// CHECK-LABEL: func.func @decode_base3
// CHECK: %{{.*}}, %{{.*}} = tern.decode_base3 <vpermi2b> %{{.*}} : vector<64xi8>
// CHECK: %{{.*}}, %{{.*}} = tern.decode_base3 <generic> %{{.*}} : vector<32xi8>
// CHECK: %{{.*}}, %{{.*}} = tern.decode_base3 <vpshufb> %{{.*}} : vector<32xi8>
// GENERIC-LABEL: sym_name = "decode_base3"
// GENERIC: "tern.decode_base3"(%{{.*}}) <{instruction = #tern.lookup_instruction<vpermi2b>}> : (vector<64xi8>) -> (vector<64xi8>, vector<64xi8>)
func.func @decode_base3(%a: vector<64xi8>, %b: vector<32xi8>)
    -> (vector<64xi8>, vector<64xi8>, vector<32xi8>, vector<32xi8>,
        vector<32xi8>) {
  %0:2 = tern.decode_base3 <vpermi2b> %a : vector<64xi8>
  %1:2 = tern.decode_base3 <generic> %b : vector<32xi8>
  %2:2 = tern.decode_base3 <vpshufb> %b : vector<32xi8>
  return %0#0, %0#1, %1#0, %1#1, %2#0
      : vector<64xi8>, vector<64xi8>, vector<32xi8>, vector<32xi8>, vector<32xi8>
}

// CHECK-LABEL: func.func @dot2
// CHECK: tern.dot2 <pmaddubsw> %{{.*}}, %{{.*}}, %{{.*}} : vector<32xi8> into vector<16xi16>
// CHECK: tern.dot2 <generic> %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi8> into vector<2xi16>
func.func @dot2(%a: vector<32xi8>, %b: vector<16xi16>, %c: vector<4xi8>,
                %d: vector<2xi16>) -> (vector<16xi16>, vector<2xi16>) {
  %0 = tern.dot2 <pmaddubsw> %a, %a, %b : vector<32xi8> into vector<16xi16>
  %1 = tern.dot2 <generic> %c, %c, %d : vector<4xi8> into vector<2xi16>
  return %0, %1 : vector<16xi16>, vector<2xi16>
}

// CHECK-LABEL: func.func @rotate
// CHECK: tern.rotate %{{.*}} by(%{{.*}}, %{{.*}} : tensor<3x3xf32>, tensor<4x4xf32>) : tensor<?x12xf32>
// GENERIC: "tern.rotate"
func.func @rotate(%x: tensor<?x12xf32>, %l: tensor<3x3xf32>, %r: tensor<4x4xf32>) -> tensor<?x12xf32> {
  %0 = tern.rotate %x by(%l, %r : tensor<3x3xf32>, tensor<4x4xf32>) : tensor<?x12xf32>
  return %0 : tensor<?x12xf32>
}

// CHECK: dialect_resources
// CHECK-DAG: w_sm: "0x04000000C5A35582"
// CHECK-DAG: w_ob: "0x01000000152A01"
// CHECK-DAG: w_b3: "0x0100000079F20100"
{-#
  dialect_resources: {
    builtin: {
      w_sm: "0x04000000C5A35582",
      w_ob: "0x01000000152A01",
      w_b3: "0x0100000079F20100"
    }
  }
#-}
