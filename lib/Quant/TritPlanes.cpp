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
// Beyond the paper (each addition only ever lowers the error):
// - at a fixed point of the paper's two steps, every plane is refitted
//   jointly (scale and codes, the other planes fixed) with the exact
//   threshold search, and the iteration continues if that helped;
// - the fit runs from the paper's sign(w) start and from a greedy residual
//   start and keeps the better result, and groups with few distinct
//   magnitudes (candidates for being exactly Σ α_p t_p) also run from starts
//   read off their extreme values, so that such groups are recovered exactly.
//
// Codes are kept plane-major as floats so the inner loops vectorize.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/LinearAlgebra.h"
#include "tern/Quant/Methods.h"
#include "tern/Quant/Parallel.h"

#include <algorithm>
#include <cmath>
#include <utility>

using namespace tern::quant;

namespace {

int combosOf(int planes) {
  int combos = 1;
  for (int p = 0; p < planes; ++p)
    combos *= 3;
  return combos;
}

/// One run of the alternation: codes t (planes x n, values -1/0/1), scales,
/// the error so far.
struct Start {
  std::vector<float> t;
  float alpha[kMaxPlanes] = {0, 0, 0, 0};
  double error = INFINITY;
  std::vector<double> trace;
  int iterations = 0;
  bool done = false;
};

/// Σ_p α_p t_p for every element, into `out`.
void reconstruct(const std::vector<float> &t, const float *alpha, int planes,
                 int64_t n, float *out) {
  for (int64_t j = 0; j < n; ++j)
    out[j] = 0;
  for (int p = 0; p < planes; ++p) {
    const float *tp = &t[p * n];
    float a = alpha[p];
    for (int64_t j = 0; j < n; ++j)
      out[j] += a * tp[j];
  }
}

// The sums below are taken in double with kLanes independent partial sums:
// a fixed order (so results do not depend on the target) that still
// vectorizes, where one running sum would wait on every addition.
constexpr int64_t kLanes = 8;

double addLanes(const double *lanes) {
  double sum = 0;
  for (int64_t l = 0; l < kLanes; ++l)
    sum += lanes[l];
  return sum;
}

/// Σ_j x_j y_j z_j (z ≡ 1 when null), for x_j y_j exact in float (one of
/// them a trit), so that every term is exact in double.
double sumProducts(const float *x, const float *y, const float *z, int64_t n) {
  double lanes[kLanes] = {};
  int64_t j = 0;
  if (z) {
    for (; j + kLanes <= n; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l)
        lanes[l] += double(x[j + l] * y[j + l]) * double(z[j + l]);
    for (; j < n; ++j)
      lanes[j % kLanes] += double(x[j] * y[j]) * double(z[j]);
  } else {
    for (; j + kLanes <= n; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l)
        lanes[l] += double(x[j + l] * y[j + l]);
    for (; j < n; ++j)
      lanes[j % kLanes] += double(x[j] * y[j]);
  }
  return addLanes(lanes);
}

/// Σ_j h_j (w_j − v_j)² in double (h ≡ 1 when null).
double squaredError(const float *w, const float *v, const float *h, int64_t n) {
  double lanes[kLanes] = {};
  int64_t j = 0;
  auto term = [&](int64_t i) {
    double d = double(w[i]) - double(v[i]);
    return (h ? double(h[i]) : 1.0) * d * d;
  };
  if (h) {
    for (; j + kLanes <= n; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) {
        double d = double(w[j + l]) - double(v[j + l]);
        lanes[l] += double(h[j + l]) * d * d;
      }
  } else {
    for (; j + kLanes <= n; j += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) {
        double d = double(w[j + l]) - double(v[j + l]);
        lanes[l] += d * d;
      }
  }
  for (; j < n; ++j)
    lanes[j % kLanes] += term(j);
  return addLanes(lanes);
}

/// Σ h (w − Σ_p α_p t_p)².
double planeError(const float *w, const float *h, int64_t n, int planes,
                  const std::vector<float> &t, const float *alpha,
                  std::vector<float> &scratch) {
  scratch.resize(n);
  reconstruct(t, alpha, planes, n, scratch.data());
  return squaredError(w, scratch.data(), h, n);
}

/// The single-plane threshold fit of `residual` and its codes as trits.
GroupFit fitPlane(const float *residual, const float *h, int64_t n,
                  float *trits) {
  GroupFit plane = fitThreshold(Threshold::Calibrated, residual, h, n);
  thread_local std::vector<uint8_t> codes;
  codes.resize(n);
  encodeValues(plane, residual, n, /*signedZeros=*/false, codes.data(), n);
  for (int64_t j = 0; j < n; ++j)
    trits[j] = float(codeValue(codes[j]));
  releaseIfLarge(codes);
  return plane;
}

/// Plane step: with the other planes fixed, (α_p, t_p) jointly is a
/// single-plane problem the exact threshold fit solves. Applies each plane's
/// refit that lowers `error`; returns whether any did.
bool refitPlanes(const float *w, const float *h, int64_t n, int planes,
                 std::vector<float> &t, float *alpha, double &error,
                 std::vector<float> &scratch) {
  bool improved = false;
  thread_local std::vector<float> residual, candidate;
  residual.resize(n);
  candidate.resize(n);
  for (int p = 0; p < planes; ++p) {
    float others[kMaxPlanes];
    std::copy(alpha, alpha + kMaxPlanes, others);
    others[p] = 0;
    reconstruct(t, others, planes, n, residual.data());
    for (int64_t j = 0; j < n; ++j)
      residual[j] = w[j] - residual[j];
    GroupFit plane = fitPlane(residual.data(), h, n, candidate.data());
    float scales[kMaxPlanes];
    std::copy(alpha, alpha + kMaxPlanes, scales);
    scales[p] = plane.alpha[0];
    // The trial's error as planeError takes it: Σ_q α_q t_q in plane order.
    std::swap_ranges(candidate.begin(), candidate.end(), t.begin() + p * n);
    double trialError = planeError(w, h, n, planes, t, scales, scratch);
    if (trialError < error) {
      error = trialError;
      alpha[p] = scales[p];
      improved = true;
    } else {
      std::swap_ranges(candidate.begin(), candidate.end(), t.begin() + p * n);
    }
  }
  releaseIfLarge(residual);
  releaseIfLarge(candidate);
  return improved;
}

/// Runs up to `budget` more iterations on `start`, until the scales settle
/// (the paper's rule), the error stops falling, or options.maxIterations.
void refine(const float *w, const float *h, int64_t n, int planes, Start &start,
            int budget, const TritPlaneOptions &options) {
  std::vector<float> &t = start.t;
  float *alpha = start.alpha;
  // recon = Σ_p α_p t_p for the codes and the scales in use.
  std::vector<float> recon(n), scratch(n), best(n);
  double error = planeError(w, h, n, planes, t, alpha, scratch);
  int combos = combosOf(planes);

  for (; budget > 0 && !start.done; --budget) {
    double before = error;
    // 2. Scale step: α = (SᵀDS + λI)⁻¹ SᵀDw.
    double a[kMaxPlanes * kMaxPlanes] = {}, b[kMaxPlanes] = {};
    for (int p = 0; p < planes; ++p) {
      const float *tp = &t[p * n];
      b[p] = sumProducts(tp, w, h, n);
      for (int q = 0; q <= p; ++q)
        a[p * planes + q] = a[q * planes + p] =
            sumProducts(tp, &t[q * n], h, n);
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
    reconstruct(t, next, planes, n, recon.data());
    double nextError = squaredError(w, recon.data(), h, n);
    if (nextError > error) {
      std::copy(alpha, alpha + kMaxPlanes, next); // keep the better scales
      reconstruct(t, next, planes, n, recon.data());
    } else {
      error = nextError;
    }

    // 3. Topology step: the nearest of the 3^P values, per element; ties
    // keep the current codes. The minimum distance is found first (a loop
    // that vectorizes); only elements that move look for their new codes.
    // (Tracking the nearest index in the same loop makes it a select the
    // vectorizer declines: 1.5x slower.)
    float values[kMaxCombinations];
    for (int index = 0; index < combos; ++index) {
      float v = 0;
      for (int p = 0, rest = index; p < planes; ++p, rest /= 3)
        v += next[p] * float(rest % 3 - 1);
      values[index] = v;
    }
    float *__restrict current = scratch.data();
    float *__restrict nearest = best.data();
    for (int64_t j = 0; j < n; ++j) {
      current[j] = (w[j] - recon[j]) * (w[j] - recon[j]);
      nearest[j] = current[j];
    }
    for (int index = 0; index < combos; ++index) {
      float v = values[index];
      for (int64_t j = 0; j < n; ++j)
        nearest[j] = std::min(nearest[j], (w[j] - v) * (w[j] - v));
    }
    for (int64_t j = 0; j < n; ++j) {
      if (!(nearest[j] < current[j]))
        continue;
      int index = 0;
      while ((w[j] - values[index]) * (w[j] - values[index]) != nearest[j])
        ++index;
      for (int p = 0, rest = index; p < planes; ++p, rest /= 3)
        t[p * n + j] = float(rest % 3 - 1);
      recon[j] = values[index]; // summed in plane order, as reconstruct does
    }
    error = squaredError(w, recon.data(), h, n);
    start.trace.push_back(error);

    // 4. Stop when the scales settle or nothing improves any more; at such
    // a fixed point, try the plane step before giving up.
    float change = 0;
    for (int p = 0; p < planes; ++p)
      change = std::max(change, std::fabs(next[p] - alpha[p]));
    std::copy(next, next + kMaxPlanes, alpha);
    ++start.iterations;
    bool settled = change < options.tolerance || !(error < before);
    if (settled && planes > 1)
      settled = !refitPlanes(w, h, n, planes, t, alpha, error, scratch);
    start.done = settled || start.iterations >= options.maxIterations;
  }
  start.error = error;
}

/// A start with scales `alpha` and the nearest codes for them.
void encodeStart(const float *w, int64_t n, int planes, Start &start) {
  GroupFit fit;
  fit.planes = planes;
  std::copy(start.alpha, start.alpha + kMaxPlanes, fit.alpha);
  std::vector<uint8_t> codes(planes * n);
  encodeValues(fit, w, n, /*signedZeros=*/false, codes.data(), n);
  start.t.resize(planes * n);
  for (int64_t j = 0; j < planes * n; ++j)
    start.t[j] = float(codeValue(codes[j]));
}

} // namespace

GroupFit tern::quant::fitTritPlanes(const float *w, const float *h, int64_t n,
                                    const TritPlaneOptions &options,
                                    std::vector<double> *trace) {
  int planes = std::clamp(options.planes, 1, kMaxPlanes);
  std::vector<Start> starts;

  // The paper's start: t_p = sign(w) with zeros -> +1, α = 1.
  Start &paper = starts.emplace_back();
  paper.t.resize(planes * n);
  for (int p = 0; p < planes; ++p)
    for (int64_t j = 0; j < n; ++j)
      paper.t[p * n + j] = w[j] < 0 ? -1.0f : 1.0f;
  std::fill(paper.alpha, paper.alpha + kMaxPlanes, 1.0f);

  // A greedy start: each plane is the exact threshold fit of what the planes
  // before it leave.
  Start &greedy = starts.emplace_back();
  greedy.t.resize(planes * n);
  std::vector<float> residual(w, w + n);
  for (int p = 0; p < planes; ++p) {
    float *tp = &greedy.t[p * n];
    GroupFit plane = fitPlane(residual.data(), h, n, tp);
    greedy.alpha[p] = plane.alpha[0];
    for (int64_t j = 0; j < n; ++j)
      residual[j] -= plane.alpha[0] * tp[j];
  }

  // Starts from the extremes of groups that may be exactly Σ α_p t_p (at
  // most (3^P + 1) / 2 distinct magnitudes): the smallest plane scale is one
  // of the three smallest distinct non-zero |w| and the larger planes split
  // what is left of the largest |w| as 2^(P-2) : ... : 2 : 1.
  if (planes > 1) {
    // The distinct non-zero magnitudes, collected until there are too many
    // (real weights have thousands: the scan stops early).
    size_t limit = size_t(combosOf(planes) + 1) / 2;
    std::vector<float> magnitudes;
    bool few = true;
    for (int64_t j = 0; few && j < n; ++j) {
      float m = std::fabs(w[j]);
      if (m == 0 || std::find(magnitudes.begin(), magnitudes.end(), m) !=
                        magnitudes.end())
        continue;
      magnitudes.push_back(m);
      few = magnitudes.size() <= limit;
    }
    std::sort(magnitudes.begin(), magnitudes.end());
    float parts = float((1 << (planes - 1)) - 1);
    for (size_t i = 0; few && i < 3 && i + 1 < magnitudes.size(); ++i) {
      Start &extreme = starts.emplace_back();
      extreme.alpha[planes - 1] = magnitudes[i];
      float rest = magnitudes.back() - magnitudes[i];
      for (int p = 0; p < planes - 1; ++p)
        extreme.alpha[p] = rest * float(1 << (planes - 2 - p)) / parts;
      encodeStart(w, n, planes, extreme);
    }
  }

  // Run every start to the end and keep the best (ties: the earlier one).
  size_t best = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    refine(w, h, n, planes, starts[i], options.maxIterations, options);
    if (starts[i].error < starts[best].error)
      best = i;
  }
  if (trace)
    trace->insert(trace->end(), starts[best].trace.begin(),
                  starts[best].trace.end());
  GroupFit fit;
  fit.planes = planes;
  std::copy(starts[best].alpha, starts[best].alpha + kMaxPlanes, fit.alpha);
  return fit;
}
