// RUN: tern-opt %s --tern-cpu-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=bt" --tern-cpu-pipeline | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%libomp | FileCheck %s
// RUN: tern-opt %s --tern-ternarize="method=bt" | FileCheck %s --check-prefix=IR

// A 1x1 convolution (batch 2) whose weights are exactly 0.5 * {-1, 0, +1},
// accumulating into 0.25 everywhere (a bias): ternarized, it is a
// tern.matmul over the channels of every pixel plus the accumulator, and
// computes the float numbers (numpy: einsum('fc,bchw->bfhw') + 0.25).

// IR: linalg.transpose ins(%{{.*}} : tensor<2x4x1x3xf32>) {{.*}} permutation = [0, 2, 3, 1]
// IR: tensor.collapse_shape {{.*}} {{\[}}[0, 1, 2], [3]] : tensor<2x1x3x4xf32> into tensor<6x4xf32>
// IR: tern.matmul {{.*}} : tensor<6x4xf32>, tensor<3x4x!tern.trit> -> tensor<6x3xf32>
// IR: tensor.expand_shape {{.*}} : tensor<6x3xf32> into tensor<2x1x3x3xf32>
// IR: linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// IR: linalg.add
// IR-NOT: linalg.conv_2d_nchw_fchw

// CHECK: sizes = [2, 3, 1, 3]
// CHECK-NEXT: {{\[\[\[\[}}-0.375, -0.25, -0.125]],
// CHECK-NEXT: {{\[\[}}-0.75, -0.625, -0.5]],
// CHECK-NEXT: {{\[\[}}0.75, 0.875, 1]]],
// CHECK-NEXT: {{\[\[\[}}1.125, 1.25, 1.375]],
// CHECK-NEXT: {{\[\[}}0.75, 0.875, 1]],
// CHECK-NEXT: {{\[\[}}2.25, 2.375, 2.5]]]]

func.func @main() {
  %x = arith.constant dense<[[[[-2.0, -1.75, -1.5]], [[-1.25, -1.0, -0.75]],
                              [[-0.5, -0.25, 0.0]], [[0.25, 0.5, 0.75]]],
                             [[[1.0, 1.25, 1.5]], [[1.75, 2.0, 2.25]],
                              [[2.5, 2.75, 3.0]], [[3.25, 3.5, 3.75]]]]> : tensor<2x4x1x3xf32>
  %w = arith.constant dense<[[[[0.5]], [[0.0]], [[-0.5]], [[0.5]]],
                             [[[0.0]], [[0.5]], [[0.5]], [[-0.5]]],
                             [[[-0.5]], [[0.5]], [[0.0]], [[0.5]]]]> : tensor<3x4x1x1xf32>
  %z = arith.constant dense<0.25> : tensor<2x3x1x3xf32>
  %y = linalg.conv_2d_nchw_fchw
         {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<2x4x1x3xf32>, tensor<3x4x1x1xf32>)
         outs(%z : tensor<2x3x1x3xf32>) -> tensor<2x3x1x3xf32>
  %u = tensor.cast %y : tensor<2x3x1x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)
