// RUN: tern-opt %s --split-input-file --tern-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An RMSNorm's squares are computed in the loop that sums them, and the
// scale by the gain in the loop that divides: two loop nests, not four.
// CHECK-LABEL: func.func @rms_norm
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK-NEXT: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @rms_norm(%x: tensor<?x64xf32>, %gain: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%n) : tensor<?x64xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<?x64xf32>
  %re = tensor.empty(%n) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%re : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%sq : tensor<?x64xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  %e2 = tensor.empty(%n) : tensor<?x64xf32>
  %div = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<?x64xf32>, tensor<?xf32>) outs(%e2 : tensor<?x64xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %d = arith.divf %a, %s : f32
    linalg.yield %d : f32
  } -> tensor<?x64xf32>
  %e3 = tensor.empty(%n) : tensor<?x64xf32>
  %out = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%div, %gain : tensor<?x64xf32>, tensor<?x64xf32>) outs(%e3 : tensor<?x64xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<?x64xf32>
  return %out : tensor<?x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A producer with another user stays: fusing it would compute it twice.
// CHECK-LABEL: func.func @shared
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK: arith.negf
func.func @shared(%x: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %e = tensor.empty() : tensor<8x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<8x64xf32>
  %e2 = tensor.empty() : tensor<8x64xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp : tensor<8x64xf32>) outs(%e2 : tensor<8x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.negf %a : f32
    linalg.yield %r : f32
  } -> tensor<8x64xf32>
  return %exp, %neg : tensor<8x64xf32>, tensor<8x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#one = affine_map<(d0) -> (d0)>

// A computing producer read once per consumer iteration along a loop it
// does not have (a broadcast) stays: its exp would run 64 times per
// element. A producer that only moves data is fused even so.
// CHECK-LABEL: func.func @broadcast_read
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %arg1 :
// CHECK-NOT: linalg.generic
func.func @broadcast_read(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %exp = linalg.generic {indexing_maps = [#one, #one], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %eb = tensor.empty() : tensor<8x64xf32>
  %bcast = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<8xf32>) outs(%eb : tensor<8x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x64xf32>
  %e2 = tensor.empty() : tensor<8x64xf32>
  %out = linalg.generic {indexing_maps = [#row, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %bcast : tensor<8xf32>, tensor<8x64xf32>) outs(%e2 : tensor<8x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8x64xf32>
  return %out : tensor<8x64xf32>
}

// -----

#bcast_in = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, 0, d3, d4)>
#bcast_out = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

// Grouped-query attention as exporters write it: the cache's 2 key heads
// repeated for the 4 query heads (Unsqueeze, Expand, Reshape), transposed,
// and multiplied with the queries. The broadcast, the reshapes and the
// transpose fold into one contraction that reads the cache where it is:
// loops (batch, key head, group, query, key, depth), the cache indexed by
// its key head alone. The repeated values are read in place the same way.
// CHECK-LABEL: func.func @grouped_query_attention
// CHECK-SAME: (%[[Q:.+]]: tensor<?x4x?x8xf32>, %[[K:.+]]: tensor<?x2x?x8xf32>, %[[P:.+]]: tensor<?x4x?x?xf32>)
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.batch_matmul
// CHECK: %[[KE:.+]] = tensor.expand_shape %[[K]] {{\[\[0\], \[1, 2\], \[3\], \[4\]\]}}
// CHECK: %[[QE:.+]] = tensor.expand_shape %[[Q]] {{\[\[0\], \[1, 2\], \[3\], \[4\]\]}}
// CHECK: linalg.generic {indexing_maps = [#[[QMAP:.+]], #[[KMAP:.+]], #[[SMAP:.+]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[QE]], %[[KE]] : tensor<?x2x2x?x8xf32>, tensor<?x2x1x?x8xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: tensor<?x2x1x?x8xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @grouped_query_attention(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %p: tensor<?x4x?x?xf32>) -> (tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %l = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x8xf32>
  %k1 = tensor.expand_shape %k [[0], [1, 2], [3], [4]] output_shape [%b, 2, 1, %l, 8] : tensor<?x2x?x8xf32> into tensor<?x2x1x?x8xf32>
  %e = tensor.empty(%b, %l) : tensor<?x2x2x?x8xf32>
  %rep = linalg.generic {indexing_maps = [#bcast_in, #bcast_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%k1 : tensor<?x2x1x?x8xf32>) outs(%e : tensor<?x2x2x?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x2x2x?x8xf32>
  %keys = tensor.collapse_shape %rep [[0], [1, 2], [3], [4]] : tensor<?x2x2x?x8xf32> into tensor<?x4x?x8xf32>
  %te = tensor.empty(%b, %l) : tensor<?x4x8x?xf32>
  %kt = linalg.transpose ins(%keys : tensor<?x4x?x8xf32>) outs(%te : tensor<?x4x8x?xf32>) permutation = [0, 1, 3, 2]
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<?x4x?x8xf32> into tensor<?x?x8xf32>
  %k3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<?x4x8x?xf32> into tensor<?x8x?xf32>
  %bh = tensor.dim %q3, %c0 : tensor<?x?x8xf32>
  %se = tensor.empty(%bh, %s, %l) : tensor<?x?x?xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%se : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %scores = linalg.batch_matmul ins(%q3, %k3 : tensor<?x?x8xf32>, tensor<?x8x?xf32>) outs(%sf : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %scores4 = tensor.expand_shape %scores [[0, 1], [2], [3]] output_shape [%b, 4, %s, %l] : tensor<?x?x?xf32> into tensor<?x4x?x?xf32>
  // The values: the same repeated cache, multiplied by probabilities.
  %ve = tensor.empty(%b, %l) : tensor<?x2x2x?x8xf32>
  %vrep = linalg.generic {indexing_maps = [#bcast_in, #bcast_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%k1 : tensor<?x2x1x?x8xf32>) outs(%ve : tensor<?x2x2x?x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<?x2x2x?x8xf32>
  %v3 = tensor.collapse_shape %vrep [[0, 1, 2], [3], [4]] : tensor<?x2x2x?x8xf32> into tensor<?x?x8xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<?x4x?x?xf32> into tensor<?x?x?xf32>
  %oe = tensor.empty(%bh, %s) : tensor<?x?x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%oe : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %out = linalg.batch_matmul ins(%p3, %v3 : tensor<?x?x?xf32>, tensor<?x?x8xf32>) outs(%of : tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %out4 = tensor.expand_shape %out [[0, 1], [2], [3]] output_shape [%b, 4, %s, 8] : tensor<?x?x8xf32> into tensor<?x4x?x8xf32>
  return %scores4, %out4 : tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32>
}

// -----

// A transpose that no contraction reads stays a transpose.
// CHECK-LABEL: func.func @plain_transpose
// CHECK: linalg.transpose
func.func @plain_transpose(%x: tensor<?x8xf32>) -> tensor<8x?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<8x?xf32>
  %t = linalg.transpose ins(%x : tensor<?x8xf32>) outs(%e : tensor<8x?xf32>) permutation = [1, 0]
  return %t : tensor<8x?xf32>
}
