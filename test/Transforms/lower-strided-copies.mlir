// RUN: tern-opt %s --split-input-file --tern-lower-strided-copies | FileCheck %s

// A slice of rows copied into a contiguous buffer: a loop over the rows,
// in each a loop of 64-byte vectors and one over the remaining elements;
// no memref.copy (which would call memrefCopy).
// CHECK-LABEL: func.func @slice_to_contiguous
// CHECK-SAME:    (%[[A:.+]]: memref<?x64xf32, strided<[128, 1], offset: 64>>, %[[B:.+]]: memref<?x64xf32>)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG:     %[[ROWS:.+]] = memref.dim %[[A]], %[[C0]]
// CHECK:         scf.for %[[I:.+]] = %[[C0]] to %[[ROWS]] step %[[C1]] {
// CHECK:           %[[REST:.+]] = arith.remui %[[C64]], %[[C16:.+]] : index
// CHECK:           %[[TAIL:.+]] = arith.subi %[[C64]], %[[REST]] : index
// CHECK:           scf.for %[[J:.+]] = %[[C0]] to %[[TAIL]] step %{{.+}} {
// CHECK:             %[[V:.+]] = vector.load %[[A]][%[[I]], %[[J]]] : memref<?x64xf32, strided<[128, 1], offset: 64>>, vector<16xf32>
// CHECK:             vector.store %[[V]], %[[B]][%[[I]], %[[J]]] : memref<?x64xf32>, vector<16xf32>
// CHECK:           scf.for %[[K:.+]] = %[[TAIL]] to %[[C64]] step %[[C1]] {
// CHECK:             %[[X:.+]] = memref.load %[[A]][%[[I]], %[[K]]]
// CHECK:             memref.store %[[X]], %[[B]][%[[I]], %[[K]]]
// CHECK-NOT:     memref.copy
func.func @slice_to_contiguous(%a: memref<?x64xf32, strided<[128, 1], offset: 64>>, %b: memref<?x64xf32>) {
  memref.copy %a, %b : memref<?x64xf32, strided<[128, 1], offset: 64>> to memref<?x64xf32>
  return
}

// -----

// Element by element where vectors cannot be used: a column (stride 4
// innermost), or booleans (a vector of i1 is packed in memory, a memref of
// i1 holds a byte each); bytes go 64 at a time.
// CHECK-LABEL: func.func @scalar_rows
// CHECK-NOT:     vector.load
// CHECK:         memref.load %{{.+}} : memref<?xf32, strided<[4]>>
// CHECK-NOT:     vector.load
// CHECK:         memref.load %{{.+}} : memref<?xi1, strided<[1], offset: ?>>
// CHECK:         vector.load %{{.+}} : memref<?xi8, strided<[1], offset: ?>>, vector<64xi8>
func.func @scalar_rows(%a: memref<?xf32, strided<[4]>>, %b: memref<?xf32>, %c: memref<?xi1, strided<[1], offset: ?>>, %d: memref<?xi1>, %e: memref<?xi8, strided<[1], offset: ?>>, %f: memref<?xi8>) {
  memref.copy %a, %b : memref<?xf32, strided<[4]>> to memref<?xf32>
  memref.copy %c, %d : memref<?xi1, strided<[1], offset: ?>> to memref<?xi1>
  memref.copy %e, %f : memref<?xi8, strided<[1], offset: ?>> to memref<?xi8>
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
