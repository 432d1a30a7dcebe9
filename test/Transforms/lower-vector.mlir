// RUN: tern-opt %s --split-input-file --tern-lower-vector --canonicalize | FileCheck %s

// A read that broadcasts each row's value along the row (the left operand
// of a matmul block) is one scalar load and one splat per row.

// CHECK-LABEL: func.func @row_broadcast
// CHECK-COUNT-4: memref.load %{{.*}} : memref<12x64xf32>
// CHECK-NOT:     vector.transpose
// CHECK:         vector.broadcast %{{.*}} : f32 to vector<8xf32>
func.func @row_broadcast(%m: memref<12x64xf32>, %i: index, %k: index) -> vector<4x8xf32> {
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%i, %k], %pad
         {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>}
         : memref<12x64xf32>, vector<4x8xf32>
  return %v : vector<4x8xf32>
}

// -----

// A register block carried by a loop is carried as its rows.

// CHECK-LABEL: func.func @loop_carried_block
// CHECK:       scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-2: vector.fma {{.*}} : vector<8xf32>
// CHECK:         scf.yield {{.*}} : vector<8xf32>, vector<8xf32>
// CHECK-NOT:   vector<16xf32>
func.func @loop_carried_block(%a: memref<2x64xf32>, %b: memref<64x8xf32>, %c: memref<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %init = vector.transfer_read %c[%c0, %c0], %pad {in_bounds = [true, true]}
            : memref<2x8xf32>, vector<2x8xf32>
  %r = scf.for %k = %c0 to %c64 step %c1 iter_args(%acc = %init) -> (vector<2x8xf32>) {
    %x = vector.transfer_read %a[%c0, %k], %pad
           {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d0, 0)>}
           : memref<2x64xf32>, vector<2x8xf32>
    %y = vector.transfer_read %b[%k, %c0], %pad
           {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (0, d1)>}
           : memref<64x8xf32>, vector<2x8xf32>
    %s = vector.fma %x, %y, %acc : vector<2x8xf32>
    scf.yield %s : vector<2x8xf32>
  }
  vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<2x8xf32>, memref<2x8xf32>
  return
}

// -----

// A tile that did not vectorize runs as serial loops in its parallel tile.

// CHECK-LABEL: func.func @scalar_tile
// CHECK:       scf.parallel
// CHECK:         scf.for
// CHECK-NOT:     linalg.
func.func @scalar_tile(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %xs = memref.subview %x[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    %ys = memref.subview %y[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<8xf32, strided<[1], offset: ?>>
    linalg.copy ins(%xs : memref<8xf32, strided<[1], offset: ?>>) outs(%ys : memref<8xf32, strided<[1], offset: ?>>)
    scf.reduce
  }
  return
}

// -----

// Indices of vector lanes become constants.

// CHECK-LABEL: func.func @step
// CHECK:       arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xindex>
// CHECK-NOT:   vector.step
func.func @step() -> vector<8xindex> {
  %s = vector.step : vector<8xindex>
  return %s : vector<8xindex>
}

// -----

// Sums of a register's lanes may reassociate (a tree of shuffles, not one
// dependent add per lane); integer sums and float maxima are unchanged.

// CHECK-LABEL: func.func @lane_sums
// CHECK: vector.reduction <add>, %{{.*}}, %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
// CHECK: vector.reduction <maximumf>, %{{.*}} : vector<16xf32> into f32
// CHECK: vector.reduction <add>, %{{.*}} : vector<16xi32> into i32
func.func @lane_sums(%v: vector<16xf32>, %acc: f32, %w: vector<16xi32>) -> (f32, f32, i32) {
  %s = vector.reduction <add>, %v, %acc : vector<16xf32> into f32
  %m = vector.reduction <maximumf>, %v : vector<16xf32> into f32
  %i = vector.reduction <add>, %w : vector<16xi32> into i32
  return %s, %m, %i : f32, f32, i32
}
