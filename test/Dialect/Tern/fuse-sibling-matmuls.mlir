// RUN: tern-opt %s --split-input-file --tern-fuse-sibling-matmuls | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-fuse-sibling-matmuls="max-rows=3" | FileCheck %s --check-prefix=ROWS
// RUN: not tern-opt %s --split-input-file --tern-fuse-sibling-matmuls="max-rows=-1" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: tern-fuse-sibling-matmuls: max-rows must be 0 (no limit) or positive, got -1

// q, k and v of one row: one matmul over their 2 + 1 + 1 rows, in program
// order, its columns sliced back; the separate weights are gone.
// CHECK-LABEL: func.func @qkv
// CHECK-SAME:    (%[[X:.+]]: tensor<?x8xf32>)
// CHECK-DAG:     %[[W:.+]] = tern.constant #tern.packing<sign_magnitude> dense_resource<"[[BLOB:q\+k\+v]]"> : tensor<8xi8> -> tensor<4x8x!tern.trit>
// CHECK-DAG:     %[[S:.+]] = arith.constant dense<{{\[}}[1.000000e+00], [2.000000e+00], [3.000000e+00], [4.000000e+00]]> : tensor<4x1xf16>
// CHECK:         %[[Y:.+]] = tern.matmul %[[X]], %[[W]] scales(%[[S]] : tensor<4x1xf16>) group_size = 0 : tensor<?x8xf32>, tensor<4x8x!tern.trit> -> tensor<?x4xf32>
// CHECK:         %[[M:.+]] = tensor.dim %[[Y]], %{{.+}}
// CHECK:         %[[Q:.+]] = tensor.extract_slice %[[Y]][0, 0] [%[[M]], 2] [1, 1] : tensor<?x4xf32> to tensor<?x2xf32>
// CHECK:         %[[K:.+]] = tensor.extract_slice %[[Y]][0, 2] [%[[M]], 1] [1, 1] : tensor<?x4xf32> to tensor<?x1xf32>
// CHECK:         %[[V:.+]] = tensor.extract_slice %[[Y]][0, 3] [%[[M]], 1] [1, 1] : tensor<?x4xf32> to tensor<?x1xf32>
// CHECK-NOT:     tern.matmul
// CHECK-NOT:     tern.constant
// CHECK:         return %[[Q]], %[[K]], %[[V]]
// CHECK:         "[[BLOB]]": "0x{{[0-9A-F]+}}010304050C0D0F11"

// With max-rows=3, q and k (3 rows) merge; v would make 4 and stays alone.
// ROWS-LABEL: func.func @qkv
// ROWS:         tern.matmul {{.+}} -> tensor<?x3xf32>
// ROWS:         tern.matmul {{.+}} -> tensor<?x1xf32>
// ROWS-NOT:     tern.matmul
// ROWS:         return
func.func @qkv(%x: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %wq = tern.constant #tern.packing<sign_magnitude> dense_resource<q> : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %sq = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf16>
  %q = tern.matmul %x, %wq scales(%sq : tensor<2x1xf16>) group_size = 0 : tensor<?x8xf32>, tensor<2x8x!tern.trit> -> tensor<?x2xf32>
  %wk = tern.constant #tern.packing<sign_magnitude> dense_resource<k> : tensor<2xi8> -> tensor<1x8x!tern.trit>
  %sk = arith.constant dense<[[3.0]]> : tensor<1x1xf16>
  %k = tern.matmul %x, %wk scales(%sk : tensor<1x1xf16>) group_size = 0 : tensor<?x8xf32>, tensor<1x8x!tern.trit> -> tensor<?x1xf32>
  %wv = tern.constant #tern.packing<sign_magnitude> dense_resource<v> : tensor<2xi8> -> tensor<1x8x!tern.trit>
  %sv = arith.constant dense<[[4.0]]> : tensor<1x1xf16>
  %v = tern.matmul %x, %wv scales(%sv : tensor<1x1xf16>) group_size = 0 : tensor<?x8xf32>, tensor<1x8x!tern.trit> -> tensor<?x1xf32>
  return %q, %k, %v : tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x0400000001030405",
      k: "0x040000000C0D",
      v: "0x040000000F11"
    }
  }
#-}

// -----

// Two planes, groups of 4, shifts on one and a bias on the other: codes
// and scales concatenated plane by plane, zero shifts and a zero bias for
// the op that has none. The inputs are two collapse_shape ops of one value
// (tern-ternarize builds one per layer): the same activations.
// CHECK-LABEL: func.func @planes_shifts_bias
// CHECK-DAG:     %[[W:.+]] = tern.constant #tern.packing<sign_magnitude> dense_resource<"[[BLOB:a\+b]]"> : tensor<4xi8> -> tensor<2x2x4x!tern.trit>
// CHECK-DAG:     %[[S:.+]] = arith.constant dense<{{\[}}{{\[}}[1.000000e+00], [2.000000e+00]], {{\[}}[3.000000e+00], [4.000000e+00]]]> : tensor<2x2x1xf32>
// CHECK-DAG:     %[[G:.+]] = arith.constant dense<{{\[}}[5.000000e-01], [0.000000e+00]]> : tensor<2x1xf32>
// CHECK-DAG:     %[[B:.+]] = arith.constant dense<[0.000000e+00, 7.000000e+00]> : tensor<2xf32>
// CHECK:         tern.matmul %{{.+}}, %[[W]] scales(%[[S]] : tensor<2x2x1xf32>) shifts(%[[G]] : tensor<2x1xf32>) bias(%[[B]] : tensor<2xf32>) group_size = 4 : tensor<?x4xf32>, tensor<2x2x4x!tern.trit> -> tensor<?x2xf32>
// CHECK-NOT:     tern.matmul
// CHECK:         "[[BLOB]]": "0x{{[0-9A-F]+}}11331555"
func.func @planes_shifts_bias(%x3: tensor<?x1x4xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %x = tensor.collapse_shape %x3 [[0, 1], [2]] : tensor<?x1x4xf32> into tensor<?x4xf32>
  %wa = tern.constant #tern.packing<sign_magnitude> dense_resource<a> : tensor<2xi8> -> tensor<2x1x4x!tern.trit>
  %sa = arith.constant dense<[[[1.0]], [[3.0]]]> : tensor<2x1x1xf32>
  %ga = arith.constant dense<[[0.5]]> : tensor<1x1xf32>
  %a = tern.matmul %x, %wa scales(%sa : tensor<2x1x1xf32>) shifts(%ga : tensor<1x1xf32>) group_size = 4 : tensor<?x4xf32>, tensor<2x1x4x!tern.trit> -> tensor<?x1xf32>
  %y = tensor.collapse_shape %x3 [[0, 1], [2]] : tensor<?x1x4xf32> into tensor<?x4xf32>
  %wb = tern.constant #tern.packing<sign_magnitude> dense_resource<b> : tensor<2xi8> -> tensor<2x1x4x!tern.trit>
  %sb = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %bb = arith.constant dense<[7.0]> : tensor<1xf32>
  %b = tern.matmul %y, %wb scales(%sb : tensor<2x1x1xf32>) bias(%bb : tensor<1xf32>) group_size = 4 : tensor<?x4xf32>, tensor<2x1x4x!tern.trit> -> tensor<?x1xf32>
  return %a, %b : tensor<?x1xf32>, tensor<?x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      a: "0x040000001115",
      b: "0x040000003355"
    }
  }
#-}

// -----

// Left alone: other group sizes, other packings, scales that are not
// constants, other activations, and a matmul in another block.
// CHECK-LABEL: func.func @apart
// CHECK-COUNT-6: tern.matmul
// CHECK-NOT:     tern.matmul
// CHECK-NOT:     tensor.extract_slice
func.func @apart(%x: tensor<1x8xf32>, %z: tensor<1x8xf32>, %s: tensor<1x1xf32>, %c: i1) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>) {
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w> : tensor<2xi8> -> tensor<1x8x!tern.trit>
  %o = tern.constant #tern.packing<offset_binary> dense_resource<w> : tensor<2xi8> -> tensor<1x8x!tern.trit>
  %s1 = arith.constant dense<[[1.0]]> : tensor<1x1xf32>
  %s2 = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %a = tern.matmul %x, %w scales(%s1 : tensor<1x1xf32>) group_size = 0 : tensor<1x8xf32>, tensor<1x8x!tern.trit> -> tensor<1x1xf32>
  %b = tern.matmul %x, %w scales(%s2 : tensor<1x2xf32>) group_size = 4 : tensor<1x8xf32>, tensor<1x8x!tern.trit> -> tensor<1x1xf32>
  %d = tern.matmul %x, %o scales(%s1 : tensor<1x1xf32>) group_size = 0 : tensor<1x8xf32>, tensor<1x8x!tern.trit> -> tensor<1x1xf32>
  %e = tern.matmul %x, %w scales(%s : tensor<1x1xf32>) group_size = 0 : tensor<1x8xf32>, tensor<1x8x!tern.trit> -> tensor<1x1xf32>
  %f = tern.matmul %z, %w scales(%s1 : tensor<1x1xf32>) group_size = 0 : tensor<1x8xf32>, tensor<1x8x!tern.trit> -> tensor<1x1xf32>
  %g = scf.if %c -> tensor<1x1xf32> {
    %in = tern.matmul %x, %w scales(%s1 : tensor<1x1xf32>) group_size = 0 : tensor<1x8xf32>, tensor<1x8x!tern.trit> -> tensor<1x1xf32>
    scf.yield %in : tensor<1x1xf32>
  } else {
    scf.yield %a : tensor<1x1xf32>
  }
  return %a, %b, %d, %e, %f, %g : tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000104"
    }
  }
#-}

// -----

// Parts brought back to [batch, sequence, N] by tensor.reshape (which
// needs a contiguous source: reshaping a slice would copy it) become
// slices of the merged result reshaped the same way, views of it; a
// reshape of such a reshape too. A reshape that splits the columns
// (into heads) stays on its slice.
// CHECK-LABEL: func.func @reshaped_parts
// CHECK:         %[[Y:.+]] = tern.matmul {{.+}} -> tensor<?x3xf32>
// CHECK:         %[[C3:.+]] = arith.constant 3 : index
// CHECK:         %[[SHAPE:.+]] = tensor.from_elements %[[B:[^,]+]], %[[S:[^,]+]], %[[C3]] : tensor<3xindex>
// CHECK:         %[[Y3:.+]] = tensor.reshape %[[Y]](%[[SHAPE]]) : (tensor<?x3xf32>, tensor<3xindex>) -> tensor<?x?x3xf32>
// CHECK:         %[[A:.+]] = tensor.extract_slice %[[Y3]][0, 0, 0] [%[[B]], %[[S]], 2] [1, 1, 1] : tensor<?x?x3xf32> to tensor<?x?x2xf32>
// CHECK:         %[[Y3B:.+]] = tensor.reshape %[[Y]]({{.+}}) : (tensor<?x3xf32>, tensor<3xindex>) -> tensor<?x?x3xf32>
// CHECK:         %[[G:.+]] = tensor.extract_slice %[[Y3B]][0, 0, 2] [%[[B]], %[[S]], 1] [1, 1, 1] : tensor<?x?x3xf32> to tensor<?x?x1xf32>
// CHECK:         %[[Y3C:.+]] = tensor.reshape %[[Y3B]]({{.+}}) : (tensor<?x?x3xf32>, tensor<3xindex>) -> tensor<?x?x3xf32>
// CHECK:         %[[GG:.+]] = tensor.extract_slice %[[Y3C]][0, 0, 2] [%[[B]], %[[S]], 1] [1, 1, 1]
// CHECK:         %[[HEADS:.+]] = tensor.reshape %[[A]]({{.+}}) : (tensor<?x?x2xf32>, tensor<4xindex>) -> tensor<?x?x2x1xf32>
// CHECK:         return %[[A]], %[[GG]], %[[HEADS]]
func.func @reshaped_parts(%x3: tensor<?x?x4xf32>) -> (tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x?x2x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %x3, %c0 : tensor<?x?x4xf32>
  %s = tensor.dim %x3, %c1 : tensor<?x?x4xf32>
  %x = tensor.collapse_shape %x3 [[0, 1], [2]] : tensor<?x?x4xf32> into tensor<?x4xf32>
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w2> : tensor<2xi8> -> tensor<2x4x!tern.trit>
  %sw = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %a = tern.matmul %x, %w scales(%sw : tensor<2x1xf32>) group_size = 0 : tensor<?x4xf32>, tensor<2x4x!tern.trit> -> tensor<?x2xf32>
  %v = tern.constant #tern.packing<sign_magnitude> dense_resource<w1> : tensor<1xi8> -> tensor<1x4x!tern.trit>
  %sv = arith.constant dense<[[3.0]]> : tensor<1x1xf32>
  %g = tern.matmul %x, %v scales(%sv : tensor<1x1xf32>) group_size = 0 : tensor<?x4xf32>, tensor<1x4x!tern.trit> -> tensor<?x1xf32>
  %shape_a = tensor.from_elements %b, %s, %c2 : tensor<3xindex>
  %a3 = tensor.reshape %a(%shape_a) : (tensor<?x2xf32>, tensor<3xindex>) -> tensor<?x?x2xf32>
  %shape_g = tensor.from_elements %b, %s, %c1 : tensor<3xindex>
  %g3 = tensor.reshape %g(%shape_g) : (tensor<?x1xf32>, tensor<3xindex>) -> tensor<?x?x1xf32>
  %g3b = tensor.reshape %g3(%shape_g) : (tensor<?x?x1xf32>, tensor<3xindex>) -> tensor<?x?x1xf32>
  %shape_h = tensor.from_elements %b, %s, %c2, %c1 : tensor<4xindex>
  %heads = tensor.reshape %a3(%shape_h) : (tensor<?x?x2xf32>, tensor<4xindex>) -> tensor<?x?x2x1xf32>
  return %a3, %g3b, %heads : tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x?x2x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w2: "0x040000000103",
      w1: "0x0400000004"
    }
  }
#-}
