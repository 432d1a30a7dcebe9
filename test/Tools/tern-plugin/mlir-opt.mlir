// tern as a plugin of Debian's mlir-opt-22 (TernPlugin.so, docs/Install.md),
// a tool that does not link tern: the dialect parses and prints, the IR
// tern-ternarize makes is tern-opt's, and both lowerings (the reference, and
// tern-cpu-pipeline's kernels) compute the numbers of the float model.
// mlir-opt makes its --PASS flags before it loads plugins, so a plugin's
// passes are named in --pass-pipeline.
// REQUIRES: uninstrumented

// RUN: mlir-opt --load-dialect-plugin=%tern_plugin --load-pass-plugin=%tern_plugin %s --pass-pipeline="builtin.module(tern-ternarize{method=ptqtp planes=2 group-size=4})" -o %t.mlir
// RUN: FileCheck %s --check-prefix=IR < %t.mlir
// RUN: tern-opt %s --tern-ternarize="method=ptqtp planes=2 group-size=4" | diff %t.mlir -
// RUN: mlir-opt --load-dialect-plugin=%tern_plugin %t.mlir | FileCheck %s --check-prefix=IR
// RUN: mlir-opt --load-dialect-plugin=%tern_plugin --load-pass-plugin=%tern_plugin %t.mlir --pass-pipeline="builtin.module(tern-reference-to-llvm)" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// RUN: mlir-opt --load-dialect-plugin=%tern_plugin --load-pass-plugin=%tern_plugin %t.mlir --pass-pipeline="builtin.module(tern-cpu-pipeline)" | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// Without the dialect plugin, mlir-opt does not know tern.
// RUN: not mlir-opt %t.mlir 2>&1 | FileCheck %s --check-prefix=NODIALECT
// The plugin's copies of MLIR's per-process TypeIDs (of traits and
// interfaces) stay visible, so the loader makes them libMLIR's; hidden, a
// g++-built plugin named ConstantLike differently from libMLIR and missed
// the zero fill above (docs/Install.md).
// RUN: llvm-nm -D -C --defined-only %tern_plugin | FileCheck %s --check-prefix=SHARED
// SHARED: {{[uVW]}} mlir::detail::TypeIDResolver<mlir::OpTrait::ConstantLike<{{.*}}>::resolveTypeID()::id

// IR-LABEL: func.func @main
// IR:         %[[W:.*]] = tern.constant #tern.packing<sign_magnitude> dense_resource<{{.*}}> : tensor<16xi8> -> tensor<2x4x8x!tern.trit>
// IR:         tern.matmul %{{.*}}, %[[W]] scales(%{{.*}} : tensor<2x4x2xf16>) group_size = 4
// IR-NOT:     linalg.matmul

// CHECK: sizes = [2, 4]
// CHECK-NEXT: {{\[\[}}4.5, 7.5, -0.5, 5],
// CHECK-NEXT: [2.875, 1.875, 1.25, 0.25]]

// NODIALECT: error: Dialect `tern' not found for custom op 'tern.constant'

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                             [-1.0, 0.5, 0.25, 2.0, -3.0, 1.0, 0.0, 4.0]]> : tensor<2x8xf32>
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5], [0.0, 0.5, 0.5, -0.5],
                             [-0.5, 0.5, 0.0, 0.0], [0.5, -0.5, 0.5, 0.5],
                             [0.0, 0.0, -0.5, 0.5], [0.5, 0.5, 0.0, -0.5],
                             [-0.5, 0.0, 0.5, 0.0], [0.5, 0.5, -0.5, 0.5]]> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("proj")
  %u = tensor.cast %y : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
