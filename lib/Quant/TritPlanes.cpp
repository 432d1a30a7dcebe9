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
// Beyond the paper, each iteration also refits every plane jointly (scale
// and codes, the others fixed) with the exact threshold search, and the fit
// starts twice, from the paper's sign(w) start and from a greedy residual
// start, keeping the better result (and a third start, below). Both only ever
// lower the error; they make an exactly representable group recover exactly,
// where the paper's alternation can stop in a local minimum.
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

/// Alternates scale and topology steps from codes `t` (n x planes) and
/// scales `alpha` until the scales settle; returns the final error.
double refine(const float *w, const float *h, int64_t n, int planes,
              std::vector<int8_t> &t, float *alpha,
              const TritPlaneOptions &options, std::vector<double> *trace) {
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

    // Plane step: with the other planes fixed, (α_p, t_p) jointly is a
    // single-plane problem the exact threshold fit solves; this moves past
    // the local minima the per-element search alone stops in.
    if (planes > 1) {
      std::vector<float> residual(n);
      for (int p = 0; p < planes; ++p) {
        for (int64_t j = 0; j < n; ++j) {
          float others = 0;
          for (int q = 0; q < planes; ++q)
            if (q != p)
              others += next[q] * float(t[j * planes + q]);
          residual[j] = w[j] - others;
        }
        GroupFit plane =
            fitThreshold(Threshold::Calibrated, residual.data(), h, n);
        std::vector<int8_t> candidate = t;
        for (int64_t j = 0; j < n; ++j) {
          uint8_t code;
          encodeValue(plane, residual[j], false, &code);
          candidate[j * planes + p] = int8_t(codeValue(code));
        }
        float scales[kMaxPlanes];
        std::copy(next, next + kMaxPlanes, scales);
        scales[p] = plane.alpha[0];
        double candidateError =
            planeError(w, h, n, planes, candidate.data(), scales);
        if (candidateError < error) {
          error = candidateError;
          t.swap(candidate);
          next[p] = scales[p];
        }
      }
    }
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
  return error;
}

} // namespace

GroupFit tern::quant::fitTritPlanes(const float *w, const float *h, int64_t n,
                                    const TritPlaneOptions &options,
                                    std::vector<double> *trace) {
  int planes = std::clamp(options.planes, 1, kMaxPlanes);

  // The paper's start: t_p = sign(w) with zeros -> +1, α = 1.
  std::vector<int8_t> paperCodes(n * planes);
  for (int64_t j = 0; j < n; ++j)
    for (int p = 0; p < planes; ++p)
      paperCodes[j * planes + p] = w[j] < 0 ? -1 : 1;
  float paperAlpha[kMaxPlanes] = {1, 1, 1, 1};
  std::vector<double> paperTrace;
  double paperError = refine(w, h, n, planes, paperCodes, paperAlpha, options,
                             trace ? &paperTrace : nullptr);

  // A second start that escapes the paper's local minima: each plane is the
  // exact threshold fit of what the planes before it leave.
  std::vector<int8_t> greedyCodes(n * planes);
  float greedyAlpha[kMaxPlanes] = {0, 0, 0, 0};
  std::vector<float> residual(w, w + n);
  for (int p = 0; p < planes; ++p) {
    GroupFit plane = fitThreshold(Threshold::Calibrated, residual.data(), h, n);
    greedyAlpha[p] = plane.alpha[0];
    for (int64_t j = 0; j < n; ++j) {
      uint8_t code;
      encodeValue(plane, residual[j], false, &code);
      greedyCodes[j * planes + p] = int8_t(codeValue(code));
      residual[j] -= plane.alpha[0] * float(codeValue(code));
    }
  }
  std::vector<double> greedyTrace;
  double greedyError = refine(w, h, n, planes, greedyCodes, greedyAlpha,
                              options, trace ? &greedyTrace : nullptr);

  // Starts from the extremes of the group: the smallest plane scale is one
  // of the three smallest distinct non-zero |w| and the larger planes split
  // what is left of the largest |w|. A group that is exactly Σ α_p t_p has
  // at most a few distinct magnitudes, and one of these starts is then the
  // true set of scales.
  std::vector<float> magnitudes;
  magnitudes.reserve(n);
  for (int64_t j = 0; j < n; ++j)
    if (w[j] != 0)
      magnitudes.push_back(std::fabs(w[j]));
  std::sort(magnitudes.begin(), magnitudes.end());
  magnitudes.erase(std::unique(magnitudes.begin(), magnitudes.end()),
                   magnitudes.end());
  float extremeAlpha[kMaxPlanes] = {0, 0, 0, 0};
  double extremeError = INFINITY;
  std::vector<double> extremeTrace;
  for (size_t i = 0; planes > 1 && i < 3 && i + 1 < magnitudes.size(); ++i) {
    float alpha[kMaxPlanes] = {0, 0, 0, 0};
    alpha[planes - 1] = magnitudes[i];
    float rest = magnitudes.back() - magnitudes[i];
    // Split the rest as 2^(P-2) : ... : 2 : 1 over the larger planes.
    float parts = float((1 << (planes - 1)) - 1);
    for (int p = 0; p < planes - 1; ++p)
      alpha[p] = rest * float(1 << (planes - 2 - p)) / parts;
    GroupFit start;
    start.planes = planes;
    std::copy(alpha, alpha + kMaxPlanes, start.alpha);
    std::vector<int8_t> codes(n * planes);
    uint8_t code[kMaxPlanes];
    for (int64_t j = 0; j < n; ++j) {
      encodeValue(start, w[j], false, code);
      for (int p = 0; p < planes; ++p)
        codes[j * planes + p] = int8_t(codeValue(code[p]));
    }
    std::vector<double> startTrace;
    double error = refine(w, h, n, planes, codes, alpha, options,
                          trace ? &startTrace : nullptr);
    if (error < extremeError) {
      extremeError = error;
      std::copy(alpha, alpha + kMaxPlanes, extremeAlpha);
      extremeTrace.swap(startTrace);
    }
  }

  // Keep the best start; ties go to the earlier one.
  const float *best = paperAlpha;
  std::vector<double> *bestTrace = &paperTrace;
  double bestError = paperError;
  if (greedyError < bestError) {
    best = greedyAlpha, bestTrace = &greedyTrace, bestError = greedyError;
  }
  if (extremeError < bestError) {
    best = extremeAlpha, bestTrace = &extremeTrace, bestError = extremeError;
  }
  if (trace)
    trace->insert(trace->end(), bestTrace->begin(), bestTrace->end());
  GroupFit fit;
  fit.planes = planes;
  std::copy(best, best + kMaxPlanes, fit.alpha);
  return fit;
}
