// RUN: tern-opt %s --split-input-file --convert-tern-dot-to-llvm --tern-lower-vector --canonicalize | FileCheck %s

// tern.dot4 becomes the instructions it names: vpdpbusd, or vpmaddubsw then
// vpmaddwd by ones and an add, through LLVM's x86 intrinsics (256-bit and
// 512-bit), or plain arithmetic summed over each group of four lanes.

// CHECK-LABEL: func.func @dot4
// CHECK-SAME:  (%[[A:.*]]: vector<64xi8>, %[[B:.*]]: vector<64xi8>, %[[C:.*]]: vector<16xi32>, %[[D:.*]]: vector<32xi8>, %[[E:.*]]: vector<8xi32>, %[[F:.*]]: vector<8xi8>, %[[G:.*]]: vector<2xi32>)
// CHECK-DAG:   %[[ONES:.*]] = arith.constant dense<1> : vector<16xi16>
// CHECK:       %[[V512:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[C]], %[[A]], %[[B]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK:       %[[V256:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[E]], %[[D]], %[[D]]) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK:       %[[PAIRS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[D]], %[[D]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK:       %[[QUADS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[PAIRS]], %[[ONES]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK:       %[[M256:.*]] = arith.addi %[[E]], %[[QUADS]] : vector<8xi32>
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.pmaddubs.w.512"(%[[A]], %[[B]]) : (vector<64xi8>, vector<64xi8>) -> vector<32xi16>
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"
// CHECK:       arith.extui %[[F]] : vector<8xi8> to vector<8xi32>
// CHECK:       arith.extsi %[[F]] : vector<8xi8> to vector<8xi32>
// CHECK:       %[[P:.*]] = arith.muli
// CHECK:       %[[P0:.*]] = vector.shuffle %[[P]], %[[P]] [0, 1, 2, 3] : vector<8xi32>, vector<8xi32>
// CHECK:       %[[P1:.*]] = vector.shuffle %[[P]], %[[P]] [4, 5, 6, 7] : vector<8xi32>, vector<8xi32>
// CHECK:       %[[G0:.*]] = vector.extract %[[G]][0]
// CHECK:       vector.reduction <add>, %[[P0]], %[[G0]] : vector<4xi32> into i32
// CHECK:       %[[G1:.*]] = vector.extract %[[G]][1]
// CHECK:       vector.reduction <add>, %[[P1]], %[[G1]] : vector<4xi32> into i32
// CHECK-NOT:   tern.dot4
func.func @dot4(%a: vector<64xi8>, %b: vector<64xi8>, %c: vector<16xi32>,
                %d: vector<32xi8>, %e: vector<8xi32>, %f: vector<8xi8>,
                %g: vector<2xi32>)
    -> (vector<16xi32>, vector<8xi32>, vector<8xi32>, vector<16xi32>,
        vector<2xi32>) {
  %0 = tern.dot4 <vpdpbusd> %a, %b, %c : vector<64xi8> into vector<16xi32>
  %1 = tern.dot4 <vpdpbusd> %d, %d, %e : vector<32xi8> into vector<8xi32>
  %2 = tern.dot4 <pmaddubsw> %d, %d, %e : vector<32xi8> into vector<8xi32>
  %3 = tern.dot4 <pmaddubsw> %a, %b, %c : vector<64xi8> into vector<16xi32>
  %4 = tern.dot4 <generic> %f, %f, %g : vector<8xi8> into vector<2xi32>
  return %0, %1, %2, %3, %4
      : vector<16xi32>, vector<8xi32>, vector<8xi32>, vector<16xi32>,
        vector<2xi32>
}
// -----
// tern.dot2: vpmaddubsw (256-bit and 512-bit) and an add, or plain
// arithmetic summed over each pair of lanes.

// CHECK-LABEL: func.func @dot2
// CHECK-SAME:  (%[[A:.*]]: vector<32xi8>, %[[B:.*]]: vector<16xi16>, %[[C:.*]]: vector<64xi8>, %[[D:.*]]: vector<32xi16>, %[[E:.*]]: vector<4xi8>, %[[F:.*]]: vector<2xi16>)
// CHECK:       %[[P256:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[A]], %[[A]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK:       arith.addi %[[B]], %[[P256]] : vector<16xi16>
// CHECK:       %[[P512:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pmaddubs.w.512"(%[[C]], %[[C]]) : (vector<64xi8>, vector<64xi8>) -> vector<32xi16>
// CHECK:       arith.addi %[[D]], %[[P512]] : vector<32xi16>
// CHECK:       arith.extui %[[E]] : vector<4xi8> to vector<4xi16>
// CHECK:       arith.extsi %[[E]] : vector<4xi8> to vector<4xi16>
// CHECK:       arith.muli
// CHECK-COUNT-2: vector.reduction <add>
// CHECK-NOT:   tern.dot2
func.func @dot2(%a: vector<32xi8>, %b: vector<16xi16>, %c: vector<64xi8>,
                %d: vector<32xi16>, %e: vector<4xi8>, %f: vector<2xi16>)
    -> (vector<16xi16>, vector<32xi16>, vector<2xi16>) {
  %0 = tern.dot2 <pmaddubsw> %a, %a, %b : vector<32xi8> into vector<16xi16>
  %1 = tern.dot2 <pmaddubsw> %c, %c, %d : vector<64xi8> into vector<32xi16>
  %2 = tern.dot2 <generic> %e, %e, %f : vector<4xi8> into vector<2xi16>
  return %0, %1, %2 : vector<16xi16>, vector<32xi16>, vector<2xi16>
}
// -----
// tern.decode_sherry: vpermi2d with the 32 decoded quads in two constant
// registers (field 0: zero first, then +1 +1 +1, bytes 1 2 2 2 =
// 0x02020201 = 33686017; field 31: zero last, -1 -1 -1, bytes 0 0 0 1 =
// 0x01000000 = 16777216), or shifts, masks and adds on the lanes.

// CHECK-LABEL: func.func @decode_sherry
// CHECK-SAME:  (%[[A:.*]]: vector<16xi32>, %[[B:.*]]: vector<8xi32>)
// CHECK-DAG:   %[[LO:.*]] = arith.constant dense<[33686017, {{.*}}]> : vector<16xi32>
// CHECK-DAG:   %[[HI:.*]] = arith.constant dense<[{{.*}}, 16777216]> : vector<16xi32>
// CHECK:       %[[W:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.d.512"(%[[LO]], %[[A]], %[[HI]]) : (vector<16xi32>, vector<16xi32>, vector<16xi32>) -> vector<16xi32>
// CHECK:       vector.bitcast %[[W]] : vector<16xi32> to vector<64xi8>
// CHECK:       arith.andi %[[B]]
// CHECK:       arith.shli
// CHECK:       arith.xori
// CHECK:       vector.bitcast %{{.*}} : vector<8xi32> to vector<32xi8>
// CHECK-NOT:   tern.decode_sherry
func.func @decode_sherry(%a: vector<16xi32>, %b: vector<8xi32>)
    -> (vector<64xi8>, vector<32xi8>) {
  %0 = tern.decode_sherry <vpermi2d> %a : vector<16xi32> to vector<64xi8>
  %1 = tern.decode_sherry <generic> %b : vector<8xi32> to vector<32xi8>
  return %0, %1 : vector<64xi8>, vector<32xi8>
}

// -----

// tern.decode_base3: per table (digits 0-3 as 2-bit fields, digit 4),
// vpermi2b in entries 0-127 and in 128-255 and a select on the byte's top
// bit (byte 0: every digit 0; byte 128: every digit 1, quads 0b01010101 =
// 85); or the digits' definition in i16 lanes: d = 3b >> 8, b' = 3b & 255.

// CHECK-LABEL: func.func @decode_base3
// CHECK-SAME:  (%[[A:.*]]: vector<64xi8>, %[[B:.*]]: vector<16xi8>)
// CHECK-DAG:   %[[Q0:.*]] = arith.constant dense<[0, 0, 0, 0, 64, {{.*}}]> : vector<64xi8>
// CHECK-DAG:   %[[Q128:.*]] = arith.constant dense<[85, 85, {{.*}}]> : vector<64xi8>
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0> : vector<64xi8>
// CHECK:       %[[TOP:.*]] = arith.cmpi slt, %[[A]], %[[ZERO]] : vector<64xi8>
// CHECK:       %[[HIGH:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"(%[[Q128]], %[[A]], %{{.*}}) : (vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK:       %[[LOW:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"(%[[Q0]], %[[A]], %{{.*}})
// CHECK:       %[[QUADS:.*]] = arith.select %[[TOP]], %[[HIGH]], %[[LOW]] : vector<64xi1>, vector<64xi8>
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"
// CHECK:       %[[FIFTH:.*]] = arith.select %[[TOP]]
// CHECK:       %[[WIDE:.*]] = arith.extui %[[B]] : vector<16xi8> to vector<16xi16>
// CHECK:       arith.muli %[[WIDE]], %{{.*}} : vector<16xi16>
// CHECK-COUNT-4: arith.muli
// CHECK:       arith.trunci %{{.*}} : vector<16xi16> to vector<16xi8>
// CHECK:       arith.trunci %{{.*}} : vector<16xi16> to vector<16xi8>
// CHECK:       return %[[QUADS]], %[[FIFTH]]
// CHECK-NOT:   tern.decode_base3
func.func @decode_base3(%a: vector<64xi8>, %b: vector<16xi8>)
    -> (vector<64xi8>, vector<64xi8>, vector<16xi8>, vector<16xi8>) {
  %0:2 = tern.decode_base3 <vpermi2b> %a : vector<64xi8>
  %1:2 = tern.decode_base3 <generic> %b : vector<16xi8>
  return %0#0, %0#1, %1#0, %1#1
      : vector<64xi8>, vector<64xi8>, vector<16xi8>, vector<16xi8>
}
