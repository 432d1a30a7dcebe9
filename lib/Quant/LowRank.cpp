//===- LowRank.cpp - HGF low-rank residual correction ---------------------===//
//
// This file implements the truncated SVD behind Hybrid Gated Flow's low-rank
// correction W ≈ Ŵ + U Vᵀ. We use a randomized range finder with power
// iterations (Halko, Martinsson and Tropp, 2011) and an exact Jacobi
// eigen-decomposition of the small l x l core, rather than LAPACK: it costs
// O(N·K·l) instead of O(N·K·min(N, K)) for the ranks HGF uses (r ≪ K), needs
// no Fortran runtime, and is deterministic (fixed seed, our own Gaussian).
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/LinearAlgebra.h"
#include "tern/Quant/Parallel.h"
#include "tern/Quant/Quantize.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace tern::quant;

namespace {

constexpr int kOversampling = 8;
constexpr int kPowerIterations = 6;

/// The rank-`rank` truncated SVD of the rows x cols matrix `a` (the
/// weighted residual), as LowRank: u scaled by the singular values, and in
/// `v` the right singular vectors, still in the weighted coordinates.
LowRank truncatedSVD(const std::vector<double> &a, int64_t rows, int64_t cols,
                     int64_t rank) {
  int64_t l = std::min<int64_t>(rank + kOversampling, std::min(rows, cols));
  // Gaussian test matrix (Box-Muller on a fixed-seed engine).
  std::mt19937_64 engine(0x7465726eULL);
  auto uniform = [&] { return (double(engine() >> 11) + 0.5) * 0x1.0p-53; };
  std::vector<double> omega(cols * l);
  for (double &x : omega)
    x = std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform());

  // y = A x (rows x l) and z = Aᵀ y (cols x l), rows in parallel.
  auto multiply = [&](const std::vector<double> &x, std::vector<double> &y) {
    y.assign(rows * l, 0.0);
    parallelFor(rows, 0, [&](int64_t r) {
      for (int64_t k = 0; k < cols; ++k) {
        double ark = a[r * cols + k];
        for (int64_t c = 0; c < l; ++c)
          y[r * l + c] += ark * x[k * l + c];
      }
    });
  };
  auto multiplyTransposed = [&](const std::vector<double> &y,
                                std::vector<double> &z) {
    z.assign(cols * l, 0.0);
    parallelFor(cols, 0, [&](int64_t k) {
      for (int64_t r = 0; r < rows; ++r) {
        double ark = a[r * cols + k];
        for (int64_t c = 0; c < l; ++c)
          z[k * l + c] += ark * y[r * l + c];
      }
    });
  };

  std::vector<double> q, z;
  multiply(omega, q);
  orthonormalizeColumns(q.data(), rows, l);
  for (int it = 0; it < kPowerIterations; ++it) {
    multiplyTransposed(q, z);
    orthonormalizeColumns(z.data(), cols, l);
    multiply(z, q);
    orthonormalizeColumns(q.data(), rows, l);
  }
  // B = Qᵀ A, stored transposed as z (cols x l); C = B Bᵀ (l x l).
  multiplyTransposed(q, z);
  std::vector<double> c(l * l, 0.0);
  for (int64_t i = 0; i < l; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t k = 0; k < cols; ++k)
        s += z[k * l + i] * z[k * l + j];
      c[i * l + j] = c[j * l + i] = s;
    }
  std::vector<double> values(l), vectors(l * l);
  symmetricEigen(l, c.data(), values.data(), vectors.data());

  LowRank result;
  result.rank = rank;
  result.u.assign(rows * rank, 0.0f);
  result.v.assign(cols * rank, 0.0f);
  result.singularValues.resize(l);
  for (int64_t i = 0; i < l; ++i)
    result.singularValues[i] = std::sqrt(std::max(0.0, values[i]));
  for (int64_t i = 0; i < rank; ++i) {
    double sigma = result.singularValues[i];
    // u_i = σ_i · Q e_i, v_i = Bᵀ e_i / σ_i.
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t j = 0; j < l; ++j)
        s += q[r * l + j] * vectors[j * l + i];
      result.u[r * rank + i] = float(s * sigma);
    }
    if (sigma == 0)
      continue;
    for (int64_t k = 0; k < cols; ++k) {
      double s = 0;
      for (int64_t j = 0; j < l; ++j)
        s += z[k * l + j] * vectors[j * l + i];
      result.v[k * rank + i] = float(s / sigma);
    }
  }
  return result;
}

llvm::Error checkRank(MatrixRef residual, int64_t rank) {
  int64_t bound = std::min(residual.rows, residual.cols);
  if (rank < 1 || rank > bound)
    return llvm::createStringError(
        "rank must be between 1 and min(rows, cols) = " +
        std::to_string(bound) + ", got " + std::to_string(rank));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<LowRank>
tern::quant::lowRankResidual(MatrixRef residual, const float *h, int64_t rank) {
  if (llvm::Error error = checkRank(residual, rank))
    return std::move(error);
  int64_t rows = residual.rows, cols = residual.cols;
  // A = R diag(h)^½.
  std::vector<double> a(rows * cols);
  std::vector<double> root(cols, 1.0);
  if (h)
    for (int64_t k = 0; k < cols; ++k)
      root[k] = std::sqrt(std::max(0.0, double(h[k])));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      a[r * cols + k] = double(residual.row(r)[k]) * root[k];
  LowRank result = truncatedSVD(a, rows, cols, rank);
  // V = diag(h)^-½ V', back from the weighted coordinates.
  for (int64_t k = 0; k < cols; ++k)
    for (int64_t i = 0; i < rank; ++i) {
      float &v = result.v[k * rank + i];
      v = root[k] > 0 ? float(double(v) / root[k]) : 0.0f;
    }
  return result;
}

llvm::Expected<LowRank> tern::quant::lowRankResidual(MatrixRef residual,
                                                     const double *hessian,
                                                     double dampening,
                                                     int64_t rank) {
  if (llvm::Error error = checkRank(residual, rank))
    return std::move(error);
  if (!hessian)
    return llvm::createStringError(
        "the Hessian-weighted low-rank fit needs E[x xᵀ]");
  if (!(dampening >= 0))
    return llvm::createStringError("dampening must be >= 0");
  int64_t rows = residual.rows, cols = residual.cols;
  // H + λ I = L Lᵀ, λ the dampening times the mean diagonal.
  std::vector<double> l;
  if (int64_t bad = dampedCholeskyLower(cols, hessian, dampening,
                                        /*unitForUnseen=*/false, l);
      bad >= 0)
    return llvm::createStringError(
        "H + λI is not positive definite at column " + std::to_string(bad) +
        "; raise the dampening");
  // A = R L: ‖(R − U Vᵀ) L‖_F² = tr((R − U Vᵀ) H (R − U Vᵀ)ᵀ).
  std::vector<double> a(rows * cols, 0.0);
  parallelFor(rows, 0, [&](int64_t r) {
    const float *row = residual.row(r);
    double *out = &a[r * cols];
    for (int64_t j = 0; j < cols; ++j) {
      double x = row[j];
      if (x == 0)
        continue;
      // Row j of L is nonzero up to column j.
      const double *lj = &l[j * cols];
      for (int64_t k = 0; k <= j; ++k)
        out[k] += x * lj[k];
    }
  });
  LowRank result = truncatedSVD(a, rows, cols, rank);
  // V = L⁻ᵀ V': solve Lᵀ v = v' for each column, from the last row up.
  std::vector<double> column(cols);
  for (int64_t i = 0; i < rank; ++i) {
    for (int64_t k = cols - 1; k >= 0; --k) {
      double s = result.v[k * rank + i];
      for (int64_t j = k + 1; j < cols; ++j)
        s -= l[j * cols + k] * column[j];
      column[k] = s / l[k * cols + k];
    }
    for (int64_t k = 0; k < cols; ++k)
      result.v[k * rank + i] = float(column[k]);
  }
  return result;
}
