//===- ErrorFeedback.cpp - GPTQ-style error feedback ----------------------===//
//
// This file implements full-Hessian error feedback (GPTQ, arXiv 2210.17323)
// around any per-column ternary quantizer, trit planes included. Rows are
// independent given the Cholesky factor U of (H + λI)⁻¹, so they run in
// parallel with bit-identical results.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/LinearAlgebra.h"
#include "tern/Quant/Packing.h"
#include "tern/Quant/Parallel.h"
#include "tern/Quant/Quantize.h"

#include <cmath>

using namespace tern::quant;

namespace {

/// U with (H + λI)⁻¹ = Uᵀ U (upper triangular, row-major), or the column
/// where H + λI stops being positive definite.
int64_t inverseCholeskyUpper(const double *hessian, int64_t n, double dampening,
                             std::vector<double> &u) {
  std::vector<double> a;
  // An input no calibration sample reaches carries no error signal.
  if (int64_t bad = dampedCholeskyLower(n, hessian, dampening,
                                        /*unitForUnseen=*/true, a);
      bad >= 0)
    return bad;
  invertLowerTriangular(n, a.data()); // a = L⁻¹
  // (H + λI)⁻¹ = L⁻ᵀ L⁻¹.
  std::vector<double> inverse(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      double s = 0;
      for (int64_t k = i; k < n; ++k)
        s += a[k * n + i] * a[k * n + j];
      inverse[i * n + j] = inverse[j * n + i] = s;
    }
  if (int64_t bad = choleskyLower(n, inverse.data()); bad >= 0)
    return bad;
  u.assign(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j)
      u[j * n + i] = inverse[i * n + j];
  return -1;
}

} // namespace

llvm::Expected<TernaryWeights>
tern::quant::quantizeWithErrorFeedback(MatrixRef w, const double *hessian,
                                       const QuantizeOptions &options,
                                       const ErrorFeedbackOptions &feedback) {
  if (llvm::Error error = validateOptions(options, w.rows, w.cols))
    return std::move(error);
  if (options.method == Method::Sherry)
    return llvm::createStringError(
        "error feedback quantizes one column at a time, which Sherry's 3:4 "
        "codes do not allow");
  if (!hessian)
    return llvm::createStringError(
        "error feedback needs the calibration matrix H = XᵀX");
  if (!(feedback.dampening >= 0))
    return llvm::createStringError("dampening must be >= 0");
  int64_t n = w.cols;
  std::vector<double> u;
  if (int64_t bad = inverseCholeskyUpper(hessian, n, feedback.dampening, u);
      bad >= 0)
    return llvm::createStringError(
        "H + λI is not positive definite at column " + std::to_string(bad) +
        "; raise the dampening");
  // Importance of each input: the diagonal of XᵀX.
  std::vector<float> h(n);
  for (int64_t k = 0; k < n; ++k)
    h[k] = float(hessian[k * n + k]);

  int64_t planes =
      options.method == Method::TritPlanes ? options.tritPlanes.planes : 1;
  bool perRow = options.granularity != Granularity::Group;
  TernaryWeights q(planes, w.rows, n, perRow ? 0 : options.groupSize,
                   options.method == Method::ScaleShift);
  GroupFit tensorFit;
  if (options.granularity == Granularity::Tensor) {
    std::vector<float> weights;
    weights.reserve(w.rows * n);
    for (int64_t r = 0; r < w.rows; ++r)
      weights.insert(weights.end(), h.begin(), h.end());
    tensorFit =
        fitGroup(options, w.data, weights.data(), int64_t(weights.size()));
  }

  int64_t size = q.effectiveGroupSize();
  parallelFor(w.rows, options.threads, [&](int64_t r) {
    std::vector<double> work(w.row(r), w.row(r) + n);
    std::vector<float> group(size);
    GroupFit fit = tensorFit;
    uint8_t codes[kMaxPlanes];
    for (int64_t j = 0; j < n; ++j) {
      if (j % size == 0) {
        int64_t g = j / size;
        if (options.granularity != Granularity::Tensor) {
          for (int64_t k = 0; k < size; ++k)
            group[k] = float(work[j + k]);
          fit = fitGroup(options, group.data(), h.data() + j, size);
        }
        for (int64_t p = 0; p < planes; ++p)
          q.scale(p, r, g) = fit.alpha[p];
        if (!q.shifts.empty())
          q.shifts[r * q.groups() + g] = fit.gamma;
      }
      encodeValue(fit, float(work[j]), options.signedZeros, codes);
      for (int64_t p = 0; p < planes; ++p)
        q.code(p, r, j) = codes[p];
      double err =
          (work[j] - double(reconstructValue(fit, codes))) / u[j * n + j];
      const double *uj = &u[j * n];
      for (int64_t k = j + 1; k < n; ++k)
        work[k] -= err * uj[k];
    }
  });
  return q;
}

llvm::Expected<std::vector<float>>
tern::quant::retargetWeights(MatrixRef w, const double *cross,
                             const double *hessian, double dampening,
                             const double *residualCross) {
  int64_t n = w.rows, k = w.cols;
  std::vector<double> l =
      dampedHessian(k, hessian, dampening, /*unitForUnseen=*/true);
  if (int64_t bad = choleskyLower(k, l.data()); bad >= 0)
    return llvm::createStringError(
        "the received second moment is not positive definite at column " +
        std::to_string(bad) + "; raise the dampening");
  std::vector<double> difference(k * k);
  for (int64_t i = 0; i < k * k; ++i)
    difference[i] = cross[i] - hessian[i];
  std::vector<float> target(n * k);
  parallelFor(n, 0, [&](int64_t r) {
    const float *row = w.row(r);
    // s = (H̃ + λI)⁻¹ ((C − H̃)ᵀ w + E[d_r x̃]): forward then back
    // substitution with L.
    std::vector<double> s(k, 0.0);
    if (residualCross)
      s.assign(residualCross + r * k, residualCross + (r + 1) * k);
    for (int64_t i = 0; i < k; ++i) {
      const double *d = difference.data() + i * k;
      double wi = row[i];
      for (int64_t j = 0; j < k; ++j)
        s[j] += wi * d[j];
    }
    for (int64_t i = 0; i < k; ++i) {
      double v = s[i];
      for (int64_t j = 0; j < i; ++j)
        v -= l[i * k + j] * s[j];
      s[i] = v / l[i * k + i];
    }
    for (int64_t i = k - 1; i >= 0; --i) {
      double v = s[i];
      for (int64_t j = i + 1; j < k; ++j)
        v -= l[j * k + i] * s[j];
      s[i] = v / l[i * k + i];
    }
    for (int64_t i = 0; i < k; ++i)
      target[r * k + i] = float(row[i] + s[i]);
  });
  return target;
}

void tern::quant::refitScales(MatrixRef w, const double *hessian,
                              TernaryWeights &q) {
  if (!q.shifts.empty())
    return;
  int64_t k = q.cols, planes = q.planes, groupSize = q.effectiveGroupSize();
  parallelFor(q.rows, 0, [&](int64_t r) {
    const float *row = w.data + r * k;
    std::vector<double> a(planes * planes), b(planes), ht(planes * groupSize);
    for (int64_t g = 0; g < q.groups(); ++g) {
      int64_t begin = g * groupSize;
      // (H T_pᵀ)[j] over the group's columns, for every plane.
      for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < groupSize; ++i) {
          double sum = 0;
          const double *hRow = hessian + (begin + i) * k + begin;
          for (int64_t j = 0; j < groupSize; ++j)
            sum += hRow[j] * codeValue(q.code(p, r, begin + j));
          ht[p * groupSize + i] = sum;
        }
      for (int64_t p = 0; p < planes; ++p) {
        double rhs = 0;
        for (int64_t i = 0; i < groupSize; ++i)
          rhs += ht[p * groupSize + i] * row[begin + i];
        b[p] = rhs;
        for (int64_t s = 0; s < planes; ++s) {
          double sum = 0;
          for (int64_t i = 0; i < groupSize; ++i)
            sum += ht[p * groupSize + i] * codeValue(q.code(s, r, begin + i));
          a[p * planes + s] = sum;
        }
      }
      // A plane with no codes in the group, or a singular system, keeps
      // the scales it has.
      bool empty = false;
      for (int64_t p = 0; p < planes; ++p)
        empty |= !(a[p * planes + p] > 0);
      if (empty || !solveLinear(planes, a.data(), b.data()))
        continue;
      for (int64_t p = 0; p < planes; ++p)
        if (std::isfinite(b[p]))
          q.scale(p, r, g) = float(b[p]);
    }
  });
}

int64_t tern::quant::refineCodes(MatrixRef w, const double *hessian,
                                 double dampening, int sweeps, bool signedZeros,
                                 TernaryWeights &q) {
  int64_t k = q.cols, planes = q.planes, size = q.effectiveGroupSize();
  // H + λI, as error feedback damps it: the objective it minimised.
  std::vector<double> h =
      dampedHessian(k, hessian, dampening, /*unitForUnseen=*/true);
  int64_t combinations = 1;
  for (int64_t p = 0; p < planes; ++p)
    combinations *= 3;
  std::vector<int64_t> changedRows(q.rows, 0);
  parallelFor(q.rows, 0, [&](int64_t r) {
    const float *row = w.row(r);
    // e = Ŵ - W and its gradient g = e (H + λI), kept up to date.
    std::vector<double> e(k), g(k, 0.0), values(combinations);
    for (int64_t j = 0; j < k; ++j)
      e[j] = double(q.value(r, j)) - double(row[j]);
    for (int64_t i = 0; i < k; ++i) {
      if (e[i] == 0)
        continue;
      const double *hi = &h[i * k];
      for (int64_t j = 0; j < k; ++j)
        g[j] += e[i] * hi[j];
    }
    int64_t changed = 0;
    for (int sweep = 0; sweep < sweeps; ++sweep) {
      int64_t changedNow = 0;
      for (int64_t g0 = 0; g0 < q.groups(); ++g0) {
        // Every value the group's scales reach, indexed by the planes'
        // trits in base 3 (digit p: plane p's trit + 1).
        for (int64_t c = 0; c < combinations; ++c) {
          float v = 0;
          for (int64_t p = 0, rest = c; p < planes; ++p, rest /= 3)
            v += q.scale(p, r, g0) * float(rest % 3 - 1);
          values[c] = double(v + q.shift(r, g0));
        }
        for (int64_t j = g0 * size; j < (g0 + 1) * size; ++j) {
          double current = double(q.value(r, j)), hjj = h[j * k + j];
          double best = 0;
          int64_t choice = -1;
          for (int64_t c = 0; c < combinations; ++c) {
            double d = values[c] - current;
            // The change of e (H + λI) eᵀ when e_j moves by d.
            double gain = d * (2 * g[j] + d * hjj);
            if (gain < best - 1e-12 * hjj * d * d) {
              best = gain;
              choice = c;
            }
          }
          if (choice < 0)
            continue;
          for (int64_t p = 0, rest = choice; p < planes; ++p, rest /= 3)
            q.code(p, r, j) =
                codeOf(int(rest % 3) - 1, signedZeros && row[j] < 0);
          double d = double(q.value(r, j)) - current;
          e[j] += d;
          const double *hj = &h[j * k];
          for (int64_t i = 0; i < k; ++i)
            g[i] += d * hj[i];
          ++changedNow;
        }
      }
      changed += changedNow;
      if (!changedNow)
        break;
    }
    changedRows[r] = changed;
  });
  int64_t total = 0;
  for (int64_t c : changedRows)
    total += c;
  return total;
}
