// RUN: tern-opt %s --split-input-file --tern-wsloop-nowait | FileCheck %s

// A worksharing loop that ends its region: the region's join is the only
// barrier.

// CHECK-LABEL: func.func @last
// CHECK:       omp.parallel {
// CHECK-NEXT:    omp.wsloop nowait {
// CHECK:         omp.terminator
func.func @last(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %one, %buf[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Two loops in one region: the second reads what the first wrote, so the
// first keeps its barrier; the second ends the region.

// CHECK-LABEL: func.func @two_loops
// CHECK:       omp.parallel {
// CHECK-NEXT:    omp.wsloop {
// CHECK:         omp.wsloop nowait {
// CHECK:         omp.terminator
func.func @two_loops(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %one, %a[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %j = arith.subi %n, %i : index
        %k = arith.subi %j, %c1 : index
        %x = memref.load %a[%k] : memref<?xf32>
        memref.store %x, %b[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A loop followed by other work of the region keeps its barrier, and so
// does one nested in another op of the region.

// CHECK-LABEL: func.func @not_last
// CHECK:       omp.parallel {
// CHECK-NEXT:    omp.wsloop {
// CHECK:         memref.load
// CHECK:         scf.if
// CHECK-NEXT:      omp.wsloop {
// CHECK-NOT:     nowait
func.func @not_last(%a: memref<?xf32>, %b: memref<1xf32>, %n: index, %flag: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %one, %a[%i] : memref<?xf32>
        omp.yield
      }
    }
    %x = memref.load %a[%c0] : memref<?xf32>
    memref.store %x, %b[%c0] : memref<1xf32>
    scf.if %flag {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
          memref.store %one, %a[%i] : memref<?xf32>
          omp.yield
        }
      }
    }
    omp.terminator
  }
  return
}
