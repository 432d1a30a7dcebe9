// RUN: tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=1000" | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=1000 dynamic-trips=4" | FileCheck %s --check-prefix=FOUR
// RUN: not tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=-1" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: tern-parallel-work-threshold: min-work must be >= 0 and dynamic-trips >= 1

// An elementwise loop of 4 ops an iteration forks the threads from
// ceil(1000 / 4) = 250 iterations on, counted when the model runs.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[BUF:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[SPAN:.*]] = arith.subi %[[N]], %[[C0]] : index
// CHECK: %[[TRIPS:.*]] = arith.ceildivsi %[[SPAN]], %[[C1]] : index
// CHECK: %[[C250:.*]] = arith.constant 250 : index
// CHECK: %[[BIG:.*]] = arith.cmpi sge, %[[TRIPS]], %[[C250]] : index
// CHECK: omp.parallel if(%[[BIG]])
func.func @elementwise(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %v = memref.load %buf[%i] : memref<?xf32>
        %w = arith.addf %v, %v : f32
        memref.store %w, %buf[%i] : memref<?xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A nested loop counts with its trip count: 64 iterations of the loop's
// 5 ops (with itself) and the yield are 321 ops an iteration, so 4
// iterations of the outer loop fork. A nested loop with dynamic bounds
// counts as dynamic-trips iterations: 16 x 5 + 1 = 81 ops, 13 iterations;
// 4 x 5 + 1 = 21 ops, 48 iterations.
// CHECK-LABEL: func.func @nested
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: arith.cmpi sge, %{{.*}}, %[[C4]] : index
// CHECK: omp.parallel if(
// CHECK-LABEL: func.func @dynamic_inner
// CHECK: %[[C13:.*]] = arith.constant 13 : index
// CHECK: arith.cmpi sge, %{{.*}}, %[[C13]] : index
// FOUR-LABEL: func.func @dynamic_inner
// FOUR: %[[C48:.*]] = arith.constant 48 : index
// FOUR: arith.cmpi sge, %{{.*}}, %[[C48]] : index
func.func @nested(%buf: memref<?x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        scf.for %j = %c0 to %c64 step %c1 {
          %v = memref.load %buf[%i, %j] : memref<?x64xf32>
          %w = arith.addf %v, %v : f32
          memref.store %w, %buf[%i, %j] : memref<?x64xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

func.func @dynamic_inner(%buf: memref<?x?xf32>, %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        scf.for %j = %c0 to %m step %c1 {
          %v = memref.load %buf[%i, %j] : memref<?x?xf32>
          %w = arith.addf %v, %v : f32
          memref.store %w, %buf[%i, %j] : memref<?x?xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// A region that has its if clause already, or no worksharing loop, is
// left alone.
// CHECK-LABEL: func.func @kept
// CHECK: omp.parallel if(%arg0)
// CHECK-NOT: arith.cmpi
// CHECK: omp.parallel {
func.func @kept(%c: i1) {
  omp.parallel if(%c) {
    omp.terminator
  }
  omp.parallel {
    omp.terminator
  }
  return
}
