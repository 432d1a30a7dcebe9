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
// tern.dot4 signed: |lhs| (a select LLVM makes vpabsb) and rhs with lhs's
// sign, vpsignb in 256-bit registers, a negation under lhs < 0 in 512-bit
// ones (AVX-512 has no vpsignb), then the unsigned form; generic
// arithmetic extends lhs signed.

// CHECK-LABEL: func.func @dot4_signed
// CHECK-SAME:  (%[[A:.*]]: vector<64xi8>, %[[B:.*]]: vector<64xi8>, %[[C:.*]]: vector<16xi32>, %[[D:.*]]: vector<32xi8>, %[[E:.*]]: vector<8xi32>, %[[F:.*]]: vector<8xi8>, %[[G:.*]]: vector<2xi32>, %[[H:.*]]: vector<32xi8>)
// CHECK-DAG:   %[[Z256:.*]] = arith.constant dense<0> : vector<32xi8>
// CHECK-DAG:   %[[Z512:.*]] = arith.constant dense<0> : vector<64xi8>
// CHECK:       %[[NEG:.*]] = arith.cmpi slt, %[[D]], %[[Z256]] : vector<32xi8>
// CHECK:       %[[MINUS:.*]] = arith.subi %[[Z256]], %[[D]] : vector<32xi8>
// CHECK:       %[[ABS:.*]] = arith.select %[[NEG]], %[[MINUS]], %[[D]] : vector<32xi1>, vector<32xi8>
// CHECK:       %[[SIGNED:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[H]], %[[D]]) : (vector<32xi8>, vector<32xi8>) -> vector<32xi8>
// CHECK:       llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[ABS]], %[[SIGNED]])
// CHECK:       %[[NEG5:.*]] = arith.cmpi slt, %[[A]], %[[Z512]] : vector<64xi8>
// CHECK:       %[[ABS5:.*]] = arith.select %[[NEG5]], %{{.*}}, %[[A]] : vector<64xi1>, vector<64xi8>
// CHECK:       %[[BMINUS:.*]] = arith.subi %[[Z512]], %[[B]] : vector<64xi8>
// CHECK:       %[[B5:.*]] = arith.select %[[NEG5]], %[[BMINUS]], %[[B]] : vector<64xi1>, vector<64xi8>
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[C]], %[[ABS5]], %[[B5]])
// CHECK:       arith.extsi %[[F]] : vector<8xi8> to vector<8xi32>
// CHECK:       arith.extsi %[[F]] : vector<8xi8> to vector<8xi32>
// CHECK-NOT:   arith.extui
// CHECK-NOT:   tern.dot4
func.func @dot4_signed(%a: vector<64xi8>, %b: vector<64xi8>, %c: vector<16xi32>,
                       %d: vector<32xi8>, %e: vector<8xi32>, %f: vector<8xi8>,
                       %g: vector<2xi32>, %h: vector<32xi8>)
    -> (vector<8xi32>, vector<16xi32>, vector<2xi32>) {
  %0 = tern.dot4 <pmaddubsw> signed %d, %h, %e : vector<32xi8> into vector<8xi32>
  %1 = tern.dot4 <vpdpbusd> signed %a, %b, %c : vector<64xi8> into vector<16xi32>
  %2 = tern.dot4 <generic> signed %f, %f, %g : vector<8xi8> into vector<2xi32>
  return %0, %1, %2 : vector<8xi32>, vector<16xi32>, vector<2xi32>
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

// tern.lookup: vpermw (the table first, as the intrinsic takes it), or each
// index masked to the table's length and its entry extracted.

// CHECK-LABEL: func.func @lookup
// CHECK-SAME:  (%[[T:.*]]: vector<32xi16>, %[[I:.*]]: vector<32xi16>, %[[U:.*]]: vector<4xi16>, %[[J:.*]]: vector<4xi16>)
// CHECK:       %[[V:.*]] = llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%[[T]], %[[I]]) : (vector<32xi16>, vector<32xi16>) -> vector<32xi16>
// CHECK:       %[[M:.*]] = arith.andi %[[J]], %{{.*}} : vector<4xi16>
// CHECK:       %[[I0:.*]] = vector.extract %[[M]][0] : i16 from vector<4xi16>
// CHECK:       %[[X0:.*]] = arith.index_castui %[[I0]] : i16 to index
// CHECK:       vector.extract %[[U]][%[[X0]]] : i16 from vector<4xi16>
// CHECK-COUNT-3: vector.extract %[[U]][%{{.*}}] : i16 from vector<4xi16>
// CHECK:       vector.from_elements
// CHECK-NOT:   tern.lookup
func.func @lookup(%t: vector<32xi16>, %i: vector<32xi16>, %u: vector<4xi16>,
                  %j: vector<4xi16>) -> (vector<32xi16>, vector<4xi16>) {
  %0 = tern.lookup <vpermw> %t[%i] : vector<32xi16>
  %1 = tern.lookup <generic> %u[%j] : vector<4xi16>
  return %0, %1 : vector<32xi16>, vector<4xi16>
}

// -----

// tern.decode_base3 (b = 81 · digit 4 + r): digit 4 is [b >= 81] +
// [b >= 162] (unsigned compares, 162 = -94 as i8), r = b less 81 per bound
// passed, and the quads of r one vpermi2b in a 128-entry table (r = 0: every
// digit 0; r = 3: digit 1 is 1, 0b0100 = 4; r = 64 = 2·27 + 9 + 1: 0b10010001
// = 145 = -111); or the digits of r in i16 lanes: floor(q / 3) = 86 · q >> 8;
// or (vpshufb) all in bytes: the compares signed on b ^ 0x80 (b >= 81 is
// > -48, b >= 162 is > 33), 81 · digit 4 a lookup, h = floor(r / 9) =
// 114 · r >> 10 from vpmaddubsw's products of the even and the odd bytes
// (shifted into their bytes of the i16 lanes), 9 · h a lookup, r = 9 · h +
// l, and the fields of l and h (digits 0-1, 2-3) two vpshufb lookups in
// 16-entry tables: l = 5 = 2 + 3 · 1 is 0b0110 = 6, h = 8 = 2 + 3 · 2 is
// 0b1010 << 4 = 160 = -96.

// CHECK-LABEL: func.func @decode_base3
// CHECK-SAME:  (%[[A:.*]]: vector<64xi8>, %[[B:.*]]: vector<16xi8>)
// CHECK-DAG:   %[[LOW:.*]] = arith.constant dense<[0, 1, 2, 4, 5, 6, 8, {{.*}}]> : vector<64xi8>
// CHECK-DAG:   %[[HIGH:.*]] = arith.constant dense<[-111, -110, -108, {{.*}}]> : vector<64xi8>
// CHECK-DAG:   %[[C81:.*]] = arith.constant dense<81> : vector<64xi8>
// CHECK-DAG:   %[[C162:.*]] = arith.constant dense<-94> : vector<64xi8>
// CHECK-DAG:   %[[ONE:.*]] = arith.constant dense<1> : vector<64xi8>
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0> : vector<64xi8>
// CHECK:       %[[GE81:.*]] = arith.cmpi uge, %[[A]], %[[C81]] : vector<64xi8>
// CHECK:       %[[F1:.*]] = arith.select %[[GE81]], %[[ONE]], %[[ZERO]]
// CHECK:       %[[S1:.*]] = arith.select %[[GE81]], %[[C81]], %[[ZERO]]
// CHECK:       %[[R1:.*]] = arith.subi %[[A]], %[[S1]]
// CHECK:       %[[GE162:.*]] = arith.cmpi uge, %[[A]], %[[C162]] : vector<64xi8>
// CHECK:       %[[F2:.*]] = arith.select %[[GE162]], %[[ONE]], %[[ZERO]]
// CHECK:       %[[FIFTH:.*]] = arith.addi %[[F1]], %[[F2]] : vector<64xi8>
// CHECK:       %[[S2:.*]] = arith.select %[[GE162]], %[[C81]], %[[ZERO]]
// CHECK:       %[[R:.*]] = arith.subi %[[R1]], %[[S2]]
// CHECK:       %[[QUADS:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpermi2var.qi.512"(%[[LOW]], %[[R]], %[[HIGH]]) : (vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK-NOT:   vpermi2var
// CHECK:       %[[WIDE:.*]] = arith.extui %[[B]] : vector<16xi8> to vector<16xi16>
// CHECK-COUNT-2: arith.cmpi uge, %[[WIDE]]
// CHECK-COUNT-4: arith.shrui
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

// CHECK-LABEL: func.func @decode_base3_vpshufb
// CHECK-SAME:  (%[[A:.*]]: vector<32xi8>)
// CHECK-DAG:   %[[HIGHT:.*]] = arith.constant dense<[0, 16, 32, 64, 80, 96, -128, -112, -96, 0, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[LOWT:.*]] = arith.constant dense<[0, 1, 2, 4, 5, 6, 8, 9, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[NINES:.*]] = arith.constant dense<[0, 9, 18, 27, 36, 45, 54, 63, 72, 0, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[HIGHBYTE:.*]] = arith.constant dense<-256> : vector<16xi16>
// CHECK-DAG:   %[[C2:.*]] = arith.constant dense<2> : vector<16xi16>
// CHECK-DAG:   %[[ODD:.*]] = arith.constant dense<[0, 114, 0, 114, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[C10:.*]] = arith.constant dense<10> : vector<16xi16>
// CHECK-DAG:   %[[EVEN:.*]] = arith.constant dense<[114, 0, 114, 0, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[EIGHTYONES:.*]] = arith.constant dense<[0, 81, -94, 0, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0> : vector<32xi8>
// CHECK-DAG:   %[[B162:.*]] = arith.constant dense<33> : vector<32xi8>
// CHECK-DAG:   %[[B81:.*]] = arith.constant dense<-48> : vector<32xi8>
// CHECK-DAG:   %[[BIAS:.*]] = arith.constant dense<-128> : vector<32xi8>
// CHECK:       %[[X:.*]] = arith.xori %[[A]], %[[BIAS]] : vector<32xi8>
// CHECK:       %[[GE81:.*]] = arith.cmpi sgt, %[[X]], %[[B81]] : vector<32xi8>
// CHECK:       %[[M81:.*]] = arith.extsi %[[GE81]] : vector<32xi1> to vector<32xi8>
// CHECK:       %[[GE162:.*]] = arith.cmpi sgt, %[[X]], %[[B162]] : vector<32xi8>
// CHECK:       %[[M162:.*]] = arith.extsi %[[GE162]] : vector<32xi1> to vector<32xi8>
// CHECK:       %[[NEG:.*]] = arith.addi %[[M81]], %[[M162]] : vector<32xi8>
// CHECK:       %[[FIFTH:.*]] = arith.subi %[[ZERO]], %[[NEG]] : vector<32xi8>
// CHECK:       %[[D81:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[EIGHTYONES]], %[[FIFTH]])
// CHECK:       %[[R:.*]] = arith.subi %[[A]], %[[D81]] : vector<32xi8>
// CHECK:       %[[PE:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[R]], %[[EVEN]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK:       %[[QE:.*]] = arith.shrui %[[PE]], %[[C10]] : vector<16xi16>
// CHECK:       %[[PO:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[R]], %[[ODD]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK:       %[[SO:.*]] = arith.shrui %[[PO]], %[[C2]] : vector<16xi16>
// CHECK:       %[[QO:.*]] = arith.andi %[[SO]], %[[HIGHBYTE]] : vector<16xi16>
// CHECK:       %[[H16:.*]] = arith.ori %[[QE]], %[[QO]] : vector<16xi16>
// CHECK:       %[[H:.*]] = vector.bitcast %[[H16]] : vector<16xi16> to vector<32xi8>
// CHECK:       %[[D9:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[NINES]], %[[H]])
// CHECK:       %[[L:.*]] = arith.subi %[[R]], %[[D9]] : vector<32xi8>
// CHECK:       %[[LQ:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[LOWT]], %[[L]])
// CHECK:       %[[HQ:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[HIGHT]], %[[H]])
// CHECK:       %[[QUADS:.*]] = arith.ori %[[LQ]], %[[HQ]] : vector<32xi8>
// CHECK-NOT:   arith.extui
// CHECK-NOT:   arith.trunci
// CHECK:       return %[[QUADS]], %[[FIFTH]]
// CHECK-LABEL: func.func @decode_base3_vpshufb_widths
// CHECK:       llvm.call_intrinsic "llvm.x86.ssse3.pshuf.b.128"
// CHECK:       llvm.call_intrinsic "llvm.x86.ssse3.pmadd.ub.sw.128"{{.*}} -> vector<8xi16>
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.pshuf.b.512"
// CHECK:       llvm.call_intrinsic "llvm.x86.avx512.pmaddubs.w.512"{{.*}} -> vector<32xi16>
func.func @decode_base3_vpshufb(%a: vector<32xi8>)
    -> (vector<32xi8>, vector<32xi8>) {
  %0:2 = tern.decode_base3 <vpshufb> %a : vector<32xi8>
  return %0#0, %0#1 : vector<32xi8>, vector<32xi8>
}

func.func @decode_base3_vpshufb_widths(%a: vector<16xi8>, %b: vector<64xi8>)
    -> (vector<16xi8>, vector<64xi8>) {
  %0:2 = tern.decode_base3 <vpshufb> %a : vector<16xi8>
  %1:2 = tern.decode_base3 <vpshufb> %b : vector<64xi8>
  return %0#0, %1#0 : vector<16xi8>, vector<64xi8>
}

// -----

// With vpshufb, a quad that the dot products read as (quads >> 2s) & 3 in
// each byte of i32 lanes is one lookup of its base-9 digit instead (digits
// 0-1 from l, 2-3 from h: l % 3, l / 3, h % 3, h / 3); the 2-bit fields are
// not formed when nothing else reads them. A shift by 8 is no quad's.

// CHECK-LABEL: func.func @decode_base3_vpshufb_fields
// CHECK-DAG:   %[[DIV3:.*]] = arith.constant dense<[0, 0, 0, 1, 1, 1, 2, 2, 2, 0, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[MOD3:.*]] = arith.constant dense<[0, 1, 2, 0, 1, 2, 0, 1, 2, 0, {{.*}}]> : vector<32xi8>
// CHECK-DAG:   %[[NINES:.*]] = arith.constant dense<[0, 9, 18, 27, 36, 45, 54, 63, 72, 0, {{.*}}]> : vector<32xi8>
// CHECK:       %[[H:.*]] = vector.bitcast %{{.*}} : vector<16xi16> to vector<32xi8>
// CHECK:       %[[D9:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[NINES]], %[[H]])
// CHECK:       %[[L:.*]] = arith.subi %{{.*}}, %[[D9]] : vector<32xi8>
// CHECK-DAG:   %[[Q0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[MOD3]], %[[L]])
// CHECK-DAG:   %[[Q1:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[DIV3]], %[[L]])
// CHECK-DAG:   %[[Q2:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[MOD3]], %[[H]])
// CHECK-DAG:   %[[Q3:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"(%[[DIV3]], %[[H]])
// CHECK-DAG:   %[[F0:.*]] = vector.bitcast %[[Q0]] : vector<32xi8> to vector<8xi32>
// CHECK-DAG:   %[[F1:.*]] = vector.bitcast %[[Q1]] : vector<32xi8> to vector<8xi32>
// CHECK-DAG:   %[[F2:.*]] = vector.bitcast %[[Q2]] : vector<32xi8> to vector<8xi32>
// CHECK-DAG:   %[[F3:.*]] = vector.bitcast %[[Q3]] : vector<32xi8> to vector<8xi32>
// CHECK-NOT:   arith.ori
// CHECK:       return %[[F0]], %[[F1]], %[[F2]], %[[F3]]
func.func @decode_base3_vpshufb_fields(%a: vector<32xi8>)
    -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<32xi8>) {
  %mask = arith.constant dense<50529027> : vector<8xi32>
  %c2 = arith.constant dense<2> : vector<8xi32>
  %c4 = arith.constant dense<4> : vector<8xi32>
  %c6 = arith.constant dense<6> : vector<8xi32>
  %quads, %fifth = tern.decode_base3 <vpshufb> %a : vector<32xi8>
  %lanes = vector.bitcast %quads : vector<32xi8> to vector<8xi32>
  %f0 = arith.andi %lanes, %mask : vector<8xi32>
  %s1 = arith.shrui %lanes, %c2 : vector<8xi32>
  %f1 = arith.andi %s1, %mask : vector<8xi32>
  %s2 = arith.shrui %lanes, %c4 : vector<8xi32>
  %f2 = arith.andi %s2, %mask : vector<8xi32>
  %s3 = arith.shrui %lanes, %c6 : vector<8xi32>
  %f3 = arith.andi %s3, %mask : vector<8xi32>
  return %f0, %f1, %f2, %f3, %fifth
      : vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<32xi8>
}

// CHECK-LABEL: func.func @decode_base3_vpshufb_other_shift
// CHECK:       %[[QUADS:.*]] = arith.ori %{{.*}} : vector<32xi8>
// CHECK:       %[[LANES:.*]] = vector.bitcast %[[QUADS]] : vector<32xi8> to vector<8xi32>
// CHECK:       arith.shrui %[[LANES]]
// CHECK:       arith.andi
func.func @decode_base3_vpshufb_other_shift(%a: vector<32xi8>) -> vector<8xi32> {
  %mask = arith.constant dense<50529027> : vector<8xi32>
  %c8 = arith.constant dense<8> : vector<8xi32>
  %quads, %fifth = tern.decode_base3 <vpshufb> %a : vector<32xi8>
  %lanes = vector.bitcast %quads : vector<32xi8> to vector<8xi32>
  %s = arith.shrui %lanes, %c8 : vector<8xi32>
  %f = arith.andi %s, %mask : vector<8xi32>
  return %f : vector<8xi32>
}
