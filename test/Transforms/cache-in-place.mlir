// RUN: tern-opt %s --split-input-file --tern-cache-in-place --verify-diagnostics | FileCheck %s

// The importer's Concat(past, new, axis 2), returned as present.0.key and
// read by the rest of the model: the cache argument becomes a buffer of
// some capacity written in place at row past_length, the model reads rows
// [0, past_length + seq) of it, the past's size along axis 2 is
// past_length, and the present result is gone.

// CHECK-LABEL: func.func @main
// CHECK-SAME:  %[[IDS:[a-z0-9]+]]: tensor<?x?xi64> {onnx.name = "input_ids"}
// CHECK-SAME:  %[[CACHE:[a-z0-9]+]]: tensor<?x2x?x4xf32> {onnx.dim_params = ["batch", "", "capacity", ""], onnx.name = "cache.0.key"}
// CHECK-SAME:  %[[NEW:[a-z0-9]+]]: tensor<?x2x?x4xf32> {onnx.name = "new"}
// CHECK-SAME:  %[[LEN:[a-z0-9]+]]: tensor<i64> {onnx.name = "past_length"})
// CHECK-SAME:  -> (tensor<?x2x?x4xf32> {onnx.name = "logits"}, index {onnx.name = "past_rows"})
// CHECK:       %[[L64:.*]] = tensor.extract %[[LEN]][] : tensor<i64>
// CHECK:       %[[P:.*]] = arith.index_cast %[[L64]] : i64 to index
// CHECK:       cf.assert %{{.*}}, "past_length is negative"
// The past's size is past_length: the only size of the cache along axis 2
// read is its capacity.
// CHECK:       %[[CAP:.*]] = tensor.dim %[[CACHE]], %c2
// CHECK-NEXT:  %[[ROOM:.*]] = arith.cmpi ule, %[[TOTAL:[a-z0-9_]+]], %[[CAP]] : index
// CHECK:       cf.assert %[[ROOM]], "cache 'cache.0.key' has no room for past_length + the new rows"
// CHECK:       %[[WRITTEN:.*]] = tensor.insert_slice %[[NEW]] into %[[CACHE]][0, 0, %[[P]], 0]
// CHECK:       %[[VIEW:.*]] = tensor.extract_slice %[[WRITTEN]][0, 0, 0, 0] [%{{.*}}, 2, %[[TOTAL]], 4] [1, 1, 1, 1]
// CHECK:       %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[VIEW]] : tensor<?x2x?x4xf32>)
// CHECK:       return %[[OUT]], %[[P]] : tensor<?x2x?x4xf32>, index
func.func @main(%ids: tensor<?x?xi64> {onnx.name = "input_ids"},
                %past: tensor<?x2x?x4xf32> {onnx.dim_params = ["batch", "", "past", ""], onnx.name = "past_key_values.0.key"},
                %new: tensor<?x2x?x4xf32> {onnx.name = "new"})
    -> (tensor<?x2x?x4xf32> {onnx.name = "logits"}, tensor<?x2x?x4xf32> {onnx.name = "present.0.key"}, index {onnx.name = "past_rows"}) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %past, %c0 : tensor<?x2x?x4xf32>
  %p = tensor.dim %past, %c2 : tensor<?x2x?x4xf32>
  %s = tensor.dim %new, %c2 : tensor<?x2x?x4xf32>
  %t = arith.addi %p, %s : index
  %e = tensor.empty(%b, %t) : tensor<?x2x?x4xf32>
  %p2 = tensor.dim %past, %c2 : tensor<?x2x?x4xf32>
  %i0 = tensor.insert_slice %past into %e[0, 0, 0, 0] [%b, 2, %p2, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> into tensor<?x2x?x4xf32>
  %present = tensor.insert_slice %new into %i0[0, 0, %p, 0] [%b, 2, %s, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> into tensor<?x2x?x4xf32>
  %o = tensor.empty(%b, %t) : tensor<?x2x?x4xf32>
  %out = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%present : tensor<?x2x?x4xf32>) outs(%o : tensor<?x2x?x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %sq = arith.mulf %x, %x : f32
    linalg.yield %sq : f32
  } -> tensor<?x2x?x4xf32>
  return %out, %present, %p : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, index
}

// -----

// The past read by something else than the concatenation: the module is
// left as it is.

// CHECK-LABEL: func.func @main
// CHECK-SAME:  onnx.name = "past_key_values.0.key"
// CHECK:       return %{{.*}}, %{{.*}} :
// expected-warning @below {{tern-cache-in-place: the cache stays copied: input 'past_key_values.0.key': it is read other than by one concatenation at row 0 and for its sizes}}
func.func @main(%past: tensor<?x2x?x4xf32> {onnx.name = "past_key_values.0.key"},
                %new: tensor<?x2x?x4xf32> {onnx.name = "new"})
    -> (tensor<?x2x?x4xf32> {onnx.name = "present.0.key"}, tensor<?x2x?x4xf32> {onnx.name = "doubled"}) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %past, %c0 : tensor<?x2x?x4xf32>
  %p = tensor.dim %past, %c2 : tensor<?x2x?x4xf32>
  %s = tensor.dim %new, %c2 : tensor<?x2x?x4xf32>
  %t = arith.addi %p, %s : index
  %e = tensor.empty(%b, %t) : tensor<?x2x?x4xf32>
  %i0 = tensor.insert_slice %past into %e[0, 0, 0, 0] [%b, 2, %p, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> into tensor<?x2x?x4xf32>
  %present = tensor.insert_slice %new into %i0[0, 0, %p, 0] [%b, 2, %s, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> into tensor<?x2x?x4xf32>
  %d = arith.addf %past, %past : tensor<?x2x?x4xf32>
  return %present, %d : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// The concatenation not returned as the present of its past.

// expected-warning @below {{tern-cache-in-place: the cache stays copied: input 'past.0.value': the concatenation is not returned as 'present.0.value'}}
func.func @main(%past: tensor<?x2x?x4xf32> {onnx.name = "past.0.value"},
                %new: tensor<?x2x?x4xf32> {onnx.name = "new"})
    -> (tensor<?x2x?x4xf32> {onnx.name = "present.1.value"}) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %past, %c0 : tensor<?x2x?x4xf32>
  %p = tensor.dim %past, %c2 : tensor<?x2x?x4xf32>
  %s = tensor.dim %new, %c2 : tensor<?x2x?x4xf32>
  %t = arith.addi %p, %s : index
  %e = tensor.empty(%b, %t) : tensor<?x2x?x4xf32>
  %i0 = tensor.insert_slice %past into %e[0, 0, 0, 0] [%b, 2, %p, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> into tensor<?x2x?x4xf32>
  %present = tensor.insert_slice %new into %i0[0, 0, %p, 0] [%b, 2, %s, 4] [1, 1, 1, 1] : tensor<?x2x?x4xf32> into tensor<?x2x?x4xf32>
  return %present : tensor<?x2x?x4xf32>
}
