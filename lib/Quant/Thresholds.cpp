//===- Thresholds.cpp - balanced ternary threshold rules ------------------===//
//
// This file implements the threshold rules of balanced ternary. `mse` and
// `calibrated` are one exact algorithm: for a fixed kept set S the best
// scale is α = Σ_S h|w| / Σ_S h and the error falls by (Σ_S h|w|)² / Σ_S h,
// and the best S is always {|w| > α/2}, a prefix of |w| sorted in decreasing
// order. Scanning the prefixes that end between two distinct magnitudes
// therefore finds the global optimum in O(n log n).
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Methods.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace tern::quant;

namespace {

double weightOf(const float *h, int64_t j) { return h ? double(h[j]) : 1.0; }

/// The weighted-optimal scale of the set {|w| > delta}.
float keptScale(const float *w, const float *h, int64_t n, float delta) {
  double num = 0, den = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (std::fabs(w[j]) > delta) {
      num += weightOf(h, j) * std::fabs(double(w[j]));
      den += weightOf(h, j);
    }
  }
  return den > 0 ? float(num / den) : 0.0f;
}

/// Exact minimiser of Σ h (w − α t)² over thresholds and scales.
GroupFit fitExact(const float *w, const float *h, int64_t n) {
  // Sorted (magnitude, weight) pairs, largest magnitude first. Only sums at
  // boundaries between distinct magnitudes are used, so the order of equal
  // magnitudes does not matter. The buffer is reused: this runs once per
  // plane per iteration of PTQTP.
  struct Entry {
    float magnitude;
    float weight;
  };
  thread_local std::vector<Entry> entries;
  entries.clear();
  for (int64_t j = 0; j < n; ++j)
    if (w[j] != 0.0f) // zeros never help: they add weight and no magnitude
      entries.push_back({std::fabs(w[j]), h ? h[j] : 1.0f});
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.magnitude > b.magnitude;
  });
  double num = 0, den = 0, bestGain = 0;
  size_t bestCount = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    num += double(entries[i].weight) * double(entries[i].magnitude);
    den += double(entries[i].weight);
    bool boundary = i + 1 == entries.size() ||
                    entries[i + 1].magnitude < entries[i].magnitude;
    if (!boundary || den <= 0)
      continue;
    double gain = num * num / den;
    if (gain > bestGain) {
      bestGain = gain;
      bestCount = i + 1;
    }
  }
  GroupFit fit;
  // Everything strictly above the first dropped magnitude is kept.
  fit.delta = bestCount == 0                ? INFINITY
              : bestCount == entries.size() ? 0.0f
                                            : entries[bestCount].magnitude;
  fit.alpha[0] = keptScale(w, h, n, fit.delta);
  return fit;
}

double meanAbs(const float *w, int64_t n) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j)
    sum += std::fabs(double(w[j]));
  return n ? sum / double(n) : 0.0;
}

} // namespace

GroupFit tern::quant::fitThreshold(Threshold kind, const float *w,
                                   const float *h, int64_t n) {
  GroupFit fit;
  switch (kind) {
  case Threshold::MSE:
    return fitExact(w, nullptr, n);
  case Threshold::Calibrated:
    return fitExact(w, h, n);
  case Threshold::AbsMean: {
    float gamma = float(meanAbs(w, n));
    fit.alpha[0] = gamma;
    fit.delta = gamma * 0.5f;
    return fit;
  }
  case Threshold::TWN:
    fit.delta = float(0.7 * meanAbs(w, n));
    break;
  case Threshold::Sigma: {
    double mean = 0, sq = 0;
    for (int64_t j = 0; j < n; ++j)
      mean += w[j];
    mean = n ? mean / double(n) : 0.0;
    for (int64_t j = 0; j < n; ++j)
      sq += (w[j] - mean) * (w[j] - mean);
    fit.delta = float(n ? std::sqrt(sq / double(n)) : 0.0);
    break;
  }
  }
  fit.alpha[0] = keptScale(w, h, n, fit.delta);
  return fit;
}
