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
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
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
/// Scans the prefixes of `magnitude` (sorted in decreasing order, with
/// weights `weight`, or 1 when null) that end between distinct magnitudes
/// and returns the fit of the best one.
GroupFit bestPrefix(const float *magnitude, const float *weight, size_t n) {
  double num = 0, den = 0, bestNum = 0, bestDen = 0;
  size_t bestCount = 0;
  for (size_t i = 0; i < n; ++i) {
    double h = weight ? double(weight[i]) : 1.0;
    num += h * double(magnitude[i]);
    den += h;
    bool boundary = i + 1 == n || magnitude[i + 1] < magnitude[i];
    // The gain num² / den, compared without dividing.
    if (boundary && den > 0 &&
        (bestCount == 0 || num * num * bestDen > bestNum * bestNum * den)) {
      bestNum = num;
      bestDen = den;
      bestCount = i + 1;
    }
  }
  GroupFit fit;
  if (bestCount == 0 || bestNum <= 0) {
    fit.delta = INFINITY;
    return fit;
  }
  // Everything strictly above the first dropped magnitude is kept.
  fit.delta = bestCount == n ? 0.0f : magnitude[bestCount];
  fit.alpha[0] = float(bestNum / bestDen);
  return fit;
}

/// Sorts non-negative floats in decreasing order. Their bit patterns order
/// like unsigned integers, so a radix sort on the complemented bits (three
/// 11-bit digits, skipping digits all keys share) gives the same sequence
/// as std::sort, in linear time: PTQTP spends most of its time here.
void sortDescending(std::vector<float> &values) {
  size_t n = values.size();
  if (n < 64) {
    std::sort(values.begin(), values.end(), std::greater<float>());
    return;
  }
  thread_local std::vector<uint32_t> keys, scratch;
  keys.resize(n);
  scratch.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], sizeof(bits));
    keys[i] = ~bits;
  }
  constexpr int kDigitBits = 11;
  constexpr uint32_t kDigits = 1u << kDigitBits;
  for (int shift = 0; shift < 32; shift += kDigitBits) {
    uint32_t count[kDigits] = {};
    for (uint32_t key : keys)
      ++count[(key >> shift) & (kDigits - 1)];
    if (count[(keys[0] >> shift) & (kDigits - 1)] == n)
      continue; // every key has this digit
    uint32_t start = 0;
    for (uint32_t &c : count)
      start += std::exchange(c, start);
    for (uint32_t key : keys)
      scratch[count[(key >> shift) & (kDigits - 1)]++] = key;
    keys.swap(scratch);
  }
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = ~keys[i];
    std::memcpy(&values[i], &bits, sizeof(bits));
  }
}

GroupFit fitExact(const float *w, const float *h, int64_t n) {
  // Zeros never help (they add weight and no magnitude), so only non-zero
  // weights are sorted. Only sums at boundaries between distinct magnitudes
  // are used, so the order of equal magnitudes does not matter. Buffers are
  // reused: PTQTP calls this for every plane step.
  thread_local std::vector<float> magnitudes;
  magnitudes.clear();
  if (!h) {
    for (int64_t j = 0; j < n; ++j)
      if (w[j] != 0.0f)
        magnitudes.push_back(std::fabs(w[j]));
    sortDescending(magnitudes);
    return bestPrefix(magnitudes.data(), nullptr, magnitudes.size());
  }
  struct Entry {
    float magnitude;
    float weight;
  };
  thread_local std::vector<Entry> entries;
  thread_local std::vector<float> weights;
  entries.clear();
  for (int64_t j = 0; j < n; ++j)
    if (w[j] != 0.0f)
      entries.push_back({std::fabs(w[j]), h[j]});
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.magnitude > b.magnitude;
  });
  weights.clear();
  for (const Entry &e : entries) {
    magnitudes.push_back(e.magnitude);
    weights.push_back(e.weight);
  }
  return bestPrefix(magnitudes.data(), weights.data(), magnitudes.size());
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
