// A ternarize pass that rewrites nothing says so, and why: the module's
// matmuls and convolutions each with the reason it is no layer, or the
// include=/exclude= that leave none. A warning: the module is unchanged.
// RUN: tern-opt %s --split-input-file --tern-ternarize 2>&1 | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-ternarize="include=nomatch" 2>&1 | FileCheck %s --check-prefix=INCLUDE

// CHECK: warning: tern-ternarize: no layer is ternarized: none of its 4 matmuls and convolutions qualifies (constant f32, f16 or bf16 weights and activations; convolutions 1x1 with stride 1 unless convolutions=ungrouped or all): 'int': its weights are i8, not f32, f16 or bf16; 'input': its weights are not a constant (an input of the model, or computed); 'strided': a 1x1 convolution with strides 2x2 (convolutions=ungrouped or all ternarizes it); 'wide': a 3x3 convolution with strides 1x1 (convolutions=ungrouped or all ternarizes it)
// CHECK-LABEL: func.func @none
// CHECK-NOT: tern.matmul
// INCLUDE: warning: tern-ternarize: no layer is ternarized: none of its 4 matmuls
func.func @none(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>, %img: tensor<1x8x6x6xf32>)
    -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<1x4x3x3xf32>, tensor<1x4x4x4xf32>) {
  %h = arith.constant dense<1> : tensor<8x4xi8>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %a = linalg.matmul ins(%x, %h : tensor<2x8xf32>, tensor<8x4xi8>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("int")
  %b = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("input")
  %f = arith.constant dense<0.25> : tensor<4x8x1x1xf32>
  %ce = tensor.empty() : tensor<1x4x3x3xf32>
  %cz = linalg.fill ins(%zero : f32) outs(%ce : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%img, %f : tensor<1x8x6x6xf32>, tensor<4x8x1x1xf32>)
         outs(%cz : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> loc("strided")
  %f3 = arith.constant dense<0.25> : tensor<4x8x3x3xf32>
  %de = tensor.empty() : tensor<1x4x4x4xf32>
  %dz = linalg.fill ins(%zero : f32) outs(%de : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %d = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%img, %f3 : tensor<1x8x6x6xf32>, tensor<4x8x3x3xf32>)
         outs(%dz : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("wide")
  return %a, %b, %c, %d : tensor<2x4xf32>, tensor<2x4xf32>, tensor<1x4x3x3xf32>, tensor<1x4x4x4xf32>
}

// -----

// CHECK-LABEL: func.func @excluded
// INCLUDE: warning: tern-ternarize: no layer is ternarized: include='nomatch' and exclude='' leave none of the 1 layers
func.func @excluded(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x8xf32>, tensor<8x4xf32>)
                     outs(%z : tensor<2x4xf32>) -> tensor<2x4xf32> loc("proj")
  return %y : tensor<2x4xf32>
}
