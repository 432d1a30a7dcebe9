// RUN: tern-opt %s --split-input-file --convert-tern-to-vector="vector-width=16 block-rows=4" --canonicalize --cse | FileCheck %s
// RUN: tern-opt %s --split-input-file --convert-tern-to-vector="activations=int8" --canonicalize --cse | FileCheck %s --check-prefix=INT8
// RUN: tern-opt %s --split-input-file --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" --canonicalize --cse | FileCheck %s --check-prefix=DOT
// RUN: tern-opt %s --split-input-file --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw" --canonicalize --cse | FileCheck %s --check-prefix=PAIRS

// One plane, one group, M = 1: the bitmaps are repacked at compile time
// (magnitudes, then signs: row 0 is +1 at k = 0, row 1 is -1 at k = 0,
// row 2 is +1 at k = 19), x is padded to whole chunks, each chunk of 16
// activations is added where the magnitude bits say, negated where the
// sign bits say, and the scale multiplies the row's sum once. K = 20 leaves
// a second chunk of 4 lanes, masked.

// CHECK-LABEL: func.func @gemv
// CHECK-SAME: (%[[X:.*]]: tensor<1x20xf32>)
// CHECK-DAG: %[[TAIL:.*]] = arith.constant dense<[true, true, true, true, false, false, false, false, false, false, false, false, false, false, false, false]> : vector<16xi1>
// CHECK-DAG: %[[BITS:.*]] = arith.constant dense_resource<tern_bitmaps> : tensor<1x3x2x8xi8>
// CHECK: %[[PADDED:.*]] = tensor.pad %[[X]] low[0, 0] high[0, 12]
// CHECK: %[[X0:.*]] = vector.transfer_read %[[PADDED]]{{.*}} : tensor<1x32xf32>, vector<16xf32>
// CHECK: %[[NEG0:.*]] = arith.negf %[[X0]]
// CHECK: %[[MAGBYTES:.*]] = vector.transfer_read %[[BITS]]{{.*}} : tensor<1x3x2x8xi8>, vector<2xi8>
// CHECK: %[[MAG:.*]] = vector.bitcast %[[MAGBYTES]] : vector<2xi8> to vector<16xi1>
// CHECK: %[[SIGNBYTES:.*]] = vector.transfer_read %[[BITS]]
// CHECK: %[[SIGN:.*]] = vector.bitcast %[[SIGNBYTES]] : vector<2xi8> to vector<16xi1>
// CHECK: %[[TERM:.*]] = arith.select %[[SIGN]], %[[NEG0]], %[[X0]]
// CHECK: %[[ADDED:.*]] = arith.addf %[[TERM]]
// CHECK: arith.select %[[MAG]], %[[ADDED]]
// CHECK: arith.andi %{{.*}}, %[[TAIL]] : vector<16xi1>
// CHECK-NOT: arith.mulf
// CHECK: vector.fma
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK: vector.from_elements %{{.*}}, %{{.*}}, %{{.*}} : vector<3xf32>
// CHECK: return
// CHECK: tern_bitmaps: "0x0100000001000000000000000000000000000000010000000000000001000000000000000000080000000000000000000000000
// int8 activations: each row's largest magnitude gives its scale (taken
// as the largest of the values' bits with the sign bit cleared), the
// codes are rounded to i16 lanes (16 of them in AVX2's 256 bits), summed
// with integer selects and adds, widened to i32 and f32 once per group,
// and the row's scale multiplies the result.
// INT8-LABEL: func.func @gemv
// INT8: %[[CLEAR:.*]] = arith.constant 2147483647 : i32
// INT8: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// INT8: %[[MAGNITUDE:.*]] = arith.andi %[[BITS]], %[[CLEAR]] : i32
// INT8: arith.maxsi %{{.*}}, %[[MAGNITUDE]] : i32
// INT8: arith.bitcast %{{.*}} : i32 to f32
// INT8: arith.divf
// INT8: math.roundeven
// INT8: arith.fptosi %{{.*}} : f32 to i16
// INT8: tensor.pad %{{.*}} high[0, 12]
// INT8: vector.transfer_read {{.*}} : tensor<1x32xi16>, vector<16xi16>
// INT8: vector.bitcast %{{.*}} : vector<2xi8> to vector<16xi1>
// INT8: arith.addi %{{.*}} : vector<16xi16>
// INT8: arith.extsi %{{.*}} : vector<16xi16> to vector<16xi32>
// INT8: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// INT8: vector.reduction <add>
// INT8: arith.mulf %{{.*}} : vector<3xf32>
// Dot products (int8-dot), lanes along N: the activations are rounded to
// i8 and summed per group (i32); the scales are transposed to planes x
// groups x N and N padded to one register of 16 rows, whose codes t + 1
// are repacked as kernel dot codes (one register of 64 bytes per set of 16
// codes, 2 sets). Per set, the 64 bytes are loaded once; quad s of the set
// is the bytes' bits 2s and 2s + 1, masked in place (a tile of one register
// and one activation row: scaled sums), and meets the row's 4 activations
// of that quad, broadcast to every lane, in one tern.dot4 into its own
// sums; quad 0's start at minus the group's sum. After the group's sets
// quad s's sums are shifted right by 2s and added. The scales multiply the
// i32 sums once, as f32; the 16 outputs are stored as a vector and the 3
// real ones sliced out.
// DOT-LABEL: func.func @gemv
// DOT-DAG: %[[QUAD0:.*]] = arith.constant dense<50529027> : vector<16xi32>
// DOT-DAG: %[[QUAD1:.*]] = arith.constant dense<202116108> : vector<16xi32>
// DOT-DAG: %[[QUAD2:.*]] = arith.constant dense<808464432> : vector<16xi32>
// DOT-DAG: %[[QUAD3:.*]] = arith.constant dense<-1061109568> : vector<16xi32>
// DOT-DAG: %[[ZERO:.*]] = arith.constant dense<0> : vector<16xi32>
// DOT-DAG: %[[TWO:.*]] = arith.constant dense<2> : vector<16xi32>
// DOT-DAG: %[[FOUR:.*]] = arith.constant dense<4> : vector<16xi32>
// DOT-DAG: %[[SIX:.*]] = arith.constant dense<6> : vector<16xi32>
// DOT-DAG: %[[CODES:.*]] = arith.constant dense_resource<tern_dot_codes> : tensor<1x1x128xi8>
// DOT-DAG: %[[ALPHAS:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x16xf32>
// DOT: %[[Q:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x20xi8>)
// DOT: arith.fptosi %{{.*}} : f32 to i8
// DOT: %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// DOT: arith.extsi %{{.*}} : i8 to i32
// DOT: %[[PADDED:.*]] = tensor.pad %{{.*}} high[0, 0, 12]
// DOT: %[[QP:.*]] = tensor.collapse_shape %[[PADDED]] {{.*}} into tensor<1x32xi8>
// DOT: %[[SUM:.*]] = tensor.extract %[[SUMS]]
// DOT: %[[NEG:.*]] = arith.subi %{{.*}}, %[[SUM]] : i32
// DOT: %[[START:.*]] = vector.broadcast %[[NEG]] : i32 to vector<16xi32>
// DOT: %[[SETS:.*]]:4 = scf.for %[[SET:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A0:.*]] = %[[START]], %[[A1:.*]] = %[[ZERO]], %[[A2:.*]] = %[[ZERO]], %[[A3:.*]] = %[[ZERO]])
// DOT: %[[X0:.*]] = vector.transfer_read %[[QP]]{{.*}} : tensor<1x32xi8>, vector<4xi8>
// DOT: %[[WORD:.*]] = vector.bitcast %[[X0]] : vector<4xi8> to vector<1xi32>
// DOT: %[[XS:.*]] = vector.broadcast %[[WORD]] : vector<1xi32> to vector<16xi32>
// DOT: %[[XB0:.*]] = vector.bitcast %[[XS]] : vector<16xi32> to vector<64xi8>
// DOT: %[[XB1:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// DOT: %[[XB2:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// DOT: %[[XB3:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// DOT: %[[PACKED:.*]] = vector.transfer_read %[[CODES]]{{.*}} : tensor<1x1x128xi8>, vector<64xi8>
// DOT: %[[WORDS:.*]] = vector.bitcast %[[PACKED]] : vector<64xi8> to vector<16xi32>
// DOT: %[[M0:.*]] = arith.andi %[[WORDS]], %[[QUAD0]] : vector<16xi32>
// DOT: %[[C0:.*]] = vector.bitcast %[[M0]] : vector<16xi32> to vector<64xi8>
// DOT: %[[S0:.*]] = tern.dot4 <vpdpbusd> %[[C0]], %[[XB0]], %[[A0]] : vector<64xi8> into vector<16xi32>
// DOT: arith.andi %[[WORDS]], %[[QUAD1]]
// DOT: %[[S1:.*]] = tern.dot4 <vpdpbusd> %{{.*}}, %[[XB1]], %[[A1]]
// DOT: arith.andi %[[WORDS]], %[[QUAD2]]
// DOT: %[[S2:.*]] = tern.dot4 <vpdpbusd> %{{.*}}, %[[XB2]], %[[A2]]
// DOT: arith.andi %[[WORDS]], %[[QUAD3]]
// DOT: %[[S3:.*]] = tern.dot4 <vpdpbusd> %{{.*}}, %[[XB3]], %[[A3]]
// DOT: scf.yield %[[S0]], %[[S1]], %[[S2]], %[[S3]]
// DOT: %[[U1:.*]] = arith.shrsi %[[SETS]]#1, %[[TWO]] : vector<16xi32>
// DOT: %[[T1:.*]] = arith.addi %[[SETS]]#0, %[[U1]] : vector<16xi32>
// DOT: %[[U2:.*]] = arith.shrsi %[[SETS]]#2, %[[FOUR]] : vector<16xi32>
// DOT: %[[T2:.*]] = arith.addi %[[T1]], %[[U2]] : vector<16xi32>
// DOT: %[[U3:.*]] = arith.shrsi %[[SETS]]#3, %[[SIX]] : vector<16xi32>
// DOT: %[[T3:.*]] = arith.addi %[[T2]], %[[U3]] : vector<16xi32>
// DOT: %[[ALPHA:.*]] = vector.transfer_read %[[ALPHAS]]{{.*}} : tensor<1x1x16xf32>, vector<16xf32>
// DOT: %[[FLOAT:.*]] = arith.sitofp %[[T3]] : vector<16xi32> to vector<16xf32>
// DOT: %[[TOTAL:.*]] = vector.fma %[[ALPHA]], %[[FLOAT]], %{{.*}} : vector<16xf32>
// DOT-NOT: vector.reduction
// Without a bias the tile writes its rows' sums into the result, which
// nothing fills with zeros first.
// DOT: %[[OUT:.*]] = arith.mulf %[[TOTAL]], %{{.*}} : vector<16xf32>
// DOT: %[[Y:.*]] = vector.transfer_write %[[OUT]]{{.*}} : vector<16xf32>, tensor<1x16xf32>
// DOT: tensor.extract_slice %[[Y]][0, 0] [1, 3] [1, 1] : tensor<1x16xf32> to tensor<1x3xf32>
// Rows +1 0 ..., -1 0 ... and 0 ... 0 +1: t + 1 = 2 in byte 0 (row 0,
// code 0), 0 in byte 4 (row 1, code 0), 2 in bits 0-1 of byte 11 of set 1
// (row 2, code 19 = set 1, quad 0, code 3; byte 64 + 4 · 2 + 3 = 75).
// DOT: tern_dot_codes: "0x010000005655555554555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555655555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
//
// With vpmaddubsw (8 rows a register) each quad of a set is shifted into
// the low two bits of every byte and masked (no scaled sums), the products
// of up to 16 sets are summed in i16 (tern.dot2), then each pair of i16
// lanes widened and added to the i32 sums.
// PAIRS-LABEL: func.func @gemv
// PAIRS-DAG: %[[SIXTEEN:.*]] = arith.constant dense<16> : vector<8xi32>
// PAIRS-DAG: %[[TWOBITS:.*]] = arith.constant dense<50529027> : vector<8xi32>
// PAIRS-DAG: %[[TWO:.*]] = arith.constant dense<2> : vector<8xi32>
// PAIRS-DAG: %[[ZERO:.*]] = arith.constant dense<0> : vector<16xi16>
// PAIRS: %[[P:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (vector<16xi16>)
// PAIRS: %[[PACKED:.*]] = vector.bitcast %{{.*}} : vector<32xi8> to vector<8xi32>
// PAIRS: arith.andi %[[PACKED]], %[[TWOBITS]] : vector<8xi32>
// PAIRS: %[[D0:.*]] = tern.dot2 <pmaddubsw> %{{.*}}, %{{.*}}, %[[ACC]] : vector<32xi8> into vector<16xi16>
// PAIRS: %[[SHIFTED:.*]] = arith.shrui %[[PACKED]], %[[TWO]] : vector<8xi32>
// PAIRS: arith.andi %[[SHIFTED]], %[[TWOBITS]] : vector<8xi32>
// PAIRS: tern.dot2 <pmaddubsw> %{{.*}}, %{{.*}}, %[[D0]] : vector<32xi8> into vector<16xi16>
// PAIRS: %[[W:.*]] = vector.bitcast %[[P]] : vector<16xi16> to vector<8xi32>
// PAIRS: %[[L:.*]] = arith.shli %[[W]], %[[SIXTEEN]] : vector<8xi32>
// PAIRS: %[[LOW:.*]] = arith.shrsi %[[L]], %[[SIXTEEN]] : vector<8xi32>
// PAIRS: %[[HIGH:.*]] = arith.shrsi %[[W]], %[[SIXTEEN]] : vector<8xi32>
// PAIRS: %[[BOTH:.*]] = arith.addi %[[LOW]], %[[HIGH]] : vector<8xi32>
// PAIRS: arith.addi %{{.*}}, %[[BOTH]] : vector<8xi32>
func.func @gemv(%x: tensor<1x20xf32>) -> tensor<1x3xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<15xi8> -> tensor<3x20x!tern.trit>
  %a = arith.constant dense<[[1.0], [2.0], [0.5]]> : tensor<3x1xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<1x20xf32>, tensor<3x20x!tern.trit> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000010000000003000000000000000040"
    }
  }
#-}

// -----

// Groups, planes, shifts, bias and a dynamic batch: blocks of rows run in
// parallel (scf.forall), tiles of rows and of activations in scf.for loops,
// one loop over groups whose sums the plane scales multiply once each. The
// shifts multiply the group sums of x, computed once for all rows.

// CHECK-LABEL: func.func @grouped
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 2, 32] : tensor<?x64xf32> into tensor<?x2x32xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK-NOT: arith.mulf
// CHECK: tensor.extract %{{.*}} : tensor<2x5x2xf16>
// CHECK: arith.extf
// CHECK: vector.fma
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice
func.func @grouped(%x: tensor<?x64xf32>, %a: tensor<2x5x2xf16>,
                   %g: tensor<5x2xf32>, %b: tensor<5xf32>) -> tensor<?x5xf32> {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<160xi8> -> tensor<2x5x64x!tern.trit>
  %y = tern.matmul %x, %w scales(%a : tensor<2x5x2xf16>)
         shifts(%g : tensor<5x2xf32>) bias(%b : tensor<5xf32>)
         group_size = 32
         : tensor<?x64xf32>, tensor<2x5x64x!tern.trit> -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x0100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// Left to the reference lowering: weights that are not a constant, and
// activations that are not f32.

// CHECK-LABEL: func.func @left
// CHECK: tern.matmul %{{.*}}, %{{.*}} scales
// CHECK: tern.matmul %{{.*}}, %{{.*}} scales
func.func @left(%x: tensor<2x8xf32>, %w: tensor<4x8x!tern.trit>,
                %h: tensor<2x8xf16>) -> (tensor<2x4xf32>, tensor<2x4xf16>) {
  %a = arith.constant dense<1.0> : tensor<4x1xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<2x8xf32>, tensor<4x8x!tern.trit> -> tensor<2x4xf32>
  %c = tern.constant #tern.packing<sign_magnitude> dense_resource<c>
         : tensor<8xi8> -> tensor<4x8x!tern.trit>
  %z = tern.matmul %h, %c scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<2x8xf16>, tensor<4x8x!tern.trit> -> tensor<2x4xf16>
  return %y, %z : tensor<2x4xf32>, tensor<2x4xf16>
}
{-#
  dialect_resources: {
    builtin: {
      c: "0x010000000102030001020300"
    }
  }
#-}

// -----

// One constant read with two group sizes: a set of bitmaps for each, and
// the constant is gone.

// CHECK-LABEL: func.func @shared
// CHECK-DAG: arith.constant dense_resource<{{.*}}> : tensor<1x2x2x8xi8>
// CHECK-DAG: arith.constant dense_resource<{{.*}}> : tensor<1x2x2x16xi8>
// CHECK-NOT: tern.constant
// CHECK-NOT: tern.matmul
func.func @shared(%x: tensor<1x64xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<s>
         : tensor<32xi8> -> tensor<2x64x!tern.trit>
  %a = arith.constant dense<1.0> : tensor<2x1xf32>
  %b = arith.constant dense<1.0> : tensor<2x4xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x1xf32>) group_size = 0
         : tensor<1x64xf32>, tensor<2x64x!tern.trit> -> tensor<1x2xf32>
  %z = tern.matmul %x, %w scales(%b : tensor<2x4xf32>) group_size = 16
         : tensor<1x64xf32>, tensor<2x64x!tern.trit> -> tensor<1x2xf32>
  return %y, %z : tensor<1x2xf32>, tensor<1x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      s: "0x010000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// Constant scales are transposed to [plane, group, row] and padded to a
// whole register of rows when the kernel is built, not copied every call:
// f16 scales[p][n][g] = 100p + 10n + g.

// DOT-LABEL: func.func @constant_scales
// DOT: arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+01, 2.000000e+01, 0.000000e+00, {{.*}}], [1.000000e+00, 1.100000e+01, 2.100000e+01, 0.000000e+00, {{.*}}]], {{\[\[}}1.000000e+02, 1.100000e+02, 1.200000e+02, 0.000000e+00, {{.*}}], [1.010000e+02, 1.110000e+02, 1.210000e+02, 0.000000e+00, {{.*}}]]]> : tensor<2x2x16xf32>
// DOT-NOT: linalg.generic {{.*}}tensor<2x3x2xf16>
// DOT-NOT: tensor.pad {{.*}}tensor<2x2x3xf32>
// DOT: return
func.func @constant_scales(%x: tensor<?x64xf32>) -> tensor<?x3xf32> {
  %a = arith.constant dense<[[[0.0, 1.0], [10.0, 11.0], [20.0, 21.0]],
                             [[100.0, 101.0], [110.0, 111.0], [120.0, 121.0]]]> : tensor<2x3x2xf16>
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w3>
         : tensor<96xi8> -> tensor<2x3x64x!tern.trit>
  %y = tern.matmul %x, %w scales(%a : tensor<2x3x2xf16>) group_size = 32
         : tensor<?x64xf32>, tensor<2x3x64x!tern.trit> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w3: "0x01000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
