// RUN: tern-opt %s --split-input-file --tern-prefetch-weights | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-prefetch-weights=distance=0 | FileCheck %s --check-prefix=OFF
// RUN: not tern-opt %s --split-input-file --tern-prefetch-weights=distance=-1 2>&1 | FileCheck %s --check-prefix=BAD

// OFF-NOT: memref.prefetch
// BAD: error: tern-prefetch-weights: distance must be >= 0

memref.global "private" constant @codes : memref<2x4096xi8> = dense<1>
memref.global "private" constant @weights : memref<4096xf32> = dense<1.0>

// A kernel's innermost loop streams its codes (i8) and a float layer's
// weights (f32): each read is prefetched 2048 bytes ahead in its row, as
// the same number of elements of i8 and a quarter as many of f32. The
// activations (not constant), a constant read at a fixed index and the
// scales read in the outer loop are not.
// CHECK-LABEL: func.func @stream
// CHECK: scf.for
// CHECK-NOT: memref.prefetch
// CHECK: scf.for %[[I:[^ ]+]] =
// CHECK: %[[OFFSET:.+]] = arith.muli %[[I]]
// CHECK: %[[C2048:.+]] = arith.constant 2048 : index
// CHECK: %[[AHEAD:.+]] = arith.addi %[[OFFSET]], %[[C2048]]
// CHECK: memref.prefetch %{{.+}}[%{{.+}}, %[[AHEAD]]], read, locality<0>, data : memref<2x4096xi8>
// CHECK: vector.transfer_read %{{.+}}[%{{.+}}, %[[OFFSET]]]
// CHECK: %[[C512:.+]] = arith.constant 512 : index
// CHECK: %[[FAHEAD:.+]] = arith.addi %[[I]], %[[C512]]
// CHECK: memref.prefetch %{{.+}}[%[[FAHEAD]]], read, locality<0>, data : memref<4096xf32>
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @stream(%x: memref<4096xf32>, %scales: memref<64xf32>, %row: index) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pad8 = arith.constant 0 : i8
  %pad = arith.constant 0.0 : f32
  %codes = memref.get_global @codes : memref<2x4096xi8>
  %weights = memref.get_global @weights : memref<4096xf32>
  %table = memref.get_global @weights : memref<4096xf32>
  %zero = arith.constant dense<0.0> : vector<16xf32>
  %r = scf.for %g = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> vector<16xf32> {
    %s = vector.transfer_read %table[%g], %pad {in_bounds = [true]} : memref<4096xf32>, vector<16xf32>
    %inner = scf.for %i = %c0 to %c64 step %c16 iter_args(%a = %acc) -> vector<16xf32> {
      %off = arith.muli %i, %c4 : index
      %b = vector.transfer_read %codes[%row, %off], %pad8 {in_bounds = [true]} : memref<2x4096xi8>, vector<16xi8>
      %bf = arith.sitofp %b : vector<16xi8> to vector<16xf32>
      %w = vector.transfer_read %weights[%i], %pad {in_bounds = [true]} : memref<4096xf32>, vector<16xf32>
      %v = vector.transfer_read %x[%i], %pad {in_bounds = [true]} : memref<4096xf32>, vector<16xf32>
      %same = vector.transfer_read %weights[%row], %pad {in_bounds = [true]} : memref<4096xf32>, vector<16xf32>
      %p = arith.mulf %w, %v : vector<16xf32>
      %q = arith.mulf %p, %bf : vector<16xf32>
      %t = arith.addf %q, %same : vector<16xf32>
      %n = arith.addf %a, %t : vector<16xf32>
      scf.yield %n : vector<16xf32>
    }
    %m = arith.mulf %inner, %s : vector<16xf32>
    scf.yield %m : vector<16xf32>
  }
  return %r : vector<16xf32>
}

// -----

memref.global "private" constant @w : memref<64x1024xf32> = dense<1.0>

// A row streaming a float layer's weights (tern-tile-and-vectorize's
// schedule for M = 1): an outer loop over steps of 8 rows, an inner loop
// over the 512 columns (2048 bytes) of one block, reading 8 x 32 weights at
// a time. 2048 bytes ahead in the row would be the next block (another
// iteration of the threads' loop): the prefetches go to the same columns of
// the next step's 8 rows instead, one per cache line of each row (2 lines
// of 32 f32). A 0-d read is left alone.
// CHECK-LABEL: func.func @stream_rows
// CHECK:       scf.for %[[K:[^ ]+]] =
// CHECK:         scf.for %[[N:[^ ]+]] =
// CHECK:           %[[COL:.+]] = affine.apply #{{.*}}()[%{{.*}}, %[[N]]]
// CHECK:           %[[C8:.+]] = arith.constant 8 : index
// CHECK:           %[[NEXT:.+]] = arith.addi %[[K]], %[[C8]]
// CHECK:           memref.prefetch %{{.+}}[%[[NEXT]], %[[COL]]]
// CHECK:           %[[C16:.+]] = arith.constant 16 : index
// CHECK:           %[[COL16:.+]] = arith.addi %[[COL]], %[[C16]]
// CHECK:           memref.prefetch %{{.+}}[%[[NEXT]], %[[COL16]]]
// CHECK:           %[[C1:.+]] = arith.constant 1 : index
// CHECK:           %[[ROW1:.+]] = arith.addi %[[NEXT]], %[[C1]]
// CHECK:           memref.prefetch %{{.+}}[%[[ROW1]], %[[COL]]]
// CHECK-COUNT-13:  memref.prefetch
// CHECK-NOT:       memref.prefetch
// CHECK:           vector.transfer_read %{{.+}}[%[[K]], %[[COL]]]
// CHECK-NOT:       memref.prefetch
// CHECK:       return
func.func @stream_rows(%y: memref<1024xf32>, %block: index) -> vector<f32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  %pad = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<64x1024xf32>
  scf.for %k = %c0 to %c64 step %c8 {
    scf.for %n = %c0 to %c512 step %c32 {
      %col = affine.apply affine_map<()[s0, s1] -> (s0 + s1)>()[%block, %n]
      %t = vector.transfer_read %w[%k, %col], %pad {in_bounds = [true, true]} : memref<64x1024xf32>, vector<8x32xf32>
      %s = vector.extract %t[0] : vector<32xf32> from vector<8x32xf32>
      vector.transfer_write %s, %y[%col] {in_bounds = [true]} : vector<32xf32>, memref<1024xf32>
    }
  }
  %scalar = scf.for %i = %c0 to %c64 step %c8 iter_args(%a = %pad) -> f32 {
    %v = vector.transfer_read %w[%i, %i], %pad : memref<64x1024xf32>, vector<f32>
    %e = vector.extract %v[] : f32 from vector<f32>
    %r = arith.addf %a, %e : f32
    scf.yield %r : f32
  }
  %out = vector.broadcast %scalar : f32 to vector<f32>
  return %out : vector<f32>
}

// -----

memref.global "private" constant @narrow : memref<64x128xf32> = dense<1.0>

// The same loops over rows 512 bytes apart (a kernel's bitmaps lie so):
// reading 2048 bytes further along the row already reaches the rows that
// follow, so the prefetch stays in the row's index.
// CHECK-LABEL: func.func @close_rows
// CHECK:       scf.for %[[K:[^ ]+]] =
// CHECK:         scf.for %[[N:[^ ]+]] =
// CHECK:           %[[C512:.+]] = arith.constant 512 : index
// CHECK:           %[[AHEAD:.+]] = arith.addi %[[N]], %[[C512]]
// CHECK:           memref.prefetch %{{.+}}[%[[K]], %[[AHEAD]]]
func.func @close_rows(%y: memref<128xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %pad = arith.constant 0.0 : f32
  %w = memref.get_global @narrow : memref<64x128xf32>
  scf.for %k = %c0 to %c64 step %c8 {
    scf.for %n = %c0 to %c128 step %c32 {
      %t = vector.transfer_read %w[%k, %n], %pad {in_bounds = [true, true]} : memref<64x128xf32>, vector<8x32xf32>
      %s = vector.extract %t[0] : vector<32xf32> from vector<8x32xf32>
      vector.transfer_write %s, %y[%n] {in_bounds = [true]} : vector<32xf32>, memref<128xf32>
    }
  }
  return
}

// -----

// A decoder's key/value cache, a buffer the caller passes: attention reads
// one row of 64 floats (256 bytes) per key, a key a step of the innermost
// loop (or of a parallel loop's innermost dimension, which
// tern-parallel-outer-dims makes a loop in each thread). Each of the row's
// cache lines is prefetched 2048 bytes (8 rows) ahead, into the caches
// (locality 3): the query heads of a group read the same rows again.
// CHECK-LABEL: func.func @cache_rows
// CHECK:       scf.for %[[KEY:[^ ]+]] =
// CHECK:         %[[C8:.+]] = arith.constant 8 : index
// CHECK:         %[[AHEAD:.+]] = arith.addi %[[KEY]], %[[C8]]
// CHECK:         memref.prefetch %{{.+}}[%{{.+}}, %[[AHEAD]], %{{.+}}], read, locality<3>, data
// CHECK-COUNT-3: memref.prefetch {{.*}} locality<3>
// CHECK-NOT:     memref.prefetch
// CHECK:         vector.transfer_read
// CHECK:       scf.parallel (%{{.+}}, %[[PKEY:[^ ]+]]) =
// CHECK:         arith.addi %[[PKEY]], %{{.+}}
// CHECK-COUNT-4: memref.prefetch {{.*}} locality<3>
// CHECK:         vector.transfer_read
// OFF-LABEL:   func.func @cache_rows
// OFF-NOT:     memref.prefetch
func.func @cache_rows(%cache: memref<4x?x64xf32>, %q: vector<64xf32>, %out: memref<4x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  %keys = memref.dim %cache, %c1 : memref<4x?x64xf32>
  scf.for %key = %c0 to %keys step %c1 {
    %k = vector.transfer_read %cache[%c0, %key, %c0], %pad {in_bounds = [true]} : memref<4x?x64xf32>, vector<64xf32>
    %p = arith.mulf %k, %q : vector<64xf32>
    %s = vector.reduction <add>, %p : vector<64xf32> into f32
    memref.store %s, %out[%c0, %key] : memref<4x?xf32>
  }
  scf.parallel (%head, %key) = (%c0, %c0) to (%c4, %keys) step (%c1, %c1) {
    %k = vector.transfer_read %cache[%head, %key, %c0], %pad {in_bounds = [true]} : memref<4x?x64xf32>, vector<64xf32>
    %p = arith.mulf %k, %q : vector<64xf32>
    %s = vector.reduction <add>, %p : vector<64xf32> into f32
    memref.store %s, %out[%head, %key] : memref<4x?xf32>
    scf.reduce
  }
  return
}

// -----

// Not rows of a caller's buffer: reads along a row (the innermost index
// advances) and rows whose stride is known only when the model runs are
// left to the hardware prefetchers.
// CHECK-LABEL: func.func @not_cache_rows
// CHECK-NOT:   memref.prefetch
func.func @not_cache_rows(%along: memref<1024xf32>, %dynamic: memref<?x?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c1024 = arith.constant 1024 : index
  %pad = arith.constant 0.0 : f32
  %rows = memref.dim %dynamic, %c0 : memref<?x?xf32>
  scf.for %i = %c0 to %c1024 step %c16 {
    %v = vector.transfer_read %along[%i], %pad {in_bounds = [true]} : memref<1024xf32>, vector<16xf32>
    vector.transfer_write %v, %out[%i] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
  }
  scf.for %r = %c0 to %rows step %c1 {
    %v = vector.transfer_read %dynamic[%r, %c0], %pad {in_bounds = [true]} : memref<?x?xf32>, vector<16xf32>
    vector.transfer_write %v, %out[%r] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
  }
  return
}
