//===- Ternary.cpp - ternary approximations of weight matrices ------------===//
//
// This file implements the representation shared by every method, its
// measurements, and the per-value encoding rules all methods use.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Ternary.h"
#include "tern/Quant/Methods.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>

using namespace tern::quant;

TernaryWeights::TernaryWeights(int64_t planes, int64_t rows, int64_t cols,
                               int64_t groupSize, bool withShifts)
    : planes(planes), rows(rows), cols(cols), groupSize(groupSize),
      codes(planes * rows * cols, kZeroPos),
      scales(planes * rows * groups(), 1.0f),
      shifts(withShifts ? rows * groups() : 0, 0.0f) {}

int64_t TernaryWeights::groups() const {
  return groupSize && cols ? cols / groupSize : 1;
}

float TernaryWeights::value(int64_t r, int64_t k) const {
  int64_t g = k / effectiveGroupSize();
  float v = 0;
  for (int64_t p = 0; p < planes; ++p)
    v += scale(p, r, g) * float(codeValue(code(p, r, k)));
  return v + shift(r, g);
}

std::vector<float> TernaryWeights::dequantize() const {
  std::vector<float> w(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      w[r * cols + k] = value(r, k);
  return w;
}

namespace {

/// The errors of Ŵ (given by `value(r, k)`) against `w`.
template <typename Value>
ErrorReport errorsOf(MatrixRef w, const float *h, Value value) {
  ErrorReport report;
  double err = 0, norm = 0, werr = 0, wnorm = 0;
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t k = 0; k < w.cols; ++k) {
      double x = w.row(r)[k];
      double d = x - double(value(r, k));
      double hk = h ? h[k] : 1.0;
      err += d * d;
      norm += x * x;
      werr += hk * d * d;
      wnorm += hk * x * x;
    }
  }
  report.relativeError = norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
  report.weightedError = wnorm > 0 ? werr / wnorm : werr;
  return report;
}

} // namespace

ErrorReport tern::quant::measureApproximation(MatrixRef w, const float *h,
                                              const float *approx) {
  return errorsOf(w, h,
                  [&](int64_t r, int64_t k) { return approx[r * w.cols + k]; });
}

ErrorReport tern::quant::measure(MatrixRef w, const float *h,
                                 const TernaryWeights &q, Packing packing) {
  ErrorReport report =
      errorsOf(w, h, [&](int64_t r, int64_t k) { return q.value(r, k); });
  int64_t zeros = 0;
  for (uint8_t c : q.codes)
    zeros += codeValue(c) == 0;
  report.zeroFraction =
      q.codes.empty() ? 0.0 : double(zeros) / double(q.codes.size());
  int64_t weights = w.rows * w.cols;
  if (weights > 0) {
    double bits = 8.0 * double(packedBytes(packing, q.planes * q.rows, q.cols));
    bits += double(q.scaleBits) * double(q.scales.size() + q.shifts.size());
    report.bitsPerWeight = bits / double(weights);
  }
  return report;
}

bool tern::quant::fitsHalf(float v) {
  float magnitude = std::fabs(v);
  return v == 0.0f || (magnitude >= kHalfMin && magnitude <= kHalfMax);
}

float tern::quant::roundToHalf(float v) {
  bool losesInfo = false;
  llvm::APFloat value(v);
  value.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
                &losesInfo);
  value.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value.convertToFloat();
}

bool tern::quant::storeScalesAsHalf(TernaryWeights &q) {
  if (!std::all_of(q.scales.begin(), q.scales.end(), fitsHalf) ||
      !std::all_of(q.shifts.begin(), q.shifts.end(), fitsHalf)) {
    q.scaleBits = 32;
    return false;
  }
  auto round = [](float &v) { v = roundToHalf(v); };
  std::for_each(q.scales.begin(), q.scales.end(), round);
  std::for_each(q.shifts.begin(), q.shifts.end(), round);
  q.scaleBits = 16;
  return true;
}

void tern::quant::sztStraightThroughGradient(const uint8_t *codes,
                                             const float *grad, int64_t n,
                                             float *out) {
  for (int64_t i = 0; i < n; ++i) {
    uint8_t c = codes[i];
    if (c & 1)
      out[i] = grad[i];
    else
      out[i] = c == kZeroNeg ? -grad[i] : grad[i];
  }
}

//===----------------------------------------------------------------------===//
// Encoding one value
//===----------------------------------------------------------------------===//

void tern::quant::encodeValues(const GroupFit &fit, const float *w, int64_t n,
                               bool signedZeros, uint8_t *codes,
                               int64_t planeStride) {
  if (fit.planes == 1) {
    float delta = fit.delta >= 0 ? fit.delta : std::fabs(fit.alpha[0]) * 0.5f;
    // A negative scale flips which code is nearest.
    bool flip = fit.delta < 0 && fit.alpha[0] < 0;
    // Selects rather than branches, so that the loop vectorizes: a kept
    // weight is ±1 by its sign (flipped for a negative scale), a dropped one
    // 0, or 0- for a negative weight with signed zeros.
    for (int64_t j = 0; j < n; ++j) {
      float r = w[j] - fit.gamma;
      bool negative = r < 0.0f;
      bool kept = std::fabs(r) > delta;
      uint8_t nonZero = negative != flip ? kMinus : kPlus;
      uint8_t zero = signedZeros && negative ? kZeroNeg : kZeroPos;
      codes[j] = kept ? nonZero : zero;
    }
    return;
  }
  // Nearest of the 3^P values Σ α_p c_p, first in enumeration order on ties.
  // The values are summed in plane order, as reconstructValue does.
  float values[kMaxCombinations];
  int total = 1;
  for (int p = 0; p < fit.planes; ++p)
    total *= 3;
  for (int index = 0; index < total; ++index) {
    float v = 0;
    for (int p = 0, rest = index; p < fit.planes; ++p, rest /= 3)
      v += fit.alpha[p] * float(rest % 3 - 1);
    values[index] = v;
  }
  for (int64_t j = 0; j < n; ++j) {
    float r = w[j] - fit.gamma;
    bool negative = r < 0.0f;
    float best = INFINITY;
    int bestIndex = 0;
    for (int index = 0; index < total; ++index) {
      float d = (r - values[index]) * (r - values[index]);
      if (d < best) {
        best = d;
        bestIndex = index;
      }
    }
    for (int p = 0, rest = bestIndex; p < fit.planes; ++p, rest /= 3)
      codes[p * planeStride + j] =
          codeOf(rest % 3 - 1, signedZeros && negative);
  }
}

void tern::quant::encodeValue(const GroupFit &fit, float w, bool signedZeros,
                              uint8_t *codes) {
  encodeValues(fit, &w, 1, signedZeros, codes, /*planeStride=*/1);
}

float tern::quant::reconstructValue(const GroupFit &fit, const uint8_t *codes) {
  float v = 0;
  for (int p = 0; p < fit.planes; ++p)
    v += fit.alpha[p] * float(codeValue(codes[p]));
  return v + fit.gamma;
}

double tern::quant::groupError(const GroupFit &fit, const float *w,
                               const float *h, int64_t n) {
  double err = 0;
  uint8_t codes[kMaxPlanes];
  for (int64_t j = 0; j < n; ++j) {
    encodeValue(fit, w[j], false, codes);
    double d = double(w[j]) - double(reconstructValue(fit, codes));
    err += (h ? h[j] : 1.0) * d * d;
  }
  return err;
}
