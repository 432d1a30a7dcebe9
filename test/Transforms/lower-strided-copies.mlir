// RUN: tern-opt %s --split-input-file --tern-lower-strided-copies | FileCheck %s

// A slice of rows copied into a contiguous buffer: a loop per dimension,
// loads and stores, no memref.copy (which would call memrefCopy).
// CHECK-LABEL: func.func @slice_to_contiguous
// CHECK-SAME:    (%[[A:.+]]: memref<?x64xf32, strided<[128, 1], offset: 64>>, %[[B:.+]]: memref<?x64xf32>)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG:     %[[ROWS:.+]] = memref.dim %[[A]], %[[C0]]
// CHECK:         scf.for %[[I:.+]] = %[[C0]] to %[[ROWS]] step %[[C1]] {
// CHECK:           scf.for %[[J:.+]] = %[[C0]] to %[[C64]] step %[[C1]] {
// CHECK:             %[[X:.+]] = memref.load %[[A]][%[[I]], %[[J]]]
// CHECK:             memref.store %[[X]], %[[B]][%[[I]], %[[J]]]
// CHECK-NOT:     memref.copy
func.func @slice_to_contiguous(%a: memref<?x64xf32, strided<[128, 1], offset: 64>>, %b: memref<?x64xf32>) {
  memref.copy %a, %b : memref<?x64xf32, strided<[128, 1], offset: 64>> to memref<?x64xf32>
  return
}

// -----

// Copies that finalize-memref-to-llvm turns into memcpy stay (identity
// layouts, static contiguous views with an offset, rank 0), and so do
// unranked ones.
// CHECK-LABEL: func.func @memcpy_copies
// CHECK-COUNT-4: memref.copy
// CHECK-NOT:     scf.for
func.func @memcpy_copies(%a: memref<?x8xf32>, %b: memref<?x8xf32>, %c: memref<4x8xf32, strided<[8, 1], offset: 16>>, %d: memref<4x8xf32>, %u: memref<*xf32>, %v: memref<*xf32>, %s: memref<f32, strided<[], offset: ?>>, %t: memref<f32>) {
  memref.copy %a, %b : memref<?x8xf32> to memref<?x8xf32>
  memref.copy %s, %t : memref<f32, strided<[], offset: ?>> to memref<f32>
  memref.copy %c, %d : memref<4x8xf32, strided<[8, 1], offset: 16>> to memref<4x8xf32>
  memref.copy %u, %v : memref<*xf32> to memref<*xf32>
  return
}

// -----

// A dynamic 1-D view with an offset (a row of a buffer) is not known to be
// contiguous with an identity layout: one loop.
// CHECK-LABEL: func.func @row
// CHECK:         scf.for
// CHECK:           memref.load %{{.+}} : memref<?xf32, strided<[1], offset: ?>>
// CHECK:           memref.store %{{.+}} : memref<?xf32>
// CHECK-NOT:     memref.copy
func.func @row(%a: memref<?xf32, strided<[1], offset: ?>>, %b: memref<?xf32>) {
  memref.copy %a, %b : memref<?xf32, strided<[1], offset: ?>> to memref<?xf32>
  return
}
