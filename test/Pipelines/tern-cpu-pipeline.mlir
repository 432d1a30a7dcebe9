// RUN: tern-opt %s --tern-cpu-pipeline="parallel-min-work=0" | FileCheck %s --check-prefix=IR
// RUN: tern-opt %s --tern-cpu-pipeline | FileCheck %s --check-prefix=SMALL
// RUN: tern-opt %s --tern-cpu-pipeline="parallel=0" | FileCheck %s --check-prefix=SERIAL
// RUN: tern-opt %s --tern-cpu-pipeline="parallel-min-work=0" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: tern-opt %s --tern-cpu-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: not tern-opt %s --tern-cpu-pipeline="parallel-min-work=-1" 2>&1 | FileCheck %s --check-prefix=BADWORK
// RUN: not tern-opt %s --tern-cpu-pipeline="ternary-row-tile-registers=-2" 2>&1 | FileCheck %s --check-prefix=BADROWS

// tern-cpu-pipeline: tern ops through their reference lowering, then the
// parallel loops of every op on OpenMP threads. Same numbers as the
// reference pipeline (test/Integration/matmul-planes-shifts-bias.mlir).

// With every loop worth forking (parallel-min-work=0), OpenMP regions; by
// default a model this small has too little work for any, and its loops
// run as plain loops on the calling thread.
// IR: omp.parallel
// IR: omp.wsloop
// SMALL-NOT: omp.
// SERIAL-NOT: omp.
// BADWORK: error: tern-parallel-work-threshold: min-work and max-versioned-ops must be >= 0 and dynamic-trips >= 1
// BADROWS: error: convert-tern-to-vector: row-tile-registers must be >= 0 (0: automatic), got -2
// CHECK: sizes = [2, 3]
// CHECK-NEXT: {{\[\[}}-6.25, 1.5, 1.25],
// CHECK-NEXT: [2.6875, -7.6875, 4.8125]]

func.func @main() {
  %x = arith.constant dense<[[1.0, -1.0, 0.0, -3.0, 0.0, -1.0, -3.0, 2.0],
                             [2.0, 1.0, 0.5, -3.0, 0.5, 1.0, 0.5, -1.0]]> : tensor<2x8xf32>
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<planes>
         : tensor<12xi8> -> tensor<2x3x8x!tern.trit>
  %a = arith.constant dense<[[[1.0, 0.5], [0.5, 1.0], [0.125, 1.0]],
                             [[0.125, 0.125], [0.125, 2.0], [1.0, 1.0]]]> : tensor<2x3x2xf16>
  %g = arith.constant dense<[[0.5, 0.5], [0.5, 0.0], [1.0, 0.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[1.0, -2.0, 0.5]> : tensor<3xf32>
  %y = tern.matmul %x, %w scales(%a : tensor<2x3x2xf16>) shifts(%g : tensor<3x2xf32>)
         bias(%b : tensor<3xf32>) group_size = 4
         : tensor<2x8xf32>, tensor<2x3x8x!tern.trit> -> tensor<2x3xf32>
  %u = tensor.cast %y : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)

{-#
  dialect_resources: {
    builtin: {
      planes: "0x0100000051D47F4D37CD1D005441DCF1"
    }
  }
#-}
