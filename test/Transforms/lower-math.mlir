// RUN: tern-opt %s --tern-lower-math | FileCheck %s
// RUN: tern-opt %s --tern-reference-to-llvm | FileCheck %s --check-prefix=LLVM

// f32 erf, scalar and vector, becomes arithmetic (the polynomial
// approximation); f64 erf calls libm; integer powers call outlined
// implementations. Other math ops stay for convert-to-llvm.

// CHECK-LABEL: func.func @erf32
// CHECK-NOT: math.erf
// CHECK: math.fma
// CHECK: return
func.func @erf32(%x: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>) {
  %a = math.erf %x : f32
  %b = math.erf %v : vector<8xf32>
  return %a, %b : f32, vector<8xf32>
}

// CHECK-LABEL: func.func @erf64
// CHECK: call @erf(%{{.*}}) : (f64) -> f64
func.func @erf64(%x: f64) -> f64 {
  %a = math.erf %x : f64
  return %a : f64
}

// CHECK-LABEL: func.func @ipow
// CHECK: call @__mlir_math_ipowi_i64
// CHECK: math.exp
func.func @ipow(%x: i64, %n: i64, %f: f32) -> (i64, f32) {
  %a = math.ipowi %x, %n : i64
  %e = math.exp %f : f32
  return %a, %e : i64, f32
}

// exp of f32 vectors becomes arithmetic on the vector (LLVM would call
// libm once per lane); scalar exp and other element types stay math.exp.
// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp {{.*}}vector<16xf32>
// CHECK: %[[S:.+]] = math.exp %{{.+}} : f32
// CHECK-NOT: math.exp {{.*}}vector<16xf32>
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK-NOT: math.exp {{.*}}vector<16xf32>
// CHECK: %[[D:.+]] = math.exp %{{.+}} : vector<4xf64>
// CHECK-NOT: math.exp
// CHECK: return %[[S]], %{{.+}}, %[[D]] : f32, vector<16xf32>, vector<4xf64>
func.func @exp(%x: f32, %v: vector<16xf32>, %d: vector<4xf64>) -> (f32, vector<16xf32>, vector<4xf64>) {
  %a = math.exp %x : f32
  %b = math.exp %v : vector<16xf32>
  %c = math.exp %d : vector<4xf64>
  return %a, %b, %c : f32, vector<16xf32>, vector<4xf64>
}

// LLVM-NOT: math.
// LLVM: llvm.func @erf(f64) -> f64
