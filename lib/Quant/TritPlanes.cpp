//===- TritPlanes.cpp - PTQTP progressive trit-plane fitting --------------===//
//
// This file implements PTQTP (arXiv 2509.16989) for P <= 4 planes:
// ŵ = Σ_p α_p t_p per group, alternating a ridge solve for the scales with an
// exhaustive per-element search over the 3^P code combinations.
//
// The ridge term λ is needed because the planes start equal (S singular).
// We set it from the condition number of SᵀDS: λ = min(1, 1e-10 · λmax ·
// cond), so a well-conditioned system is solved almost exactly and a
// singular one gets λ = 1, the cap the paper uses. Because a ridge step does
// not minimise the error itself, a step that would raise the error is
// rejected; together with the exact topology step this makes the error
// non-increasing over iterations.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/LinearAlgebra.h"
#include "tern/Quant/Methods.h"

#include <algorithm>
#include <cmath>

using namespace tern::quant;

namespace {

constexpr int kMaxCombos = 81; // 3^kMaxPlanes

/// Σ h (w − Σ_p α_p t_p)² for the current codes t (values in {-1, 0, 1}).
double planeError(const float *w, const float *h, int64_t n, int planes,
                  const int8_t *t, const float *alpha) {
  double err = 0;
  for (int64_t j = 0; j < n; ++j) {
    float v = 0;
    for (int p = 0; p < planes; ++p)
      v += alpha[p] * float(t[j * planes + p]);
    double d = double(w[j]) - double(v);
    err += (h ? h[j] : 1.0) * d * d;
  }
  return err;
}

} // namespace

GroupFit tern::quant::fitTritPlanes(const float *w, const float *h, int64_t n,
                                    const TritPlaneOptions &options,
                                    std::vector<double> *trace) {
  int planes = std::clamp(options.planes, 1, kMaxPlanes);
  GroupFit fit;
  fit.planes = planes;
  // 1. t_p = sign(w) with zeros -> +1, α = 1.
  std::vector<int8_t> t(n * planes);
  for (int64_t j = 0; j < n; ++j)
    for (int p = 0; p < planes; ++p)
      t[j * planes + p] = w[j] < 0 ? -1 : 1;
  float alpha[kMaxPlanes] = {1, 1, 1, 1};
  double error = planeError(w, h, n, planes, t.data(), alpha);

  int combos = 1;
  for (int p = 0; p < planes; ++p)
    combos *= 3;

  for (int iteration = 0; iteration < options.maxIterations; ++iteration) {
    // 2. Scale step: α = (SᵀDS + λI)⁻¹ SᵀDw.
    double a[kMaxPlanes * kMaxPlanes] = {}, b[kMaxPlanes] = {};
    for (int64_t j = 0; j < n; ++j) {
      double hj = h ? h[j] : 1.0;
      const int8_t *tj = &t[j * planes];
      for (int p = 0; p < planes; ++p) {
        b[p] += hj * tj[p] * double(w[j]);
        for (int q = 0; q < planes; ++q)
          a[p * planes + q] += hj * tj[p] * tj[q];
      }
    }
    double eigen[kMaxPlanes];
    symmetricEigen(planes, a, eigen, /*vectors=*/nullptr);
    double maxEigen = eigen[0], minEigen = eigen[planes - 1];
    double lambda = 1.0;
    if (maxEigen > 0 && minEigen > maxEigen * 1e-12)
      lambda = std::min(1.0, 1e-10 * maxEigen * (maxEigen / minEigen));
    for (int p = 0; p < planes; ++p)
      a[p * planes + p] += lambda;
    float next[kMaxPlanes] = {alpha[0], alpha[1], alpha[2], alpha[3]};
    if (solveLinear(planes, a, b))
      for (int p = 0; p < planes; ++p)
        next[p] = float(b[p]);
    double nextError = planeError(w, h, n, planes, t.data(), next);
    if (nextError > error)
      std::copy(alpha, alpha + kMaxPlanes, next); // keep the better scales
    else
      error = nextError;

    // 3. Topology step: the nearest of the 3^P values, per element.
    float values[kMaxCombos];
    for (int index = 0; index < combos; ++index) {
      float v = 0;
      for (int p = 0, rest = index; p < planes; ++p, rest /= 3)
        v += next[p] * float(rest % 3 - 1);
      values[index] = v;
    }
    for (int64_t j = 0; j < n; ++j) {
      // Start from the current codes so that ties keep them.
      int8_t *tj = &t[j * planes];
      float current = 0;
      for (int p = 0; p < planes; ++p)
        current += next[p] * float(tj[p]);
      float best = (w[j] - current) * (w[j] - current);
      int bestIndex = -1;
      for (int index = 0; index < combos; ++index) {
        float d = (w[j] - values[index]) * (w[j] - values[index]);
        if (d < best) {
          best = d;
          bestIndex = index;
        }
      }
      if (bestIndex >= 0)
        for (int p = 0, rest = bestIndex; p < planes; ++p, rest /= 3)
          tj[p] = int8_t(rest % 3 - 1);
    }
    error = planeError(w, h, n, planes, t.data(), next);
    if (trace)
      trace->push_back(error);

    // 4. Stop when the scales settle.
    float change = 0;
    for (int p = 0; p < planes; ++p)
      change = std::max(change, std::fabs(next[p] - alpha[p]));
    std::copy(next, next + kMaxPlanes, alpha);
    if (change < options.tolerance)
      break;
  }
  std::copy(alpha, alpha + kMaxPlanes, fit.alpha);
  return fit;
}
