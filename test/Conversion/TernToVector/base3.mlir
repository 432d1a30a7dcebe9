// Base-3 weights (tern-ternarize packing=base3, 1.6 bits a weight) keep
// their format in the int8 dot-product kernel with base3-direct where the
// kernel decodes them: vpdpbusd on 512-bit registers (vpermi2b lookups),
// vpmaddubsw on registers of any width (vpshufb lookups; i16 runs of 12
// sets, not 16: a set adds five quads) and the generic form. By default,
// and with vpdpbusd on 256-bit registers, they are repacked to 2-bit dot
// codes. Direct: each register
// of 4 x 16 bytes holds 5 quads of 4 codes of 16 rows; tern.decode_base3
// turns it into a register of 2-bit codes of quads 0-3, which meet the
// activations as a 2-bit set's do (masked; shifted back once per run), and
// the codes of quad 4, dotted as they are (docs/Kernels.md, "Base-3
// weights").
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" 2>/dev/null | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16 base3-direct=1" --canonicalize --cse | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" 2>/dev/null | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=generic vector-width=8 base3-direct=1" --canonicalize --cse | FileCheck %s --check-prefix=GENERIC
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" 2>/dev/null | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw vector-width=8 base3-direct=1" --canonicalize --cse | FileCheck %s --check-prefix=VPSHUFB
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" 2>/dev/null | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw vector-width=16" | FileCheck %s --check-prefix=REPACK
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" 2>/dev/null | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=8 base3-direct=1" | FileCheck %s --check-prefix=REPACK8
// RUN: tern-opt %s --tern-ternarize="method=bt packing=base3" 2>/dev/null | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" | FileCheck %s --check-prefix=REPACK

// CHECK-LABEL: func.func @gemv
// CHECK:       arith.constant dense_resource<tern_dot_codes_base3> : tensor<1x2x64xi8>
// CHECK:       %[[REG:.*]] = vector.transfer_read {{.*}} : tensor<1x2x64xi8>, vector<64xi8>
// CHECK:       %[[QUADS:.*]], %[[FIFTH:.*]] = tern.decode_base3 <vpermi2b> %[[REG]] : vector<64xi8>
// CHECK:       %[[WORDS:.*]] = vector.bitcast %[[QUADS]] : vector<64xi8> to vector<16xi32>
// CHECK:       %[[Q4:.*]] = tern.dot4 <vpdpbusd> %[[FIFTH]], %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK-COUNT-4: arith.andi %[[WORDS]], %{{.*}} : vector<16xi32>
// CHECK-NOT:   tern.dot4
// CHECK:       %[[Q3:.*]] = tern.dot4 <vpdpbusd>
// CHECK-NOT:   tern.dot4
// CHECK:       arith.shrsi
// CHECK:       arith.shrsi
// CHECK:       %[[SHIFTED:.*]] = arith.shrsi %[[Q3]], %{{.*}} : vector<16xi32>
// CHECK:       %[[SUM:.*]] = arith.addi %{{.*}}, %[[SHIFTED]] : vector<16xi32>
// CHECK:       arith.addi %[[SUM]], %[[Q4]] : vector<16xi32>

// GENERIC-LABEL: func.func @gemv
// GENERIC:       dense_resource<tern_dot_codes_base3> : tensor<1x4x32xi8>
// GENERIC:       %[[QUADS:.*]], %[[FIFTH:.*]] = tern.decode_base3 <generic> %{{.*}} : vector<32xi8>
// GENERIC:       tern.dot4 <generic> %[[FIFTH]]

// VPSHUFB-LABEL: func.func @gemv
// VPSHUFB:       dense_resource<tern_dot_codes_base3> : tensor<1x4x32xi8>
// VPSHUFB:       %[[QUADS:.*]], %[[FIFTH:.*]] = tern.decode_base3 <vpshufb> %{{.*}} : vector<32xi8>
// VPSHUFB:       tern.dot2 <pmaddubsw> %[[FIFTH]]
// VPSHUFB-COUNT-4: tern.dot2
// VPSHUFB-NOT:   tern.dot2

// REPACK-LABEL: func.func @gemv
// REPACK:       dense_resource<tern_dot_codes> : tensor<1x2x128xi8>
// REPACK-NOT:   tern_dot_codes_base3
// REPACK-NOT:   tern.decode_base3

// REPACK8-LABEL: func.func @gemv
// REPACK8:       dense_resource<tern_dot_codes> : tensor<1x4x64xi8>
// REPACK8-NOT:   tern.decode_base3

func.func @gemv(%x: tensor<1x20xf32>) -> tensor<1x32xf32> {
  %w = arith.constant dense<0.5> : tensor<20x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32xf32>) -> tensor<1x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x20xf32>, tensor<20x32xf32>)
                     outs(%z : tensor<1x32xf32>) -> tensor<1x32xf32> loc("proj")
  return %y : tensor<1x32xf32>
}

// A prompt (M unknown until run time): a parallel iteration with at least
// 32 activation rows decodes its block's codes once, into a scratch its
// tiles read (quads 0-3, then quad 4, per register and set); with fewer,
// every tile decodes its own.
// CHECK-LABEL: func.func @prompt
// VPSHUFB-LABEL: func.func @prompt
// CHECK:         scf.forall
// CHECK:           %[[MANY:.*]] = arith.cmpi sge, %{{.*}}, %c32 : index
// CHECK:           scf.if %[[MANY]]
// CHECK:             %[[EMPTY:.*]] = tensor.empty() : tensor<1x2x1x2x64xi8>
// CHECK:             %[[DECODED:.*]] = scf.for {{.*}} iter_args(%[[SCRATCH:.*]] = %[[EMPTY]])
// CHECK:               %[[QUADS:.*]], %[[FIFTH:.*]] = tern.decode_base3 <vpermi2b>
// CHECK:               %[[WROTE:.*]] = vector.transfer_write %[[QUADS]], %[[SCRATCH]]
// CHECK:               vector.transfer_write %[[FIFTH]], %[[WROTE]]
// CHECK-NOT:         tern.decode_base3
// CHECK:             vector.transfer_read %[[DECODED]]{{.*}} : tensor<1x2x1x2x64xi8>, vector<64xi8>
// CHECK-NOT:         tern.decode_base3
// CHECK:           } else {
// CHECK:             tern.decode_base3 <vpermi2b>

func.func @prompt(%x: tensor<?x20xf32>) -> tensor<?x32xf32> {
  %w = arith.constant dense<0.5> : tensor<20x32xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x20xf32>
  %e = tensor.empty(%m) : tensor<?x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x20xf32>, tensor<20x32xf32>)
                     outs(%z : tensor<?x32xf32>) -> tensor<?x32xf32> loc("proj")
  return %y : tensor<?x32xf32>
}

// With vpmaddubsw, a quad adds at most 2 · 2 · 127 = 508 to a lane of the
// i16 pair sums: base 3's 20 sets of K = 400 run as 12 sets (12 · 5 · 508
// = 30480; 16 would overflow i16) and 8, each run widened to i32 after.
// VPSHUFB-LABEL: func.func @deep
// VPSHUFB:       scf.for %{{.*}} = %c0 to %c12 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xi16>)
// VPSHUFB:         tern.decode_base3 <vpshufb>
// VPSHUFB:       arith.shrsi %{{.*}} : vector<8xi32>
// VPSHUFB:       scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(%{{.*}} = %{{.*}}) -> (vector<16xi16>)
// VPSHUFB:         tern.decode_base3 <vpshufb>
func.func @deep(%x: tensor<1x400xf32>) -> tensor<1x32xf32> {
  %w = arith.constant dense<0.5> : tensor<400x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32xf32>) -> tensor<1x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x400xf32>, tensor<400x32xf32>)
                     outs(%z : tensor<1x32xf32>) -> tensor<1x32xf32> loc("proj")
  return %y : tensor<1x32xf32>
}
