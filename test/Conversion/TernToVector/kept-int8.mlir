// RUN: tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=generic vector-width=8" | FileCheck %s
// RUN: tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=vpdpbusd vector-width=16" | FileCheck %s --check-prefix=WIDE
// RUN: tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=generic kept-int8-dot=false" | FileCheck %s --check-prefix=KEPT
// RUN: tern-opt %s --convert-tern-to-vector="activations=int8 int8-dot=pmaddubsw vector-width=8" | FileCheck %s --check-prefix=SIGNED
// RUN: tern-opt %s --convert-tern-to-vector="activations=int8" | FileCheck %s --check-prefix=KEPT
// RUN: tern-opt %s --convert-tern-to-vector | FileCheck %s --check-prefix=KEPT

// A layer tern-ternarize kept in int8 (a linalg.matmul of f32 activations
// and constant i8 weights, K x N, whose products are scaled per output
// channel) takes the int8 dot-product kernels with int8 activations and
// vpdpbusd or generic dot products: its weights become kernel dot codes of
// bytes w + 128 (one quad of 4 a set; N = 3 padded to a block of V rows,
// K = 6 to 8), the activations are quantized once for both layers that
// read them, and each row's sums start at -128 times the sum of its
// quantized activations. With pmaddubsw (whose i16 pairs would saturate on
// such bytes) the codes are the bytes w as they are and the sums start at
// 0 (tern.dot4 signed). With kept-int8-dot=false and with f32 activations
// the float pipeline's matmul stays. A splat of weights is read as one.

// CHECK-LABEL: func.func @kept
// CHECK-NOT:     linalg.matmul
// CHECK-DAG:     arith.constant dense_resource<tern_dot_codes_int8> : tensor<1x1x64xi8>
// CHECK-DAG:     arith.constant dense_resource<tern_dot_codes_int8_1> : tensor<1x1x64xi8>
// CHECK-COUNT-1: arith.fptosi
// CHECK-NOT:     arith.fptosi
// CHECK:         %[[OFFSET:.*]] = arith.constant 128 : i32
// CHECK-NEXT:    arith.muli %{{.*}}, %[[OFFSET]] : i32
// CHECK:         tern.dot4 <generic> {{.*}} : vector<32xi8> into vector<8xi32>
// CHECK-NOT:     linalg.matmul
// CHECK:         return

// WIDE-LABEL: func.func @kept
// WIDE:         arith.constant dense_resource<tern_dot_codes_int8> : tensor<1x1x128xi8>
// WIDE:         tern.dot4 <vpdpbusd> {{.*}} : vector<64xi8> into vector<16xi32>

// SIGNED-LABEL: func.func @kept
// SIGNED-NOT:     linalg.matmul
// SIGNED-DAG:     arith.constant dense_resource<tern_dot_codes_int8> : tensor<1x1x64xi8>
// SIGNED-DAG:     arith.constant dense_resource<tern_dot_codes_int8_1> : tensor<1x1x64xi8>
// SIGNED-NOT:     arith.muli %{{.*}}, %c128_i32
// SIGNED:         tern.dot4 <pmaddubsw> signed {{.*}} : vector<32xi8> into vector<8xi32>
// SIGNED-NOT:     tern.dot4 <pmaddubsw> %
// SIGNED-NOT:     linalg.matmul
// SIGNED:         return

// KEPT-LABEL: func.func @kept
// KEPT-COUNT-2: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x6xf32>, tensor<6x3xi8>)
// KEPT-NOT:     tern_dot_codes_int8
// KEPT-NOT:     tern.dot4
// KEPT-LABEL: func.func @longest
func.func @kept(%x: tensor<?x6xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = arith.constant dense<[[1, -2, 3], [127, -128, 0], [5, 6, -7],
                             [-1, 2, -3], [0, 0, 64], [-64, 9, 10]]> : tensor<6x3xi8>
  %v = arith.constant dense<-3> : tensor<6x3xi8>
  %s = arith.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf16>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x6xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<?x6xf32>, tensor<6x3xi8>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  %q = linalg.matmul ins(%x, %v : tensor<?x6xf32>, tensor<6x3xi8>) outs(%f : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<?x3xf32>, tensor<3xf16>) outs(%e : tensor<?x3xf32>) {
  ^bb0(%a: f32, %b: f16, %out: f32):
    %bx = arith.extf %b : f16 to f32
    %r = arith.mulf %a, %bx : f32
    linalg.yield %r : f32
  } -> tensor<?x3xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%q, %s : tensor<?x3xf32>, tensor<3xf16>) outs(%e : tensor<?x3xf32>) {
  ^bb0(%a: f32, %b: f16, %out: f32):
    %bx = arith.extf %b : f16 to f32
    %r = arith.mulf %a, %bx : f32
    linalg.yield %r : f32
  } -> tensor<?x3xf32>
  return %y, %z : tensor<?x3xf32>, tensor<?x3xf32>
}

// Rows of up to 44,149 weights take the kernel; longer ones could leave
// i32 (|-128 · Σ q + Σ (w + 128) q| <= 383 · 127 · K) and stay float.
// Signed, the sums are at most 128 · 127 · K: up to 132,104.
// CHECK-LABEL: func.func @longest
// CHECK-NOT:     linalg.matmul
// CHECK:         tern.dot4
// CHECK-LABEL: func.func @too_long
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x44150xf32>, tensor<44150x1xi8>)
// CHECK-NOT:     tern.dot4
// CHECK:         return
// CHECK-LABEL: func.func @longest_signed
// CHECK:         linalg.matmul
// SIGNED-LABEL: func.func @too_long
// SIGNED-NOT:     linalg.matmul
// SIGNED:         tern.dot4 <pmaddubsw> signed
// SIGNED-LABEL: func.func @longest_signed
// SIGNED-NOT:     linalg.matmul
// SIGNED:         tern.dot4 <pmaddubsw> signed
// SIGNED-LABEL: func.func @too_long_signed
// SIGNED:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x132105xf32>, tensor<132105x1xi8>)
// SIGNED-NOT:     tern.dot4
// SIGNED:         return
func.func @longest(%x: tensor<1x44149xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<7> : tensor<44149x1xi8>
  %s = arith.constant dense<0.25> : tensor<1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1xf32>) -> tensor<1x1xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x44149xf32>, tensor<44149x1xi8>) outs(%f : tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x1xf32>, tensor<1xf32>) outs(%e : tensor<1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
func.func @too_long(%x: tensor<1x44150xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<7> : tensor<44150x1xi8>
  %s = arith.constant dense<0.25> : tensor<1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1xf32>) -> tensor<1x1xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x44150xf32>, tensor<44150x1xi8>) outs(%f : tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x1xf32>, tensor<1xf32>) outs(%e : tensor<1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
func.func @longest_signed(%x: tensor<1x132104xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<7> : tensor<132104x1xi8>
  %s = arith.constant dense<0.25> : tensor<1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1xf32>) -> tensor<1x1xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x132104xf32>, tensor<132104x1xi8>) outs(%f : tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x1xf32>, tensor<1xf32>) outs(%e : tensor<1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
func.func @too_long_signed(%x: tensor<1x132105xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense<7> : tensor<132105x1xi8>
  %s = arith.constant dense<0.25> : tensor<1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1xf32>) -> tensor<1x1xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x132105xf32>, tensor<132105x1xi8>) outs(%f : tensor<1x1xf32>) -> tensor<1x1xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x1xf32>, tensor<1xf32>) outs(%e : tensor<1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// A ternary layer of the same input (K = 32: the same padding of its
// quantized activations) shares them with a kept layer after it; a kept
// layer before it quantizes its own, since kept layers are lowered after
// the ternary ones and what the ternary layer quantized comes later in the
// block.
// CHECK-LABEL: func.func @ternary_first
// CHECK-COUNT-1: arith.fptosi
// CHECK-NOT:     arith.fptosi
// CHECK:         return
// CHECK-LABEL: func.func @kept_first
// CHECK-COUNT-2: arith.fptosi
// CHECK-NOT:     arith.fptosi
// CHECK:         return
func.func @ternary_first(%x: tensor<1x32xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
  %t = tern.constant #tern.packing<sign_magnitude> dense_resource<t>
         : tensor<24xi8> -> tensor<3x32x!tern.trit>
  %a = arith.constant dense<[[1.0], [2.0], [0.5]]> : tensor<3x1xf32>
  %q = tern.matmul %x, %t scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<1x32xf32>, tensor<3x32x!tern.trit> -> tensor<1x3xf32>
  %w = arith.constant dense<5> : tensor<32x3xi8>
  %s = arith.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x32xf32>, tensor<32x3xi8>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %r = arith.mulf %in, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x3xf32>
  return %q, %y : tensor<1x3xf32>, tensor<1x3xf32>
}
func.func @kept_first(%x: tensor<1x32xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
  %w = arith.constant dense<5> : tensor<32x3xi8>
  %s = arith.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x32xf32>, tensor<32x3xi8>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %r = arith.mulf %in, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x3xf32>
  %t = tern.constant #tern.packing<sign_magnitude> dense_resource<t>
         : tensor<24xi8> -> tensor<3x32x!tern.trit>
  %a = arith.constant dense<[[1.0], [2.0], [0.5]]> : tensor<3x1xf32>
  %q = tern.matmul %x, %t scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<1x32xf32>, tensor<3x32x!tern.trit> -> tensor<1x3xf32>
  return %q, %y : tensor<1x3xf32>, tensor<1x3xf32>
}
// Two layers of one constant (tied weights) share its codes, each with its
// own scales. A vector added to the products (a bias, not a scale) is not
// a kept layer's scaling: that matmul stays.
// CHECK-LABEL: func.func @tied
// CHECK:         arith.constant dense_resource<tern_dot_codes_int8{{.*}}> : tensor<1x1x64xi8>
// CHECK-NOT:     tern_dot_codes_int8
// CHECK-NOT:     linalg.matmul
// CHECK:         return
// CHECK-LABEL: func.func @bias
// CHECK:         linalg.matmul
// CHECK-NOT:     tern.dot4
// CHECK:         return
func.func @tied(%x: tensor<1x8xf32>, %z: tensor<1x8xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
  %w = arith.constant dense<[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12],
                             [-1, -2, -3], [-4, -5, -6], [-7, -8, -9], [-10, -11, -12]]> : tensor<8x3xi8>
  %s = arith.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf32>
  %r = arith.constant dense<[1.5, 3.0, 0.25]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x3xi8>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %q = linalg.matmul ins(%z, %w : tensor<1x8xf32>, tensor<8x3xi8>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %m = arith.mulf %in, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x3xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%q, %r : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %m = arith.mulf %b, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x3xf32>
  return %y, %u : tensor<1x3xf32>, tensor<1x3xf32>
}
func.func @bias(%x: tensor<1x8xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<3> : tensor<8x3xi8>
  %s = arith.constant dense<[0.5, 1.0, 2.0]> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x3xi8>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %m = arith.addf %in, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// Scales the pass cannot transpose at compile time (a dense_resource)
// leave the layer on the float kernel.
// CHECK-LABEL: func.func @resource_scales
// CHECK:         linalg.matmul
// CHECK-NOT:     tern.dot4
// CHECK:         return
func.func @resource_scales(%x: tensor<1x8xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<3> : tensor<8x3xi8>
  %s = arith.constant dense_resource<s> : tensor<3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3xf32>) -> tensor<1x3xf32>
  %p = linalg.matmul ins(%x, %w : tensor<1x8xf32>, tensor<8x3xi8>) outs(%f : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
       ins(%p, %s : tensor<1x3xf32>, tensor<3xf32>) outs(%e : tensor<1x3xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %m = arith.mulf %in, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// @kept's codes: rows of 4 bytes (K = 6 padded to 8: two sets), the block of
// 8 rows padded with w = 0. Row 0 is column 0 of %w, 1 127 5 -1 then 0 -64.
// CHECK-LABEL:   tern_dot_codes_int8: "0x0100000081FF857F7E0086828380797D8080808080808080808080808080808080808080804080808089808
// SIGNED-LABEL:  tern_dot_codes_int8: "0x01000000017F05FFFE8006020300F9FD000000000000000000000000000000000000000000C0000000090000400A

{-#
  dialect_resources: {
    builtin: {
      t: "0x01000000000000000000000000000000000000000000000000000000",
      s: "0x040000000000003F0000803F00000040"
    }
  }
#-}
