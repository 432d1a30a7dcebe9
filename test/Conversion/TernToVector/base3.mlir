// Base-3 weights (tern-ternarize packing=base3, 1.6 bits a weight) keep
// their format in the int8 dot-product kernel with base3-direct where the
// dot product takes code bytes up to 255 (vpdpbusd, generic); by default,
// and with vpmaddubsw, they are repacked to 2-bit dot codes (on the
// 2-core EPYC the direct kernel is compute-bound and slower). Direct: each
// register of 4 x 16 bytes
// holds 5 quads of 4 codes of 16 rows; a quad's codes leave the byte by
// tripling it (two byte adds), and each quad adds two dot products, to A
// (the byte) and to B (the tripled byte); a run's sum is (3A - B) >> 8
// (docs/Kernels.md, "Base-3 weights"). vpmaddubsw's pairs of i16 would
// saturate on such bytes: there the codes are repacked to 2 bits.
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16 base3-direct=1" --canonicalize --cse | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw vector-width=16 base3-direct=1" | FileCheck %s --check-prefix=REPACK
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" | FileCheck %s --check-prefix=REPACK

// CHECK-LABEL: func.func @gemv
// CHECK:       arith.constant dense_resource<tern_dot_codes_base3> : tensor<1x2x64xi8>
// CHECK:       %[[REG:.*]] = vector.transfer_read {{.*}} : tensor<1x2x64xi8>, vector<64xi8>
// CHECK:       %[[TWICE:.*]] = arith.addi %[[REG]], %[[REG]] : vector<64xi8>
// CHECK:       %[[NEXT:.*]] = arith.addi %[[TWICE]], %[[REG]] : vector<64xi8>
// CHECK:       tern.dot4 <vpdpbusd> %[[REG]], %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK:       tern.dot4 <vpdpbusd> %[[NEXT]], %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK-COUNT-8: tern.dot4 <vpdpbusd>
// CHECK-NOT:   tern.dot4
// CHECK:       %[[THREE:.*]] = arith.muli %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK:       %[[DIFF:.*]] = arith.subi %[[THREE]], %{{.*}} : vector<16xi32>
// CHECK:       arith.shrsi %[[DIFF]], %{{.*}} : vector<16xi32>

// REPACK-LABEL: func.func @gemv
// REPACK:       dense_resource<tern_dot_codes> : tensor<1x2x128xi8>
// REPACK-NOT:   tern_dot_codes_base3
func.func @gemv(%x: tensor<1x20xf32>) -> tensor<1x32xf32> {
  %w = arith.constant dense<0.5> : tensor<20x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32xf32>) -> tensor<1x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x20xf32>, tensor<20x32xf32>)
                     outs(%z : tensor<1x32xf32>) -> tensor<1x32xf32> loc("proj")
  return %y : tensor<1x32xf32>
}
