//===- Rotation.cpp - incoherence processing by orthogonal rotations ------===//
//
// This file implements makeRotation (Haar-random orthogonal factors from a
// portable generator, orthonormalized in double) and the products with
// Q = L ⊗ R, computed as Lᵀ V R on the row viewed as an A x B matrix V.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Rotation.h"

#include "tern/Quant/LinearAlgebra.h"

#include <cmath>
#include <utility>

using namespace tern::quant;

namespace {

/// splitmix64: the same stream on every platform (std::normal_distribution
/// differs between standard libraries).
struct Generator {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in (0, 1].
  double uniform() { return (double(next() >> 11) + 1.0) * 0x1.0p-53; }
  /// Standard normal (Box-Muller).
  double normal() {
    double r = std::sqrt(-2.0 * std::log(uniform()));
    return r * std::cos(2.0 * M_PI * uniform());
  }
};

/// An n x n Haar-random orthogonal matrix: the Q of a Gaussian matrix's QR
/// decomposition with R's diagonal made positive, which Gram-Schmidt on the
/// columns gives.
std::vector<float> haarOrthogonal(int64_t n, Generator &generator) {
  std::vector<double> g(n * n);
  for (double &v : g)
    v = generator.normal();
  orthonormalizeColumns(g.data(), n, n);
  return std::vector<float>(g.begin(), g.end());
}

/// out = Lᵀ V R (transpose = false) or L V Rᵀ (true), V the A x B matrix
/// `v`; T is float or double.
template <typename T>
void product(const Rotation &rotation, T *v, bool transpose) {
  int64_t a = rotation.a, b = rotation.b;
  const std::vector<float> &l = rotation.left, &r = rotation.right;
  std::vector<double> t(a * b, 0.0);
  // t = V R (or V Rᵀ).
  for (int64_t p = 0; p < a; ++p)
    for (int64_t q = 0; q < b; ++q) {
      double x = double(v[p * b + q]);
      if (x == 0)
        continue;
      for (int64_t j = 0; j < b; ++j)
        t[p * b + j] += x * double(transpose ? r[j * b + q] : r[q * b + j]);
    }
  // v = Lᵀ t (or L t).
  std::vector<double> u(a * b, 0.0);
  for (int64_t p = 0; p < a; ++p)
    for (int64_t i = 0; i < a; ++i) {
      double c = double(transpose ? l[i * a + p] : l[p * a + i]);
      for (int64_t j = 0; j < b; ++j)
        u[i * b + j] += c * t[p * b + j];
    }
  for (int64_t i = 0; i < a * b; ++i)
    v[i] = T(u[i]);
}

} // namespace

void Rotation::apply(float *v) const { product(*this, v, false); }
void Rotation::unapply(float *v) const { product(*this, v, true); }
void Rotation::apply(double *v) const { product(*this, v, false); }

void Rotation::applyRows(float *m, int64_t rows) const {
  for (int64_t r = 0; r < rows; ++r)
    apply(m + r * size());
}

void Rotation::unapplyRows(float *m, int64_t rows) const {
  for (int64_t r = 0; r < rows; ++r)
    unapply(m + r * size());
}

void Rotation::conjugate(double *m) const {
  int64_t k = size();
  // M Q row by row, then Qᵀ (M Q) = ((M Q)ᵀ Q)ᵀ.
  for (int64_t r = 0; r < k; ++r)
    apply(m + r * k);
  auto transpose = [&] {
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = i + 1; j < k; ++j)
        std::swap(m[i * k + j], m[j * k + i]);
  };
  transpose();
  for (int64_t r = 0; r < k; ++r)
    apply(m + r * k);
  transpose();
}

std::vector<float> Rotation::dense() const {
  int64_t k = size();
  std::vector<float> q(k * k);
  for (int64_t p = 0; p < a; ++p)
    for (int64_t s = 0; s < b; ++s)
      for (int64_t i = 0; i < a; ++i)
        for (int64_t j = 0; j < b; ++j)
          q[(p * b + s) * k + i * b + j] = left[p * a + i] * right[s * b + j];
  return q;
}

Rotation tern::quant::makeRotation(int64_t k, uint64_t seed) {
  Rotation rotation;
  rotation.a = 1;
  for (int64_t d = 1; d * d <= k; ++d)
    if (k % d == 0)
      rotation.a = d;
  rotation.b = k / rotation.a;
  Generator generator{seed * 0x100000001b3ull ^ uint64_t(k)};
  rotation.left = haarOrthogonal(rotation.a, generator);
  rotation.right = haarOrthogonal(rotation.b, generator);
  return rotation;
}
