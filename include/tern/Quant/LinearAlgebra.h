//===- LinearAlgebra.h - small dense linear algebra -------------*- C++ -*-===//
//
// This file declares the dense linear algebra the methods need, written here
// rather than taken from LAPACK: the systems are either tiny (P x P scale
// solves, the l x l core of a randomized SVD) or a single Cholesky of XᵀX,
// and owning them keeps results bit-identical across machines and threads.
// Matrices are row-major arrays of double.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_LINEARALGEBRA_H
#define TERN_QUANT_LINEARALGEBRA_H

#include <cstdint>
#include <vector>

namespace tern::quant {

/// Solves a x = b for x (n x n, partial pivoting); a and b are overwritten,
/// x is written to b. Returns false when a is singular.
bool solveLinear(int64_t n, double *a, double *b);

/// Eigen-decomposes the symmetric n x n matrix a by cyclic Jacobi rotations:
/// `values` gets the eigenvalues in decreasing order and, if not null,
/// `vectors` the matching unit eigenvectors as columns (n x n). a is not
/// modified.
void symmetricEigen(int64_t n, const double *a, double *values,
                    double *vectors);

/// Overwrites the lower triangle of the symmetric positive definite a with
/// L, a = L Lᵀ (the upper triangle is zeroed). Returns the first column
/// whose pivot is not positive, or -1 on success.
int64_t choleskyLower(int64_t n, double *a);

/// H + λI (n x n, row-major), λ = `dampening` times the mean of H's
/// diagonal; an input whose H_kk is 0 (no calibration sample reaches it)
/// gets 1 first when `unitForUnseen`.
std::vector<double> dampedHessian(int64_t n, const double *h, double dampening,
                                  bool unitForUnseen);

/// The Cholesky factor L of H + λI (n x n, row-major: lower triangle L,
/// upper zeros), λ = `dampening` times the mean of H's diagonal; an input
/// whose H_kk is 0 (no calibration sample reaches it) gets 1 first when
/// `unitForUnseen`. When H + λI is not positive definite in floating point
/// (calibration inputs that are affine in one another, such as the three
/// channels of a gray image, make H singular, and its rounding can then
/// outweigh a small λ), λ is raised tenfold, at most three times.
/// `used` receives the dampening that worked. Returns the first column
/// whose pivot is not positive at the largest λ, or -1 on success.
int64_t dampedCholeskyLower(int64_t n, const double *h, double dampening,
                            bool unitForUnseen, std::vector<double> &l,
                            double *used = nullptr);

/// Overwrites the lower-triangular L with L⁻¹.
void invertLowerTriangular(int64_t n, double *l);

/// Orthonormalizes the l columns of the n x l matrix y in order (modified
/// Gram-Schmidt, twice for stability). Columns that vanish become zero.
void orthonormalizeColumns(double *y, int64_t n, int64_t l);

} // namespace tern::quant

#endif // TERN_QUANT_LINEARALGEBRA_H
