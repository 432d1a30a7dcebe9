//===- Rotation.h - rotations of a layer's input space ----------*- C++ -*-===//
//
// This file declares the rotations of a layer's input space that
// tern-ternarize's rotate= fits under (docs/Quantization.md, "Rotations"):
// Q = L ⊗ R, the Kronecker product of two random orthogonal matrices whose
// sizes multiply to K. A layer y = x Wᵀ equals (x Q)(W Q)ᵀ, so the codes
// approximate W Q, whose rows have their outliers spread over all K
// columns, and the model computes x Q on the fly in K (A + B) multiplies a
// row. Everything here is deterministic: the same K gives the same Q on
// every machine and with every standard library.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_ROTATION_H
#define TERN_QUANT_ROTATION_H

#include "tern/Quant/Ternary.h"

#include <cstdint>
#include <vector>

namespace tern::quant {

/// Q = L ⊗ R (K x K, K = A · B): with k = p · B + q,
/// Q[p · B + q, i · B + j] = L[p, i] · R[q, j].
struct Rotation {
  int64_t a = 0, b = 0;
  /// A x A and B x B, row-major, orthogonal.
  std::vector<float> left, right;

  int64_t size() const { return a * b; }
  /// v ← v Q for one row of K values (activations, or a row of weights).
  void apply(float *v) const;
  /// v ← v Qᵀ: undoes apply.
  void unapply(float *v) const;
  /// Every row of the rows x K matrix `m`, in place.
  void applyRows(float *m, int64_t rows) const;
  void unapplyRows(float *m, int64_t rows) const;
  /// Qᵀ M Q for a K x K matrix (second moments, cross moments), in place.
  void conjugate(double *m) const;
  /// v ← v Q for K doubles (means).
  void apply(double *v) const;
  /// Q itself, K x K row-major (for exporters that have no Kronecker op).
  std::vector<float> dense() const;
};

/// The rotation tern uses for K input channels: A the largest divisor of K
/// at most √K, B = K / A, and L, R Haar-random orthogonal matrices drawn
/// from a generator seeded by `seed` and K (so that every layer of the same
/// width, and layers reading the same activations, share one rotation).
Rotation makeRotation(int64_t k, uint64_t seed = 0);

} // namespace tern::quant

#endif // TERN_QUANT_ROTATION_H
