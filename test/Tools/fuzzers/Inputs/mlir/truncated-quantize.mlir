func.func @f(%w: tensor<4x16xf32>, %a: tensor<4x2xf32>) {
  %0 = tern.quantize %w scales(%a : tensor<4x2xf32>) group_si