// RUN: tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=1000" | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=1000 dynamic-trips=4" | FileCheck %s --check-prefix=FOUR
// RUN: tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=1000" --convert-scf-to-openmp --tern-parallel-work-threshold="min-work=1000" | FileCheck %s --check-prefix=OMP
// RUN: tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=1000 max-versioned-ops=3" | FileCheck %s --check-prefix=LARGE
// RUN: not tern-opt %s --split-input-file --tern-parallel-work-threshold="min-work=-1" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not tern-opt %s --split-input-file --tern-parallel-work-threshold="max-versioned-ops=-1" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: tern-parallel-work-threshold: min-work and max-versioned-ops must be >= 0 and dynamic-trips >= 1

// An elementwise loop of 4 ops an iteration forks the threads from
// ceil(1000 / 4) = 250 iterations on, counted when the model runs.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[BUF:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[C250:.*]] = arith.constant 250 : index
// CHECK: %[[BIG:.*]] = arith.cmpi sge, %[[N]], %[[C250]] : index
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
// iterations of the outer loop fork. A nested loop whose bounds depend on
// the iteration counts as dynamic-trips iterations: 16 x 5 + 1 = 81 ops
// (with the bound's op: 82), 13 iterations; 4 x 5 + 2 = 22 ops, 46
// iterations.
// CHECK-LABEL: func.func @nested
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: arith.cmpi sge, %{{.*}}, %[[C4]] : index
// CHECK: omp.parallel if(
// CHECK-LABEL: func.func @dynamic_inner
// CHECK: %[[C13:.*]] = arith.constant 13 : index
// CHECK: arith.cmpi sge, %{{.*}}, %[[C13]] : index
// FOUR-LABEL: func.func @dynamic_inner
// FOUR: %[[C46:.*]] = arith.constant 46 : index
// FOUR: arith.cmpi sge, %{{.*}}, %[[C46]] : index
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
        %upper = arith.addi %i, %m : index
        scf.for %j = %c0 to %upper step %c1 {
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

// A nested loop whose bounds are defined outside the region (a decoder's
// loop over its keys) counts with its trip count when the model runs:
// (1 + max(m, 0) x 5) ops an iteration, times the iterations,
// against min-work; no estimate's op is left unused.
// CHECK-LABEL: func.func @runtime_inner
// CHECK-SAME: (%[[BUF:.*]]: memref<?x?xf32>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK: %[[INNER:.*]] = arith.maxsi %[[M]]
// CHECK: %[[WORK:.*]] = arith.muli %[[INNER]]
// CHECK: %[[TRIPS:.*]] = arith.minsi %[[N]]
// CHECK: %[[TOTAL:.*]] = arith.muli %[[TRIPS]], {{.*}} : index
// CHECK: %[[C1000:.*]] = arith.constant 1000 : index
// CHECK: %[[BIG:.*]] = arith.cmpi sge, %[[TOTAL]], %[[C1000]] : index
// CHECK-NEXT: omp.parallel if(%[[BIG]])
// FOUR-LABEL: func.func @runtime_inner
// FOUR-NOT: arith.constant 4 : index
// FOUR: omp.parallel if(
func.func @runtime_inner(%buf: memref<?x?xf32>, %n: index, %m: index) {
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

// A nested loop whose bound the region computes from values outside it by
// pure ops (the number of 32-wide tiles of %m, as tiling writes it) counts
// with that bound when the model runs: the bound is computed again before
// the region. A division that could trap (by %d, which may be 0) is not
// moved out of the loop: that loop counts as dynamic-trips iterations.
// CHECK-LABEL: func.func @computed_inner
// CHECK-SAME: (%[[BUF:.*]]: memref<?x?xf32>, %[[N:.*]]: index, %[[M:.*]]: index, %[[D:.*]]: index)
// CHECK: %[[TILES:.*]] = arith.ceildivsi %[[M]], %{{.*}} : index
// CHECK: arith.maxsi %[[TILES]]
// CHECK-NOT: arith.ceildivsi %[[M]], %[[D]]
// CHECK: omp.parallel if(
func.func @computed_inner(%buf: memref<?x?xf32>, %n: index, %m: index, %d: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %tiles = arith.ceildivsi %m, %c32 : index
        scf.for %j = %c0 to %tiles step %c1 {
          %v = memref.load %buf[%i, %j] : memref<?x?xf32>
          %w = arith.addf %v, %v : f32
          memref.store %w, %buf[%i, %j] : memref<?x?xf32>
        }
        %parts = arith.ceildivsi %m, %d : index
        scf.for %j = %c0 to %parts step %c1 {
          %v = memref.load %buf[%i, %j] : memref<?x?xf32>
          memref.store %v, %buf[%i, %j] : memref<?x?xf32>
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

// -----

// Before OpenMP, on scf.parallel. Work known at compile time: 64
// iterations of 4 ops are below min-work, and the loop runs sequentially,
// outside the OpenMP runtime; 512 iterations are enough and the loop stays
// parallel.
// CHECK-LABEL: func.func @static_small
// CHECK-NOT: scf.parallel
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step
// CHECK-NOT: scf.parallel
// CHECK: return
// CHECK-LABEL: func.func @static_large
// CHECK-NOT: arith.cmpi
// CHECK-NOT: scf.if
// CHECK: scf.parallel
// OMP-LABEL: func.func @static_small
// OMP-NOT: omp.parallel
// OMP: return
// OMP-LABEL: func.func @static_large
// OMP: omp.parallel {
func.func @static_small(%buf: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %v = memref.load %buf[%i] : memref<64xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %buf[%i] : memref<64xf32>
  }
  return
}

func.func @static_large(%buf: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i) = (%c0) to (%c512) step (%c1) {
    %v = memref.load %buf[%i] : memref<512xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %buf[%i] : memref<512xf32>
  }
  return
}

// -----

// Work known when the model runs, in a small loop: the loop is versioned,
// parallel when %n >= 250, sequential otherwise; after OpenMP, the
// parallel version's region needs no if clause. A loop of more than
// max-versioned-ops ops is not duplicated: it stays one parallel loop,
// whose OpenMP region gets the if clause.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[BUF:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: %[[C250:.*]] = arith.constant 250 : index
// CHECK: %[[BIG:.*]] = arith.cmpi sge, %[[N]], %[[C250]] : index
// CHECK: scf.if %[[BIG]] {
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[N]])
// CHECK: } else {
// CHECK-NEXT: scf.for %{{.*}} = %{{.*}} to %[[N]]
// CHECK: } {tern.enough_work}
// OMP-LABEL: func.func @dynamic(
// OMP: scf.if
// OMP-NOT: } else {
// OMP: omp.parallel {
// OMP: } else {
// OMP-NEXT: scf.for
// OMP: } {tern.enough_work}
// LARGE-LABEL: func.func @dynamic(
// LARGE-NOT: scf.if
// LARGE-NOT: arith.cmpi
// LARGE: scf.parallel
func.func @dynamic(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %buf[%i] : memref<?xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %buf[%i] : memref<?xf32>
  }
  return
}

// -----

// A nested parallel loop, or one with reductions, is left to OpenMP's if
// clause.
// CHECK-LABEL: func.func @nested_parallel
// CHECK-NOT: scf.if
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK-LABEL: func.func @reduction
// CHECK-NOT: scf.if
// CHECK: scf.parallel
func.func @nested_parallel(%buf: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c4) step (%c1) {
      %v = memref.load %buf[%i, %j] : memref<4x4xf32>
      memref.store %v, %buf[%j, %i] : memref<4x4xf32>
    }
  }
  return
}

func.func @reduction(%buf: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %buf[%i] : memref<?xf32>
    scf.reduce (%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
