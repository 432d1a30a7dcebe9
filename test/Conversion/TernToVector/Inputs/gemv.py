"""Prints a tern.matmul of x (? x K) by 64 x K zero trits, one scale per
row, for tests whose checks depend on K only (the kernel's tiling)."""
import sys

k = int(sys.argv[1])
rows = 64
size = rows * k // 4
print(f"""func.func @gemv(%x: tensor<?x{k}xf32>, %a: tensor<{rows}x1xf32>) -> tensor<?x{rows}xf32> {{
  %w = tern.constant #tern.packing<sign_magnitude> dense_resource<w>
         : tensor<{size}xi8> -> tensor<{rows}x{k}x!tern.trit>
  %y = tern.matmul %x, %w scales(%a : tensor<{rows}x1xf32>) group_size = 0
         : tensor<?x{k}xf32>, tensor<{rows}x{k}x!tern.trit> -> tensor<?x{rows}xf32>
  return %y : tensor<?x{rows}xf32>
}}
{{-#
  dialect_resources: {{
    builtin: {{
      w: "0x01000000{'00' * size}"
    }}
  }}
#-}}""")
