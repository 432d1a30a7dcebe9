// Sherry's 3:4 weights (tern-ternarize method=sherry, 1.25 bits a weight)
// keep their 5-bit quad fields in the int8 dot-product kernel where a
// lookup decodes them cheaply: vpdpbusd on 512-bit registers (vpermi2d),
// and the generic form. Each register of 4 x 16 bytes holds six quads of
// 16 rows, lane i the six fields of row i in bits 5s to 5s + 4 (1.33 bits
// a weight); quad s is the register shifted right by 5s, decoded to codes
// t + 1 and dotted with the activations (docs/Kernels.md, "Sherry's 3:4
// weights"). With one register and one activation row (a tile of M = 1)
// each quad has its own sums, added once per run. On 256-bit registers,
// with vpmaddubsw, and with sherry-direct=0 the codes are repacked to
// 2-bit dot codes.
// RUN: tern-opt %s --tern-ternarize="method=sherry" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" --canonicalize --cse | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=sherry" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=generic vector-width=16" --canonicalize --cse | FileCheck %s --check-prefix=GENERIC
// RUN: tern-opt %s --tern-ternarize="method=sherry" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=8" | FileCheck %s --check-prefix=REPACK
// RUN: tern-opt %s --tern-ternarize="method=sherry" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw vector-width=16" | FileCheck %s --check-prefix=REPACK
// RUN: tern-opt %s --tern-ternarize="method=sherry" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16 sherry-direct=0" | FileCheck %s --check-prefix=REPACK

// K = 48: two sets of 24 codes; 32 rows: two blocks of 16.
// CHECK-LABEL: func.func @gemv
// CHECK:       arith.constant dense_resource<tern_dot_codes_sherry> : tensor<1x2x128xi8>
// CHECK:       %[[REG:.*]] = vector.transfer_read {{.*}} : tensor<1x2x128xi8>, vector<64xi8>
// CHECK:       %[[FIELDS:.*]] = vector.bitcast %[[REG]] : vector<64xi8> to vector<16xi32>
// CHECK:       %[[Q0:.*]] = tern.decode_sherry <vpermi2d> %[[FIELDS]] : vector<16xi32> to vector<64xi8>
// CHECK:       tern.dot4 <vpdpbusd> %[[Q0]], %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK:       %[[SHIFTED:.*]] = arith.shrui %[[FIELDS]], %{{.*}} : vector<16xi32>
// CHECK:       %[[Q1:.*]] = tern.decode_sherry <vpermi2d> %[[SHIFTED]] : vector<16xi32> to vector<64xi8>
// CHECK:       tern.dot4 <vpdpbusd> %[[Q1]], %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK-COUNT-4: tern.decode_sherry <vpermi2d>
// CHECK-NOT:   tern.decode_sherry
// The six quads' sums, added after the run.
// CHECK-COUNT-5: arith.addi %{{.*}}, %{{.*}} : vector<16xi32>

// GENERIC-LABEL: func.func @gemv
// GENERIC:       dense_resource<tern_dot_codes_sherry>
// GENERIC-COUNT-6: tern.decode_sherry <generic>
// GENERIC-NOT:   tern.decode_sherry

// REPACK-LABEL: func.func @gemv
// REPACK:       dense_resource<tern_dot_codes> :
// REPACK-NOT:   tern_dot_codes_sherry
// REPACK-NOT:   tern.decode_sherry
func.func @gemv(%x: tensor<1x48xf32>) -> tensor<1x32xf32> {
  %w = arith.constant dense<0.5> : tensor<48x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32xf32>) -> tensor<1x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x48xf32>, tensor<48x32xf32>)
                     outs(%z : tensor<1x32xf32>) -> tensor<1x32xf32> loc("proj")
  return %y : tensor<1x32xf32>
}
