// RUN: tern-opt %s --tern-reference-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s

// The same 3 x 7 trit matrix in the three packed layouts (blobs written by an
// independent packer), dequantized with one scale per row. K = 7 leaves
// padding in every row: 1 code in sign_magnitude/offset_binary, 3 in base3.
// The szt constant holds both zeros; they dequantize to 0. The sherry blob
// was packed by hand (fields 0b01001, 0b01110 | 0b00000, 0b11011).

func.func @show(%t: tensor<3x7x!tern.trit>) {
  %a = arith.constant dense<[[1.0], [2.0], [0.5]]> : tensor<3x1xf32>
  %w = tern.dequantize %t scales(%a : tensor<3x1xf32>) group_size = 0
         : tensor<3x7x!tern.trit> -> tensor<3x7xf32>
  %u = tensor.cast %w : tensor<3x7xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  %sm = tern.constant #tern.packing<sign_magnitude> dense_resource<sm>
          : tensor<6xi8> -> tensor<3x7x!tern.trit>
  %ob = tern.constant #tern.packing<offset_binary> dense_resource<ob>
          : tensor<6xui8> -> tensor<3x7x!tern.trit>
  %b3 = tern.constant #tern.packing<base3> dense_resource<b3>
          : tensor<6xi8> -> tensor<3x7x!tern.trit>
  // CHECK: sizes = [3, 7]
  // CHECK-NEXT: {{\[\[}}1, 1, -1, 0, 1, 1, 1],
  // CHECK-NEXT: [0, -2, 2, 0, -2, -2, 0],
  // CHECK-NEXT: [0.5, 0, 0, 0.5, 0.5, 0, 0]]
  call @show(%sm) : (tensor<3x7x!tern.trit>) -> ()
  // CHECK: sizes = [3, 7]
  // CHECK-NEXT: {{\[\[}}1, 1, -1, 0, 1, 1, 1],
  // CHECK-NEXT: [0, -2, 2, 0, -2, -2, 0],
  // CHECK-NEXT: [0.5, 0, 0, 0.5, 0.5, 0, 0]]
  call @show(%ob) : (tensor<3x7x!tern.trit>) -> ()
  // CHECK: sizes = [3, 7]
  // CHECK-NEXT: {{\[\[}}1, 1, -1, 0, 1, 1, 1],
  // CHECK-NEXT: [0, -2, 2, 0, -2, -2, 0],
  // CHECK-NEXT: [0.5, 0, 0, 0.5, 0.5, 0, 0]]
  call @show(%b3) : (tensor<3x7x!tern.trit>) -> ()

  // sherry: 3:4 trits in 5 bits per quartet; the second quartet of each
  // row straddles its two bytes.
  %sh = tern.constant #tern.packing<sherry> dense_resource<sherry>
          : tensor<4xi8> -> tensor<2x8x!tern.trit>
  %ash = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %wsh = tern.dequantize %sh scales(%ash : tensor<2x1xf32>) group_size = 0
           : tensor<2x8x!tern.trit> -> tensor<2x8xf32>
  %ush = tensor.cast %wsh : tensor<2x8xf32> to tensor<*xf32>
  // CHECK: sizes = [2, 8]
  // CHECK-NEXT: {{\[\[}}1, 0, -1, 1, -1, -1, 0, 1],
  // CHECK-NEXT: [0, 2, 2, 2, 2, -2, -2, 0]]
  call @printMemrefF32(%ush) : (tensor<*xf32>) -> ()

  // szt row: +1 0- -1 0+ | 0- +1 0+ -1 with groups of 4.
  %z = tern.constant #tern.packing<sign_magnitude> dense_resource<szt>
         : tensor<2xi8> -> tensor<1x8x!tern.szt>
  %az = arith.constant dense<[[3.0, 0.25]]> : tensor<1x2xf32>
  %wz = tern.dequantize %z scales(%az : tensor<1x2xf32>) group_size = 4
          : tensor<1x8x!tern.szt> -> tensor<1x8xf32>
  %uz = tensor.cast %wz : tensor<1x8xf32> to tensor<*xf32>
  // CHECK: sizes = [1, 8]
  // CHECK-NEXT: {{\[\[}}3, 0, -3, 0, 0, 0.25, 0, -0.25]]
  call @printMemrefF32(%uz) : (tensor<*xf32>) -> ()
  return
}

func.func private @printMemrefF32(tensor<*xf32>)

{-#
  dialect_resources: {
    builtin: {
      sm: "0x0100000035151C0F4101",
      ob: "0x010000004A6A61509656",
      szt: "0x0100000039C6",
      b3: "0x01000000C57D2E78E679",
      sherry: "0x01000000C9016003"
    }
  }
#-}
