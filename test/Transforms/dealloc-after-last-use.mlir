// RUN: tern-opt %s --split-input-file --tern-dealloc-after-last-use | FileCheck %s

// Each buffer is freed right after the last op that uses it or a view of
// it (here a loop over a subview), not at the end of the function.

// CHECK-LABEL: func.func @early
// CHECK:       %[[A:.*]] = memref.alloc
// CHECK:       linalg.fill {{.*}} outs(%[[A]]
// CHECK:       scf.for
// CHECK:       }
// CHECK-NEXT:  memref.dealloc %[[A]]
// CHECK:       %[[B:.*]] = memref.alloc
// CHECK:       memref.copy %[[B]], %arg0
// CHECK-NEXT:  memref.dealloc %[[B]]
// CHECK-NEXT:  return
func.func @early(%out: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>)
  %view = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  scf.for %i = %c0 to %c4 step %c1 {
    %v = memref.load %view[%i] : memref<4xf32, strided<[1]>>
    memref.store %v, %out[%i] : memref<4xf32>
  }
  %b = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<4xf32>)
  memref.copy %b, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<4xf32>
  return
}

// -----

// A buffer that flows into an op the pass cannot follow keeps its dealloc.

// CHECK-LABEL: func.func @opaque
// CHECK:       arith.select
// CHECK:       memref.copy
// CHECK-NEXT:  memref.store
// CHECK-NEXT:  memref.dealloc
func.func @opaque(%c: i1, %other: memref<4xf32>, %out: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<4xf32>
  %s = arith.select %c, %a, %other : memref<4xf32>
  memref.copy %s, %out : memref<4xf32> to memref<4xf32>
  memref.store %zero, %other[%c0] : memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}
