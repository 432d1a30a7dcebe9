// RUN: not tern-opt %s --tern-tile-and-vectorize="vector-width=0" 2>&1 | FileCheck %s

// CHECK: error: tern-tile-and-vectorize: vector-width, block-rows and max-vector-size must be positive
func.func @f() {
  return
}
