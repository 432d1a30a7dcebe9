// Sherry's 3:4 weights (tern-ternarize method=sherry, 1.25 bits a weight)
// keep their 5-bit quad fields in the int8 kernels where a lookup reads
// them cheaply: vpdpbusd on 512-bit registers (vpermw, vpermi2d), and the
// generic form. A 16-bit lane holds three fields of one row (1.33 bits a
// weight), a register of 64 bytes a set of 12 codes of 32 rows. With fewer
// activation rows than a dot-product tile (a decoder's step), each row's
// table of the 32 sums a quad of activations can meet is built once, and
// quad s of a register is its shift right by 5s looked up in that table
// (tern.lookup), summed in i16 and widened per run. With more rows, each
// half of the register (16 rows) is widened to i32 lanes, decoded to codes
// t + 1 (tern.decode_sherry) and dotted with the activations
// (docs/Kernels.md, "Sherry's 3:4 weights"). On 256-bit registers, with
// vpmaddubsw, and with sherry-direct=0 the codes are repacked to 2-bit dot
// codes.
// RUN: tern-opt %s --tern-ternarize="method=sherry quiet=1" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" --canonicalize --cse | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=sherry quiet=1" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=generic vector-width=16" --canonicalize --cse | FileCheck %s --check-prefix=GENERIC
// RUN: tern-opt %s --tern-ternarize="method=sherry quiet=1" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16 sherry-lookups=0" --canonicalize --cse | FileCheck %s --check-prefix=DOTS
// RUN: tern-opt %s --tern-ternarize="method=sherry quiet=1" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=8" | FileCheck %s --check-prefix=REPACK
// RUN: tern-opt %s --tern-ternarize="method=sherry quiet=1" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw vector-width=16" | FileCheck %s --check-prefix=REPACK
// RUN: tern-opt %s --tern-ternarize="method=sherry quiet=1" | tern-opt --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16 sherry-direct=0" | FileCheck %s --check-prefix=REPACK

// K = 48: four sets of 12 codes; 32 rows: one block of 32.
// One activation row: the table (12 quads x 32 sums: per quad its four
// activations in every lane, their sum from bytes of ones, then from
// minus that sum a dot product with each half's codes + 1, narrowed and
// joined), then per set one register of fields and three lookups and adds.
// CHECK-LABEL: func.func @gemv
// CHECK-DAG:   arith.constant dense_resource<tern_dot_codes_sherry> : tensor<1x1x256xi8>
// CHECK-DAG:   %[[ONES:.*]] = arith.constant dense<1> : vector<64xi8>
// CHECK:       scf.for {{.*}} -> (tensor<?x12x32xi16>)
// CHECK:       %[[QUAD:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// CHECK:       %[[SUM:.*]] = tern.dot4 <vpdpbusd> %[[ONES]], %[[QUAD]], %[[ZERO:.*]] : vector<64xi8> into vector<16xi32>
// CHECK:       %[[START:.*]] = arith.subi %[[ZERO]], %[[SUM]] : vector<16xi32>
// CHECK:       %[[LOW:.*]] = tern.dot4 <vpdpbusd> %{{.*}}, %[[QUAD]], %[[START]]
// CHECK:       %[[LOW16:.*]] = arith.trunci %[[LOW]] : vector<16xi32> to vector<16xi16>
// CHECK:       %[[HIGH:.*]] = tern.dot4 <vpdpbusd> %{{.*}}, %[[QUAD]], %[[START]]
// CHECK:       %[[HIGH16:.*]] = arith.trunci %[[HIGH]] : vector<16xi32> to vector<16xi16>
// CHECK:       vector.shuffle %[[LOW16]], %[[HIGH16]] [0, 1, {{.*}}, 30, 31] : vector<16xi16>, vector<16xi16>
// CHECK:       scf.for {{.*}} -> (vector<32xi16>)
// CHECK:       %[[REG:.*]] = vector.transfer_read {{.*}} : tensor<1x1x256xi8>, vector<64xi8>
// CHECK:       %[[FIELDS:.*]] = vector.bitcast %[[REG]] : vector<64xi8> to vector<32xi16>
// CHECK:       %[[S0:.*]] = tern.lookup <vpermw> %{{.*}}[%[[FIELDS]]] : vector<32xi16>
// CHECK:       arith.addi %{{.*}}, %[[S0]] : vector<32xi16>
// CHECK:       %[[SHIFTED:.*]] = arith.shrui %[[FIELDS]], %{{.*}} : vector<32xi16>
// CHECK:       tern.lookup <vpermw> %{{.*}}[%[[SHIFTED]]] : vector<32xi16>
// CHECK:       tern.lookup <vpermw>
// CHECK-NOT:   tern.lookup
// The i16 sums of the 32 rows, widened in halves of 16.
// CHECK:       vector.extract_strided_slice %{{.*}} {offsets = [0], sizes = [16], strides = [1]} : vector<32xi16> to vector<16xi16>
// CHECK:       arith.extsi %{{.*}} : vector<16xi16> to vector<16xi32>
// CHECK:       vector.extract_strided_slice %{{.*}} {offsets = [16], sizes = [16], strides = [1]} : vector<32xi16> to vector<16xi16>
// CHECK-NOT:   tern.dot4

// Four activation rows: dot products, each register of 16 rows half a
// block's 16-bit lanes, widened.
// CHECK-LABEL: func.func @gemm
// CHECK-NOT:   tern.lookup
// CHECK:       %[[HALF:.*]] = vector.transfer_read {{.*}} : tensor<1x1x256xi8>, vector<32xi8>
// CHECK:       %[[WORDS:.*]] = vector.bitcast %[[HALF]] : vector<32xi8> to vector<16xi16>
// CHECK:       %[[LANES:.*]] = arith.extui %[[WORDS]] : vector<16xi16> to vector<16xi32>
// CHECK:       %[[Q0:.*]] = tern.decode_sherry <vpermi2d> %[[LANES]] : vector<16xi32> to vector<64xi8>
// CHECK:       tern.dot4 <vpdpbusd> %[[Q0]], %{{.*}}, %{{.*}} : vector<64xi8> into vector<16xi32>
// CHECK:       arith.shrui %[[LANES]], %{{.*}} : vector<16xi32>
// CHECK-NOT:   tern.lookup

// GENERIC-LABEL: func.func @gemv
// GENERIC:       dense_resource<tern_dot_codes_sherry>
// GENERIC-COUNT-3: tern.dot4 <generic>
// GENERIC-COUNT-3: tern.lookup <generic>
// GENERIC-NOT:   tern.lookup
// GENERIC-LABEL: func.func @gemm
// GENERIC-COUNT-3: tern.decode_sherry <generic>

// sherry-lookups=0: a single row is dotted too.
// DOTS-LABEL:   func.func @gemv
// DOTS-NOT:     tern.lookup
// DOTS:         tern.decode_sherry <vpermi2d>
// DOTS-NOT:     tern.lookup

// REPACK-LABEL: func.func @gemv
// REPACK:       dense_resource<tern_dot_codes> :
// REPACK-NOT:   tern_dot_codes_sherry
// REPACK-NOT:   tern.decode_sherry
// REPACK-NOT:   tern.lookup
func.func @gemv(%x: tensor<1x48xf32>) -> tensor<1x32xf32> {
  %w = arith.constant dense<0.5> : tensor<48x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32xf32>) -> tensor<1x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x48xf32>, tensor<48x32xf32>)
                     outs(%z : tensor<1x32xf32>) -> tensor<1x32xf32> loc("proj")
  return %y : tensor<1x32xf32>
}

func.func @gemm(%x: tensor<4x48xf32>) -> tensor<4x32xf32> {
  %w = arith.constant dense<0.5> : tensor<48x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x48xf32>, tensor<48x32xf32>)
                     outs(%z : tensor<4x32xf32>) -> tensor<4x32xf32> loc("proj2")
  return %y : tensor<4x32xf32>
}
