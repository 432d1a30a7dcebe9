//===- Methods.h - per-group ternarization methods --------------*- C++ -*-===//
//
// This file declares the methods of ../shared/METHODS.md at the level of one
// group: a vector of n weights w with importances h (null means h ≡ 1). Each
// fits a GroupFit; encodeValue then turns any weight into codes with it, which
// is what lets GPTQ re-encode weights it has updated. Quantize.h applies
// these to whole matrices.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_METHODS_H
#define TERN_QUANT_METHODS_H

#include "tern/Quant/Ternary.h"

#include <cstdint>
#include <vector>

namespace tern::quant {

/// The parameters of one group: ŵ = Σ_p alpha[p] · t_p + gamma.
struct GroupFit {
  int planes = 1;
  float alpha[kMaxPlanes] = {0, 0, 0, 0};
  float gamma = 0;
  /// For single-plane threshold methods: t = sign(w − γ) when |w − γ| > delta.
  /// Negative: codes are the nearest representable value instead.
  float delta = -1;
};

/// Codes of `w` under `fit` in `codes[0 .. fit.planes)`. With `signedZeros`
/// a zero code is 0- when w − γ < 0 (SZT encoding).
void encodeValue(const GroupFit &fit, float w, bool signedZeros,
                 uint8_t *codes);

/// encodeValue for each of `w[0 .. n)`: the codes of w[j] go to
/// `codes[p * planeStride + j]` for each plane p.
void encodeValues(const GroupFit &fit, const float *w, int64_t n,
                  bool signedZeros, uint8_t *codes, int64_t planeStride);

/// ŵ for `codes` under `fit`, in plane order.
float reconstructValue(const GroupFit &fit, const uint8_t *codes);

/// Σ_j h_j (w_j − ŵ_j)² of encoding `w` with `fit`.
double groupError(const GroupFit &fit, const float *w, const float *h,
                  int64_t n);

//===----------------------------------------------------------------------===//
// Balanced ternary thresholds
//===----------------------------------------------------------------------===//

enum class Threshold {
  Sigma,      ///< Δ = σ(w)
  TWN,        ///< Δ = 0.7 · mean|w|
  AbsMean,    ///< α = mean|w|, Δ = α / 2 (BitNet b1.58)
  MSE,        ///< exact minimiser of ‖w − α t‖²
  Calibrated, ///< exact minimiser of Σ h (w − α t)²
};

/// Fits one plane: the threshold Δ of `kind`, then (except for AbsMean) the
/// scale α = Σ_S h|w| / Σ_S h that is optimal for the kept set S.
GroupFit fitThreshold(Threshold kind, const float *w, const float *h,
                      int64_t n);

//===----------------------------------------------------------------------===//
// PTQTP trit planes
//===----------------------------------------------------------------------===//

struct TritPlaneOptions {
  int planes = 2;
  int maxIterations = 50;
  /// Stop when no scale moves by more than this.
  double tolerance = 1e-4;
};

/// Fits `options.planes` trit planes by progressive approximation: ridge
/// scale steps and exhaustive per-element topology steps. Appends the error
/// after each iteration to `trace` when given.
GroupFit fitTritPlanes(const float *w, const float *h, int64_t n,
                       const TritPlaneOptions &options,
                       std::vector<double> *trace = nullptr);

//===----------------------------------------------------------------------===//
// DLT scale and shift
//===----------------------------------------------------------------------===//

struct ShiftOptions {
  int maxIterations = 50;
  double tolerance = 1e-6;
};

/// Fits ŵ = α t + γ by block coordinate descent (codes, then the 2 x 2
/// weighted least squares for α and γ). Appends the error after each
/// iteration to `trace` when given.
GroupFit fitScaleShift(const float *w, const float *h, int64_t n,
                       const ShiftOptions &options,
                       std::vector<double> *trace = nullptr);

//===----------------------------------------------------------------------===//
// Sherry 3:4 sparsity
//===----------------------------------------------------------------------===//

/// Sherry's codes and scale for a group whose size is a multiple of 4: in
/// every 4 consecutive weights the one with the least h·w² becomes 0, the
/// others sign(w); α = Σ_kept h|w| / Σ_kept h. Writes n codes.
GroupFit fitSherry(const float *w, const float *h, int64_t n, uint8_t *codes);

} // namespace tern::quant

#endif // TERN_QUANT_METHODS_H
