//===- Ternary.h - ternary approximations of weight matrices ----*- C++ -*-===//
//
// This file declares the representation every ternarization method produces
// and the measurements taken on it. It mirrors the tern dialect: P planes of
// sign/magnitude codes, per-group scales for each plane, optional per-group
// shifts (DLT), groups of `groupSize` along K (0 = the whole row).
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_TERNARY_H
#define TERN_QUANT_TERNARY_H

#include "tern/Quant/Packing.h"

#include <cstdint>
#include <vector>

namespace tern::quant {

/// A read-only row-major matrix of floats: rows are output channels, columns
/// the reduction dimension K.
struct MatrixRef {
  const float *data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;

  const float *row(int64_t r) const { return data + r * cols; }
};

/// The largest number of trit planes any method fits.
constexpr int kMaxPlanes = 4;
/// The most values Σ_p α_p t_p a group can take: 3^kMaxPlanes.
constexpr int kMaxCombinations = 81;

/// W ≈ Ŵ[r, k] = Σ_p scales[p, r, g(k)] · T[p, r, k] + shifts[r, g(k)].
struct TernaryWeights {
  int64_t planes = 1;
  int64_t rows = 0;
  int64_t cols = 0;
  /// Codes per group along K; 0 means one group per row.
  int64_t groupSize = 0;
  /// planes x rows x cols sign/magnitude codes (see Packing.h).
  std::vector<uint8_t> codes;
  /// planes x rows x groups.
  std::vector<float> scales;
  /// rows x groups, or empty when the method has no shifts.
  std::vector<float> shifts;
  /// Bits each scale and shift is stored in: 32 (f32) as fitted, 16 (f16)
  /// once storeScalesAsHalf has rounded them.
  int scaleBits = 32;

  /// Allocates zero codes, unit scales and (if `withShifts`) zero shifts.
  TernaryWeights(int64_t planes, int64_t rows, int64_t cols, int64_t groupSize,
                 bool withShifts);
  TernaryWeights() = default;

  int64_t groups() const;
  int64_t effectiveGroupSize() const { return groupSize ? groupSize : cols; }
  uint8_t &code(int64_t p, int64_t r, int64_t k) {
    return codes[(p * rows + r) * cols + k];
  }
  uint8_t code(int64_t p, int64_t r, int64_t k) const {
    return codes[(p * rows + r) * cols + k];
  }
  float &scale(int64_t p, int64_t r, int64_t g) {
    return scales[(p * rows + r) * groups() + g];
  }
  float scale(int64_t p, int64_t r, int64_t g) const {
    return scales[(p * rows + r) * groups() + g];
  }
  float shift(int64_t r, int64_t g) const {
    return shifts.empty() ? 0.0f : shifts[r * groups() + g];
  }

  /// Ŵ[r, k], computed in float in plane order, as kernels do.
  float value(int64_t r, int64_t k) const;
  /// Ŵ as a rows x cols matrix.
  std::vector<float> dequantize() const;
};

/// Measurements of a ternary approximation against the original weights.
struct ErrorReport {
  /// ‖W − Ŵ‖_F / ‖W‖_F.
  double relativeError = 0;
  /// Σ_j h_j Σ_r (W − Ŵ)² / Σ_j h_j Σ_r W², over importance h per column
  /// (equal to relativeError² when h is null).
  double weightedError = 0;
  /// Fraction of codes that are zero (0+ or 0-), over every plane.
  double zeroFraction = 0;
  /// Bits per weight as stored: packed codes plus scales and shifts of
  /// `scaleBits` each.
  double bitsPerWeight = 0;
};

/// Measures `q` against `w` (same shape). `h` is null or holds one
/// importance per column. Scales and shifts count `q.scaleBits` each.
ErrorReport measure(MatrixRef w, const float *h, const TernaryWeights &q,
                    Packing packing);

/// The relative and h-weighted errors of `approx` (rows x cols, row-major)
/// against `w`; zeroFraction and bitsPerWeight are left 0.
ErrorReport measureApproximation(MatrixRef w, const float *h,
                                 const float *approx);

/// The smallest and largest magnitudes a scale or shift stored as f16
/// keeps at f16's full precision (its normal range).
constexpr float kHalfMin = 6.103515625e-05f; // 2^-14
constexpr float kHalfMax = 65504.0f;

/// Whether `v` is 0 or its magnitude lies in [kHalfMin, kHalfMax]: stored
/// as f16, it keeps f16's full precision.
bool fitsHalf(float v);

/// `v` rounded to the nearest f16 value (ties to even), as a float.
float roundToHalf(float v);

/// Rounds `q`'s scales and shifts to the nearest f16 values (ties to even)
/// and sets q.scaleBits to 16, if every nonzero one lies in
/// [kHalfMin, kHalfMax]; otherwise leaves them f32 (scaleBits 32). Returns
/// whether they are now f16. What is measured is then what is stored.
bool storeScalesAsHalf(TernaryWeights &q);

/// SZT's straight-through gradient for training resumed from a quantized
/// model: passes g where the code is ±1 and sign(q)·g inside the dead zone,
/// with sign(0+) = +1 and sign(0-) = -1. `codes`, `grad` and `out` hold n
/// entries.
void sztStraightThroughGradient(const uint8_t *codes, const float *grad,
                                int64_t n, float *out);

} // namespace tern::quant

#endif // TERN_QUANT_TERNARY_H
