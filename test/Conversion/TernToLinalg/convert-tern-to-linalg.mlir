// RUN: tern-opt %s --convert-tern-to-linalg --split-input-file | FileCheck %s

// The reference lowering: codes become i8 sign/magnitude tensors, dequantize
// is a reduction over planes on top of the broadcast shifts, and matmul is
// dequantize followed by one float contraction.

// CHECK-DAG: #[[GROUP:.+]] = affine_map<(d0, d1) -> (d0, d1 floordiv 8)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[CODES:.+]] = affine_map<(d0, d1, d2) -> (d2, d0, d1)>
// CHECK-DAG: #[[PSCALE:.+]] = affine_map<(d0, d1, d2) -> (d2, d0, d1 floordiv 8)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[X_ARG:.+]]: tensor<?x16xf32>, %[[CODES_ARG:.+]]: tensor<2x4x16xi8>, %[[A:.+]]: tensor<2x4x2xf16>, %[[G:.+]]: tensor<4x2xf32>, %[[B:.+]]: tensor<4xf32>) -> tensor<?x4xf32>
// CHECK: %[[SHIFTS:.+]] = linalg.generic {indexing_maps = [#[[GROUP]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[G]] : tensor<4x2xf32>)
// CHECK: %[[WHAT:.+]] = linalg.generic {indexing_maps = [#[[CODES]], #[[PSCALE]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[CODES_ARG]], %[[A]] : tensor<2x4x16xi8>, tensor<2x4x2xf16>) outs(%[[SHIFTS]] : tensor<4x16xf32>)
// CHECK: ^bb0(%[[CODE:.+]]: i8, %[[ALPHA:.+]]: f16, %[[ACC:.+]]: f32):
// CHECK:   %[[ALPHA32:.+]] = arith.extf %[[ALPHA]] : f16 to f32
// CHECK:   %[[MAG:.+]] = arith.andi %[[CODE]], %{{.+}} : i8
// CHECK:   %[[SIGN:.+]] = arith.andi %[[CODE]], %{{.+}} : i8
// CHECK:   %[[NEG:.+]] = arith.negf %[[ALPHA32]] : f32
// CHECK:   %[[SIGNED:.+]] = arith.select %{{.+}}, %[[NEG]], %[[ALPHA32]] : f32
// CHECK:   %[[TERM:.+]] = arith.select %{{.+}}, %[[SIGNED]], %{{.+}} : f32
// CHECK:   %[[SUM:.+]] = arith.addf %[[ACC]], %[[TERM]] : f32
// CHECK:   linalg.yield %[[SUM]] : f32
// CHECK: %[[DIM:.+]] = tensor.dim %[[X_ARG]], %{{.+}} : tensor<?x16xf32>
// CHECK: %[[EMPTY:.+]] = tensor.empty(%[[DIM]]) : tensor<?x4xf32>
// CHECK: %[[INIT:.+]] = linalg.generic {indexing_maps = [#[[BIAS]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[B]] : tensor<4xf32>) outs(%[[EMPTY]] : tensor<?x4xf32>)
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X_ARG]], %[[WHAT]] : tensor<?x16xf32>, tensor<4x16xf32>) outs(%[[INIT]] : tensor<?x4xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: return %[[Y]] : tensor<?x4xf32>
func.func @matmul(%x: tensor<?x16xf32>, %w: tensor<2x4x16x!tern.trit>,
                  %a: tensor<2x4x2xf16>, %g: tensor<4x2xf32>,
                  %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = tern.matmul %x, %w scales(%a : tensor<2x4x2xf16>)
         shifts(%g : tensor<4x2xf32>) bias(%b : tensor<4xf32>) group_size = 8
         : tensor<?x16xf32>, tensor<2x4x16x!tern.trit> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// One group per row reads the scale at column 0; no shifts means a zero fill.

// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @dequantize_per_row(
// CHECK-SAME: %[[T:.+]]: tensor<4x16xi8>, %[[A:.+]]: tensor<4x1xf32>) -> tensor<4x16xf32>
// CHECK: %[[ZERO:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[ROW]], #{{.+}}], iterator_types = ["parallel", "parallel"]} ins(%[[T]], %[[A]] : tensor<4x16xi8>, tensor<4x1xf32>) outs(%[[ZERO]] : tensor<4x16xf32>)
func.func @dequantize_per_row(%t: tensor<4x16x!tern.szt>, %a: tensor<4x1xf32>)
    -> tensor<4x16xf32> {
  %0 = tern.dequantize %t scales(%a : tensor<4x1xf32>) group_size = 0
         : tensor<4x16x!tern.szt> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Quantize rounds (w - γ) / α to the nearest trit; szt keeps the sign of r.

// CHECK-LABEL: func.func @quantize_szt(
// CHECK-SAME: -> tensor<4x16xi8>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<4x16xf32>, tensor<4x2xf32>, tensor<4x2xf32>) outs(%{{.+}} : tensor<4x16xi8>)
// CHECK:   %[[W:.+]] = arith.subf
// CHECK:   %[[R:.+]] = arith.divf %[[W]]
// CHECK:   arith.cmpf ogt, %[[R]]
// CHECK:   arith.cmpf olt, %[[R]]
// CHECK:   arith.cmpf olt, %[[R]]
// CHECK:   linalg.yield %{{.+}} : i8
func.func @quantize_szt(%w: tensor<4x16xf32>, %a: tensor<4x2xf32>,
                        %g: tensor<4x2xf32>) -> tensor<4x16x!tern.szt> {
  %0 = tern.quantize %w scales(%a : tensor<4x2xf32>) shifts(%g : tensor<4x2xf32>)
         group_size = 8 : tensor<4x16xf32> -> tensor<4x16x!tern.szt>
  return %0 : tensor<4x16x!tern.szt>
}

// -----

// Constants keep their blob and unpack through a tensor.generate that reads
// the layout: here 2 bytes per row of 8 codes.

// CHECK-LABEL: func.func @constant
// CHECK: %[[BYTES:.+]] = arith.constant dense_resource<w> : tensor<4xi8>
// CHECK: tensor.generate
// CHECK:   tensor.extract %[[BYTES]]
// CHECK:   arith.shrui
// CHECK:   tensor.yield %{{.+}} : i8
// CHECK: } : tensor<2x8xi8>
// CHECK: dialect_resources
// CHECK: w: "0x04000000C5435555"
func.func @constant() -> tensor<2x8x!tern.trit> {
  %0 = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<4xi8> -> tensor<2x8x!tern.trit>
  return %0 : tensor<2x8x!tern.trit>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000C5435555"
    }
  }
#-}

// -----

// A cast of a ternary tensor to its code tensor is the codes themselves.

// CHECK-LABEL: func.func @code_cast(
// CHECK-SAME: %[[T:.+]]: tensor<2x4xi8>) -> tensor<2x4xi8>
// CHECK-NEXT: return %[[T]] : tensor<2x4xi8>
func.func @code_cast(%t: tensor<2x4x!tern.szt>) -> tensor<2x4xi8> {
  %c = builtin.unrealized_conversion_cast %t : tensor<2x4x!tern.szt> to tensor<2x4xi8>
  return %c : tensor<2x4xi8>
}

// -----

// tern.rotate: the rows viewed as M x A x B, a contraction with R over q,
// then with L over p, back to M x K (M dynamic).
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[R:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[L:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d1)>
// CHECK-DAG: #[[T:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-LABEL: func.func @rotate
// CHECK-SAME: (%[[IN:.+]]: tensor<?x12xf32>, %[[LEFT:.+]]: tensor<3x3xf32>, %[[RIGHT:.+]]: tensor<4x4xf32>)
// CHECK: %[[CUBE:.+]] = tensor.expand_shape %[[IN]] {{\[\[}}0], [1, 2]] output_shape [%{{.+}}, 3, 4] : tensor<?x12xf32> into tensor<?x3x4xf32>
// CHECK: %[[TMP:.+]] = linalg.generic {indexing_maps = [#[[X]], #[[R]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[CUBE]], %[[RIGHT]] : tensor<?x3x4xf32>, tensor<4x4xf32>)
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[L]], #[[T]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[LEFT]], %[[TMP]] : tensor<3x3xf32>, tensor<?x3x4xf32>)
// CHECK: tensor.collapse_shape %[[Y]] {{\[\[}}0], [1, 2]] : tensor<?x3x4xf32> into tensor<?x12xf32>
func.func @rotate(%x: tensor<?x12xf32>, %l: tensor<3x3xf32>, %r: tensor<4x4xf32>) -> tensor<?x12xf32> {
  %0 = tern.rotate %x by(%l, %r : tensor<3x3xf32>, tensor<4x4xf32>) : tensor<?x12xf32>
  return %0 : tensor<?x12xf32>
}
