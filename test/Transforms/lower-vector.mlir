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

// -----

// A row's reduction carried by its loop over chunks (a 0-d vector here, as
// tiling leaves it) is carried in lanes: each chunk combines lanewise, and
// the lanes are reduced once, after the loop, into the initial value.

// CHECK-LABEL: func.func @reduce_in_lanes
// CHECK-SAME:  (%[[ROW:.*]]: memref<2048xf32>, %[[INIT:.*]]: vector<f32>)
// CHECK:       %[[START:.*]] = vector.extract %[[INIT]][] : f32 from vector<f32>
// CHECK:       %[[SPLAT:.*]] = vector.broadcast %[[START]] : f32 to vector<64xf32>
// CHECK:       %[[LANES:.*]] = scf.for %{{.*}} iter_args(%[[ACC:.*]] = %[[SPLAT]]) -> (vector<64xf32>) {
// CHECK:         %[[ABS:.*]] = math.absf
// CHECK:         %[[MAX:.*]] = arith.maximumf %[[ABS]], %[[ACC]] : vector<64xf32>
// CHECK:         scf.yield %[[MAX]] : vector<64xf32>
// CHECK:       %[[MAXIMUM:.*]] = vector.reduction <maximumf>, %[[LANES]], %[[START]] : vector<64xf32> into f32
// CHECK:       vector.broadcast %[[MAXIMUM]] : f32 to vector<f32>
func.func @reduce_in_lanes(%row: memref<2048xf32>, %init: vector<f32>) -> vector<f32> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c2048 = arith.constant 2048 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c2048 step %c64 iter_args(%acc = %init) -> (vector<f32>) {
    %v = vector.transfer_read %row[%k], %pad {in_bounds = [true]} : memref<2048xf32>, vector<64xf32>
    %a = vector.extract %acc[] : f32 from vector<f32>
    %abs = math.absf %v : vector<64xf32>
    %m = vector.multi_reduction <maximumf>, %abs, %a [0] : vector<64xf32> to f32
    %b = vector.broadcast %m : f32 to vector<f32>
    scf.yield %b : vector<f32>
  }
  return %r : vector<f32>
}

// -----

// Sums start from zero lanes (-0.0 for floats) and add the initial value at
// the end; a scalar carried value works alike (and a sum of squares becomes
// one FMA a chunk).

// CHECK-LABEL: func.func @sums_in_lanes
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant dense<0> : vector<16xi32>
// CHECK-DAG:   %[[FZERO:.*]] = arith.constant dense<-0.000000e+00> : vector<16xf32>
// CHECK:       %[[LANES:.*]]:2 = scf.for %{{.*}} iter_args(%[[I:.*]] = %[[ZERO]], %[[F:.*]] = %[[FZERO]]) -> (vector<16xi32>, vector<16xf32>) {
// CHECK:         arith.addi %{{.*}}, %[[I]] : vector<16xi32>
// CHECK:         vector.fma %{{.*}}, %{{.*}}, %[[F]] : vector<16xf32>
// CHECK:       vector.reduction <add>, %[[LANES]]#0, %{{.*}} : vector<16xi32> into i32
// CHECK:       vector.reduction <add>, %[[LANES]]#1, %{{.*}} fastmath<reassoc> : vector<16xf32> into f32
func.func @sums_in_lanes(%codes: memref<256xi8>, %x: memref<256xf32>, %i0: i32, %f0: f32) -> (i32, f32) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %p8 = arith.constant 0 : i8
  %pad = arith.constant 0.0 : f32
  %r:2 = scf.for %k = %c0 to %c256 step %c16 iter_args(%i = %i0, %f = %f0) -> (i32, f32) {
    %c = vector.transfer_read %codes[%k], %p8 {in_bounds = [true]} : memref<256xi8>, vector<16xi8>
    %w = arith.extsi %c : vector<16xi8> to vector<16xi32>
    %si = vector.multi_reduction <add>, %w, %i [0] : vector<16xi32> to i32
    %v = vector.transfer_read %x[%k], %pad {in_bounds = [true]} : memref<256xf32>, vector<16xf32>
    %sq = arith.mulf %v, %v : vector<16xf32>
    %sf = vector.reduction <add>, %sq, %f : vector<16xf32> into f32
    scf.yield %si, %sf : i32, f32
  }
  return %r#0, %r#1 : i32, f32
}

// -----

// A carried value the loop also reads otherwise stays a scalar, and so does
// one reduced from chunks of a lane count that is not a power of two (LLVM
// would spill such a carried vector).

// CHECK-LABEL: func.func @not_only_reduced
// CHECK:       scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:         vector.reduction <add>
func.func @not_only_reduced(%x: memref<256xf32>, %f0: f32, %out: memref<256xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c256 step %c16 iter_args(%f = %f0) -> (f32) {
    %v = vector.transfer_read %x[%k], %pad {in_bounds = [true]} : memref<256xf32>, vector<16xf32>
    %s = vector.reduction <add>, %v, %f : vector<16xf32> into f32
    memref.store %s, %out[%k] : memref<256xf32>
    scf.yield %s : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @odd_chunks
// CHECK:       scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:         vector.reduction <maximumf>
func.func @odd_chunks(%x: memref<288xf32>, %f0: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c96 = arith.constant 96 : index
  %c288 = arith.constant 288 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c288 step %c96 iter_args(%f = %f0) -> (f32) {
    %v = vector.transfer_read %x[%k], %pad {in_bounds = [true]} : memref<288xf32>, vector<96xf32>
    %s = vector.reduction <maximumf>, %v, %f : vector<96xf32> into f32
    scf.yield %s : f32
  }
  return %r : f32
}

// -----

// A one-element read is a scalar load where the read is, not where its
// extract is: here the buffer is freed in between (bufferization puts the
// dealloc of a reduction's 0-d accumulator right after its last read), and
// a load after the dealloc read freed memory.
// CHECK-LABEL: func.func @scalar_read_before_dealloc
// CHECK:       %[[ALLOC:.*]] = memref.alloc() : memref<1x1xf32>
// CHECK:       memref.store
// CHECK:       %[[LOADED:.*]] = memref.load %[[ALLOC]]
// CHECK-NEXT:  memref.dealloc %[[ALLOC]]
// CHECK-NOT:   memref.load
// CHECK:       vector.reduction <add>, %{{.*}}, %[[LOADED]]
func.func @scalar_read_before_dealloc(%x: vector<16xf32>, %init: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %pad = ub.poison : f32
  %alloc = memref.alloc() : memref<1x1xf32>
  memref.store %init, %alloc[%c0, %c0] : memref<1x1xf32>
  %acc = vector.transfer_read %alloc[%c0, %c0], %pad : memref<1x1xf32>, vector<f32>
  memref.dealloc %alloc : memref<1x1xf32>
  %a = vector.extract %acc[] : f32 from vector<f32>
  %s = vector.multi_reduction <add>, %x, %a [0] : vector<16xf32> to f32
  return %s : f32
}
