// REQUIRES: cpu-avx2
// RUN: tern-opt %s --tern-cpu-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s
// RUN: sed 's/<generic>/<pmaddubsw>/' %s | tern-opt --tern-cpu-pipeline \
// RUN: | mlir-runner --mattr=+avx2 -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s
// RUN: %if cpu-avxvnni %{ sed 's/<generic>/<vpdpbusd>/' %s | tern-opt --tern-cpu-pipeline \
// RUN: | mlir-runner --mattr=+avx2,+avxvnni -e main -entry-point-result=void -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils \
// RUN: | FileCheck %s %}
//
// tern.dot4 signed (both operands signed bytes) in 256-bit registers, as
// generic arithmetic, vpmaddubsw (|lhs| and vpsignb) and, where the machine
// has AVX-VNNI, vpdpbusd, against sums computed apart: every byte value as
// lhs, -128 against 127 and -127, then whole registers of -128 · 127 and
// ±127 · ∓127 (the largest pairs vpmaddubsw's i16 lanes see, 32512),
// added to an accumulator of -5000 + 1000 i. Without `signed` the sums
// differ (lhs read as unsigned). rhs is never -128: its negation wraps.

// CHECK: ( -8721, -29672, 2151, 7597, -1671, -7176, 1003, -6807 )
// CHECK-NEXT: ( -1241, -26271, 1265, -945, -5625, -14428, 4359, 4841 )
// CHECK-NEXT: ( 2639, -10791, 5990, 13939, -7164, 1099, -28177, 23253 )
// CHECK-NEXT: ( -11166, 131, -727, -3188, 458, -14823, 25928, -1906 )
// CHECK-NEXT: ( -6848, 5176, 1698, -3966, 22967, 11093, 12319, -1445 )
// CHECK-NEXT: ( -9982, -26095, 2744, 8041, 7564, -1156, 3267, 5095 )
// CHECK-NEXT: ( -18550, -5741, -3739, -5430, -9392, -17758, -5636, -2293 )
// CHECK-NEXT: ( -13837, -3409, -14308, -28833, 13848, 5601, 1524, 5602 )
// CHECK-NEXT: ( -70024, -69024, -68024, -67024, -66024, -65024, -64024, -63024 )
// CHECK-NEXT: ( -70024, -69024, -68024, -67024, -66024, -65024, -64024, -63024 )
// CHECK-NEXT: ( -69516, -68516, -67516, -66516, -65516, -64516, -63516, -62516 )
// CHECK-NEXT: ( -69516, -68516, -67516, -66516, -65516, -64516, -63516, -62516 )
func.func @main() {
  %acc = arith.constant dense<[-5000, -4000, -3000, -2000, -1000, 0, 1000, 2000]> : vector<8xi32>
  %l0 = arith.constant dense<[-22, 50, 58, -91, -96, -126, 126, 26, -13, 115, -45, -101, 120, -103, 90, -6, -37, 88, -5, -23, 56, 45, -64, 72, 127, -62, -100, 91, -84, -69, -79, 119]> : vector<32xi8>
  %r0 = arith.constant dense<[29, 80, 74, 125, 67, 91, -78, 79, -66, 82, -25, 62, 78, -69, -76, 5, -1, -36, 60, -120, 126, -120, 75, -56, -127, -61, -78, 50, 27, 117, -39, -13]> : vector<32xi8>
  %d0 = tern.dot4 <generic> signed %l0, %r0, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d0 : vector<8xi32>
  %l1 = arith.constant dense<[-29, 112, -43, -32, 99, -87, -34, 123, 62, -68, -28, -47, -46, -16, -61, 40, 60, -124, 70, -89, 53, -51, 86, 111, 103, 24, -31, -125, 97, -8, -42, 48]> : vector<32xi8>
  %r1 = arith.constant dense<[79, 112, 58, 125, -38, 117, 122, -34, -107, -71, -101, -69, -7, -77, -41, -75, -4, 32, 125, 103, 29, 88, -127, -5, 105, 40, -39, 77, 37, -106, 86, 42]> : vector<32xi8>
  %d1 = tern.dot4 <generic> signed %l1, %r1, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d1 : vector<8xi32>
  %l2 = arith.constant dense<[89, 75, -120, 69, -121, 113, 106, -115, 85, 59, 117, 96, -57, -70, -122, 28, -63, 65, -88, 68, 79, -81, -60, 31, 39, -128, 101, 0, 47, -53, 49, -127]> : vector<32xi8>
  %r2 = arith.constant dense<[-97, 105, -28, 73, 55, 65, -76, -5, 100, -82, -16, 75, 35, -42, -105, 78, 115, 121, 57, -26, -9, -25, 63, 115, -106, 127, -87, -84, 127, -95, -120, -127]> : vector<32xi8>
  %d2 = tern.dot4 <generic> signed %l2, %r2, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d2 : vector<8xi32>
  %l3 = arith.constant dense<[11, -44, -25, -26, 110, 17, 29, 5, 71, 25, -83, -75, 7, 55, -4, -18, 2, -24, 22, -15, -93, -58, -77, 98, -107, 63, 23, 109, -11, 4, -78, 51]> : vector<32xi8>
  %r3 = arith.constant dense<[24, 104, -8, 79, 40, -90, 29, 84, 25, 123, -6, 41, 112, -38, -88, 13, 13, -94, -122, -124, 77, 121, 58, 39, -101, 7, 64, 112, -92, -16, 125, 96]> : vector<32xi8>
  %d3 = tern.dot4 <generic> signed %l3, %r3, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d3 : vector<8xi32>
  %l4 = arith.constant dense<[-95, 41, -73, 78, 44, -99, -85, -38, -10, -123, -40, -30, -56, 42, -49, 64, 66, -7, -59, 105, 107, 67, 74, 61, -39, 34, 57, 73, 87, -109, -118, 36]> : vector<32xi8>
  %r4 = arith.constant dense<[-78, 84, 96, -73, -120, -63, -73, -53, 1, -66, 68, 23, -44, -61, 12, -20, 86, -94, -112, 105, 62, -37, 102, -10, 42, 22, 81, 104, 5, -20, 84, 107]> : vector<32xi8>
  %d4 = tern.dot4 <generic> signed %l4, %r4, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d4 : vector<8xi32>
  %l5 = arith.constant dense<[-3, 125, 43, -86, 84, 3, 81, 121, 27, -55, -14, -41, -2, 6, 52, 93, -108, -66, 76, -65, -52, -36, -12, 92, -9, -48, -19, 8, 77, -1, -76, 30]> : vector<32xi8>
  %r5 = arith.constant dense<[97, 1, -94, 9, -89, 7, 3, -123, 96, -15, 71, -81, 28, -126, 71, 77, -89, -83, -91, -6, 31, 58, -97, 15, -112, -44, 47, 5, 8, 15, -4, 73]> : vector<32xi8>
  %d5 = tern.dot4 <generic> signed %l5, %r5, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d5 : vector<8xi32>
  %l6 = arith.constant dense<[94, 100, -112, 54, 12, 118, -33, -80, 35, 80, 20, -102, -82, 46, 15, -50, 18, -98, 10, -92, 108, -54, -94, 14, -117, -72, 122, 124, 95, 19, 102, 116]> : vector<32xi8>
  %r6 = arith.constant dense<[71, -100, 99, 16, -113, -64, -79, -57, -117, 70, -102, 2, -12, 16, -120, 67, 101, 106, -111, -14, -44, 29, 122, 2, 28, 4, -76, 50, -57, -12, 3, 9]> : vector<32xi8>
  %d6 = tern.dot4 <generic> signed %l6, %r6, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d6 : vector<8xi32>
  %l7 = arith.constant dense<[32, 33, -71, -97, 16, 83, -113, -20, 13, -105, -67, -111, -21, -17, -106, -119, -74, 1, 104, -114, 21, -35, -104, 9, 82, -110, -116, 38, -27, -90, 114, 37]> : vector<32xi8>
  %r7 = arith.constant dense<[79, -5, 2, 114, -64, 51, 6, 97, 97, 114, 110, -61, 109, 16, 101, 114, -76, 88, -13, -92, -21, -96, -27, -14, -47, -109, 44, -66, -18, -109, -73, 44]> : vector<32xi8>
  %d7 = tern.dot4 <generic> signed %l7, %r7, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d7 : vector<8xi32>
  %l8 = arith.constant dense<[-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128]> : vector<32xi8>
  %r8 = arith.constant dense<[127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127]> : vector<32xi8>
  %d8 = tern.dot4 <generic> signed %l8, %r8, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d8 : vector<8xi32>
  %l9 = arith.constant dense<[-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128]> : vector<32xi8>
  %r9 = arith.constant dense<[127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127]> : vector<32xi8>
  %d9 = tern.dot4 <generic> signed %l9, %r9, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d9 : vector<8xi32>
  %l10 = arith.constant dense<[127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127]> : vector<32xi8>
  %r10 = arith.constant dense<[-127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127]> : vector<32xi8>
  %d10 = tern.dot4 <generic> signed %l10, %r10, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d10 : vector<8xi32>
  %l11 = arith.constant dense<[-127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127, -127]> : vector<32xi8>
  %r11 = arith.constant dense<[127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127]> : vector<32xi8>
  %d11 = tern.dot4 <generic> signed %l11, %r11, %acc : vector<32xi8> into vector<8xi32>
  vector.print %d11 : vector<8xi32>
  return
}
