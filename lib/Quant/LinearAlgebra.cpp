//===- LinearAlgebra.cpp - small dense linear algebra ---------------------===//
//
// This file implements Gaussian elimination, Jacobi eigen-decomposition and
// Cholesky factorization for the quantization methods.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/LinearAlgebra.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

using namespace tern::quant;

bool tern::quant::solveLinear(int64_t n, double *a, double *b) {
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    for (int64_t i = col + 1; i < n; ++i)
      if (std::fabs(a[i * n + col]) > std::fabs(a[pivot * n + col]))
        pivot = i;
    if (!(std::fabs(a[pivot * n + col]) > 0))
      return false;
    if (pivot != col) {
      for (int64_t j = 0; j < n; ++j)
        std::swap(a[col * n + j], a[pivot * n + j]);
      std::swap(b[col], b[pivot]);
    }
    for (int64_t i = col + 1; i < n; ++i) {
      double f = a[i * n + col] / a[col * n + col];
      for (int64_t j = col; j < n; ++j)
        a[i * n + j] -= f * a[col * n + j];
      b[i] -= f * b[col];
    }
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (int64_t j = i + 1; j < n; ++j)
      s -= a[i * n + j] * b[j];
    b[i] = s / a[i * n + i];
  }
  return true;
}

void tern::quant::symmetricEigen(int64_t n, const double *a, double *values,
                                 double *vectors) {
  std::vector<double> m(a, a + n * n), v(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    v[i * n + i] = 1;
  double scale = 0;
  for (int64_t i = 0; i < n * n; ++i)
    scale += m[i] * m[i];
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = i + 1; j < n; ++j)
        off += m[i * n + j] * m[i * n + j];
    if (off <= 1e-30 * scale || off == 0)
      break;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j) {
        double mij = m[i * n + j];
        if (mij == 0)
          continue;
        double theta = (m[j * n + j] - m[i * n + i]) / (2 * mij);
        double t = (theta >= 0 ? 1.0 : -1.0) /
                   (std::fabs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), s = t * c;
        // m <- Jᵀ m J with the rotation J in the (i, j) plane.
        for (int64_t k = 0; k < n; ++k) {
          double mki = m[k * n + i], mkj = m[k * n + j];
          m[k * n + i] = c * mki - s * mkj;
          m[k * n + j] = s * mki + c * mkj;
        }
        for (int64_t k = 0; k < n; ++k) {
          double mik = m[i * n + k], mjk = m[j * n + k];
          m[i * n + k] = c * mik - s * mjk;
          m[j * n + k] = s * mik + c * mjk;
        }
        for (int64_t k = 0; k < n; ++k) {
          double vki = v[k * n + i], vkj = v[k * n + j];
          v[k * n + i] = c * vki - s * vkj;
          v[k * n + j] = s * vki + c * vkj;
        }
      }
    }
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    double mx = m[x * n + x], my = m[y * n + y];
    return mx != my ? mx > my : x < y;
  });
  for (int64_t i = 0; i < n; ++i) {
    values[i] = m[order[i] * n + order[i]];
    if (vectors)
      for (int64_t k = 0; k < n; ++k)
        vectors[k * n + i] = v[k * n + order[i]];
  }
}

int64_t tern::quant::choleskyLower(int64_t n, double *a) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return j;
    double root = std::sqrt(d);
    a[j * n + j] = root;
    for (int64_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      const double *ri = a + i * n, *rj = a + j * n;
      for (int64_t k = 0; k < j; ++k)
        s -= ri[k] * rj[k];
      a[i * n + j] = s / root;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0;
  }
  return -1;
}

void tern::quant::invertLowerTriangular(int64_t n, double *l) {
  for (int64_t j = 0; j < n; ++j) {
    l[j * n + j] = 1 / l[j * n + j];
    for (int64_t i = j + 1; i < n; ++i) {
      double s = 0;
      for (int64_t k = j; k < i; ++k)
        s += l[i * n + k] * l[k * n + j];
      l[i * n + j] = -s / l[i * n + i];
    }
  }
}

void tern::quant::orthonormalizeColumns(double *y, int64_t n, int64_t l) {
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t c = 0; c < l; ++c) {
      for (int64_t prev = 0; prev < c; ++prev) {
        double dot = 0;
        for (int64_t i = 0; i < n; ++i)
          dot += y[i * l + c] * y[i * l + prev];
        for (int64_t i = 0; i < n; ++i)
          y[i * l + c] -= dot * y[i * l + prev];
      }
      double norm = 0;
      for (int64_t i = 0; i < n; ++i)
        norm += y[i * l + c] * y[i * l + c];
      norm = std::sqrt(norm);
      for (int64_t i = 0; i < n; ++i)
        y[i * l + c] = norm > 1e-300 ? y[i * l + c] / norm : 0.0;
    }
  }
}

std::vector<double> tern::quant::dampedHessian(int64_t n, const double *h,
                                               double dampening,
                                               bool unitForUnseen) {
  double meanDiag = 0;
  for (int64_t j = 0; j < n; ++j)
    meanDiag += h[j * n + j];
  meanDiag /= double(std::max<int64_t>(n, 1));
  std::vector<double> damped(h, h + n * n);
  for (int64_t j = 0; j < n; ++j) {
    if (unitForUnseen && damped[j * n + j] == 0)
      damped[j * n + j] = 1;
    damped[j * n + j] += dampening * meanDiag;
  }
  return damped;
}

int64_t tern::quant::dampedCholeskyLower(int64_t n, const double *h,
                                         double dampening, bool unitForUnseen,
                                         std::vector<double> &l, double *used) {
  int64_t bad = -1;
  for (int attempt = 0; attempt < 4; ++attempt, dampening *= 10) {
    l = dampedHessian(n, h, dampening, unitForUnseen);
    bad = choleskyLower(n, l.data());
    if (bad < 0) {
      if (used)
        *used = dampening;
      return -1;
    }
    if (dampening == 0)
      break;
  }
  return bad;
}
