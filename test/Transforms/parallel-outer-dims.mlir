// RUN: tern-opt %s --split-input-file --tern-parallel-outer-dims | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-parallel-outer-dims="min-iterations=4" | FileCheck %s --check-prefix=FOUR
// RUN: not tern-opt %s --split-input-file --tern-parallel-outer-dims="min-iterations=0" 2>&1 | FileCheck %s --check-prefix=BAD

// Attention scores: batch (dynamic), 4 key heads, 8 query heads each, then
// queries and keys (dynamic). The first three dimensions have 32 static
// iterations: they stay parallel, the queries and keys become loops.

// CHECK-LABEL: func.func @scores
// CHECK-SAME:  (%[[OUT:.*]]: memref<?x4x8x?x?xf32>, %[[N:.*]]: index, %[[Q:.*]]: index, %[[K:.*]]: index)
// CHECK:       scf.parallel (%[[B:.*]], %[[H:.*]], %[[G:.*]]) = (%c0, %c0, %c0) to (%[[N]], %c4, %c8) step (%c1, %c1, %c1) {
// CHECK-NEXT:    scf.for %[[I:.*]] = %c0 to %[[Q]] step %c1 {
// CHECK-NEXT:      scf.for %[[J:.*]] = %c0 to %[[K]] step %c1 {
// CHECK-NEXT:        memref.store %{{.*}}, %[[OUT]][%[[B]], %[[H]], %[[G]], %[[I]], %[[J]]]
// CHECK-NEXT:      }
// CHECK-NEXT:    }
// CHECK-NEXT:    scf.reduce
// CHECK-NOT:   scf.parallel

// FOUR-LABEL: func.func @scores
// FOUR:       scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%{{.*}}, %c4) step (%c1, %c1) {
// FOUR-NEXT:    scf.for
// FOUR-NEXT:      scf.for
// FOUR-NEXT:        scf.for

// BAD: tern-parallel-outer-dims: min-iterations must be at least 1, got 0
func.func @scores(%out: memref<?x4x8x?x?xf32>, %n: index, %q: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%b, %h, %g, %i, %j) = (%c0, %c0, %c0, %c0, %c0) to (%n, %c4, %c8, %q, %k) step (%c1, %c1, %c1, %c1, %c1) {
    memref.store %zero, %out[%b, %h, %g, %i, %j] : memref<?x4x8x?x?xf32>
    scf.reduce
  }
  return
}

// -----

// Fewer than 32 static iterations in every prefix (one block of rows, then
// dynamic rows): left as it is, so that every thread gets rows.

// CHECK-LABEL: func.func @few_blocks
// CHECK:       scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c2, %{{.*}}) step (%c1, %c1) {
// CHECK-NOT:   scf.for
func.func @few_blocks(%out: memref<2x?xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%n, %r) = (%c0, %c0) to (%c2, %m) step (%c1, %c1) {
    memref.store %zero, %out[%n, %r] : memref<2x?xf32>
    scf.reduce
  }
  return
}

// -----

// Steps count: 64 rows in blocks of 2 are 32 iterations. Reductions are
// left alone.

// CHECK-LABEL: func.func @steps
// CHECK:       scf.parallel (%{{.*}}) = (%c0) to (%c64) step (%c2) {
// CHECK-NEXT:    scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CHECK:       scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c64, %{{.*}}) step (%c2, %c1) init
func.func @steps(%out: memref<64x?xf32>, %m: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%n, %r) = (%c0, %c0) to (%c64, %m) step (%c2, %c1) {
    memref.store %zero, %out[%n, %r] : memref<64x?xf32>
    scf.reduce
  }
  %sum = scf.parallel (%n, %r) = (%c0, %c0) to (%c64, %m) step (%c2, %c1) init (%zero) -> f32 {
    %v = memref.load %out[%n, %r] : memref<64x?xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
