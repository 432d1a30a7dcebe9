//===- Thresholds.cpp - balanced ternary threshold rules ------------------===//
//
// This file implements the threshold rules of balanced ternary. `mse` and
// `calibrated` are one exact algorithm: for a fixed kept set S the best
// scale is α = Σ_S h|w| / Σ_S h and the error falls by (Σ_S h|w|)² / Σ_S h,
// and the best S is always {|w| > α/2}, a prefix of |w| sorted in decreasing
// order. Scanning the prefixes that end between two distinct magnitudes
// therefore finds the global optimum; fitExact does it without sorting all
// of them (PTQTP calls it for every plane step, and spent most of its time
// sorting).
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Methods.h"
#include "tern/Quant/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
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

/// A prefix of the non-zero magnitudes in decreasing order: Σ h|w|, Σ h and
/// its length.
struct Prefix {
  double num = 0, den = 0;
  int64_t count = 0;
};

/// Whether keeping prefix `a` lowers the error more than keeping `b`: a
/// larger gain num² / den (compared without dividing), on ties the shorter.
bool better(const Prefix &a, const Prefix &b) {
  double lhs = a.num * a.num * b.den, rhs = b.num * b.num * a.den;
  return lhs > rhs || (lhs == rhs && a.count < b.count);
}

/// Magnitudes grouped by their leading 12 bits (sign, exponent and three
/// mantissa bits): a bucket spans less than 12.5 % of its values, and every
/// magnitude in a bucket is larger than every one in the buckets below.
constexpr int kBucketShift = 20;
constexpr int kBuckets = 1 << (31 - kBucketShift); // the sign bit is 0

int bucketOf(float magnitude) {
  uint32_t bits;
  std::memcpy(&bits, &magnitude, sizeof(bits));
  return int(bits >> kBucketShift);
}

struct Bucket {
  double num = 0, den = 0;
  int64_t count = 0;
  float lo = INFINITY, hi = 0;
  /// The magnitudes in the buckets above.
  Prefix above;
  bool examine = false;
};

/// An upper bound on the gain of a prefix that ends inside `bucket`, after
/// `above`. With weight x of the bucket kept, the kept magnitude is at most
/// hi·x and at most num − lo·(den − x). The gain (above.num + kept)² /
/// (above.den + x) with either line for `kept` is quasi-convex in x, so
/// for any split s the first line's values at 0 and s and the second's at
/// s and den bound every prefix (0 is the end of the bucket above, which is
/// no better than the best). Any s is valid, so rounding in the split, taken
/// where the lines meet (the tightest), cannot make the bound too small.
double interiorBound(const Bucket &bucket) {
  const Prefix &above = bucket.above;
  double lo = bucket.lo, hi = bucket.hi;
  double split =
      std::clamp((bucket.num - lo * bucket.den) / (hi - lo), 0.0, bucket.den);
  auto gain = [&](double x, double kept) {
    double den = above.den + x, num = above.num + kept;
    return den > 0 ? num * num / den : 0.0;
  };
  double below = std::max(0.0, bucket.num - lo * (bucket.den - split));
  return std::max({gain(split, hi * split), gain(split, below),
                   gain(bucket.den, bucket.num)});
}

/// Exact minimiser of Σ h (w − α t)² over thresholds and scales: the best
/// prefix of the non-zero |w| in decreasing order that ends between two
/// distinct magnitudes. Rather than sorting every magnitude, it buckets
/// them on their leading bits (one pass), takes the gains at bucket ends
/// exactly, and sorts only the buckets whose interior could still hold a
/// better prefix by interiorBound: a few dozen magnitudes of thousands.
GroupFit fitExact(const float *w, const float *h, int64_t n) {
  thread_local std::vector<Bucket> buckets(kBuckets);
  int top = -1, bottom = kBuckets;
  for (int64_t j = 0; j < n; ++j) {
    if (w[j] == 0.0f)
      continue; // zeros add weight and no magnitude: never kept
    float m = std::fabs(w[j]);
    int b = bucketOf(m);
    Bucket &bucket = buckets[b];
    double weight = weightOf(h, j);
    bucket.num += weight * double(m);
    bucket.den += weight;
    ++bucket.count;
    bucket.lo = std::min(bucket.lo, m);
    bucket.hi = std::max(bucket.hi, m);
    top = std::max(top, b);
    bottom = std::min(bottom, b);
  }

  // Bucket ends: exact gains. `bestEnd` is the bucket the best one closes.
  Prefix running, best;
  bool found = false;
  int bestEnd = -1;
  for (int b = top; b >= bottom; --b) {
    Bucket &bucket = buckets[b];
    if (!bucket.count)
      continue;
    bucket.above = running;
    running.num += bucket.num;
    running.den += bucket.den;
    running.count += bucket.count;
    if (running.den > 0 && (!found || better(running, best))) {
      best = running;
      bestEnd = b;
      found = true;
    }
  }

  float delta = INFINITY;
  if (found) {
    // Bucket interiors that might beat (or tie) the best end: sorted and
    // scanned. The margin covers rounding in the sums and the bound.
    double bestGain = best.num * best.num / best.den;
    bool any = false;
    for (int b = top; b >= bottom; --b) {
      Bucket &bucket = buckets[b];
      bucket.examine = bucket.count && bucket.lo < bucket.hi &&
                       interiorBound(bucket) >= bestGain * (1 - 1e-6);
      any |= bucket.examine;
    }
    struct Entry {
      float magnitude;
      float weight;
    };
    thread_local std::vector<Entry> entries;
    entries.clear();
    if (any)
      for (int64_t j = 0; j < n; ++j)
        if (w[j] != 0.0f && buckets[bucketOf(std::fabs(w[j]))].examine)
          entries.push_back({std::fabs(w[j]), h ? h[j] : 1.0f});
    std::sort(entries.begin(), entries.end(),
              [](const Entry &a, const Entry &b) {
                return a.magnitude > b.magnitude;
              });
    float bestNext = -1; // the first dropped magnitude, inside a bucket
    for (size_t i = 0; i < entries.size();) {
      // One examined bucket: entries[i, end).
      const Bucket &bucket = buckets[bucketOf(entries[i].magnitude)];
      Prefix prefix = bucket.above;
      size_t end = i + size_t(bucket.count);
      for (; i + 1 < end; ++i) {
        prefix.num += double(entries[i].weight) * double(entries[i].magnitude);
        prefix.den += double(entries[i].weight);
        ++prefix.count;
        if (entries[i + 1].magnitude < entries[i].magnitude && prefix.den > 0 &&
            better(prefix, best)) {
          best = prefix;
          bestNext = entries[i + 1].magnitude;
        }
      }
      i = end;
    }
    releaseIfLarge(entries);
    // Everything strictly above the first dropped magnitude is kept.
    if (bestNext >= 0) {
      delta = bestNext;
    } else {
      delta = 0;
      for (int b = bestEnd - 1; b >= bottom; --b)
        if (buckets[b].count) {
          delta = buckets[b].hi;
          break;
        }
    }
  }
  for (int b = bottom; b <= top; ++b)
    buckets[b] = Bucket();

  GroupFit fit;
  if (!found || best.num <= 0) {
    fit.delta = INFINITY;
    return fit;
  }
  fit.delta = delta;
  fit.alpha[0] = float(best.num / best.den);
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
