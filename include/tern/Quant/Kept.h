//===- Kept.h - weights of layers kept out of the ternary set ---*- C++ -*-===//
//
// This file declares how a layer that a configuration keeps out of the
// ternary set (exclude=, or a layer allocation keeps) is stored: int8 codes
// with one scale per output channel, f16 values, or f32 as imported
// (tern-ternarize keep=, docs/Quantization.md "Kept layers").
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_KEPT_H
#define TERN_QUANT_KEPT_H

#include "tern/Quant/Ternary.h"

#include <cstdint>
#include <vector>

namespace tern::quant {

/// How a kept layer's weights are stored.
enum class KeptFormat { Int8, F16, F32 };

/// The format's name ("int8", "f16", "f32").
const char *keptFormatName(KeptFormat format);

/// A kept layer's weights, rows x cols (output channels x K):
/// Int8: Ŵ[r, k] = scales[r] · codes[r, k], codes in [-127, 127];
/// F16 and F32: Ŵ = values (rounded to f16 for F16).
struct KeptWeights {
  KeptFormat format = KeptFormat::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int8_t> codes;
  /// One per row (Int8 only).
  std::vector<float> scales;
  /// rows x cols (F16 and F32 only).
  std::vector<float> values;
  /// Bits each scale is stored in: 16 when every nonzero scale lies in
  /// f16's normal range (rounded to it before the codes are chosen), else 32.
  int scaleBits = 32;

  /// Ŵ as a rows x cols matrix.
  std::vector<float> dequantize() const;
  /// Bits per weight as stored: 8 plus the row's scale for Int8, 16 or 32.
  double bitsPerWeight() const;
  /// The stored elements' bytes (int8 codes, or f16 values little-endian;
  /// not for F32), rows x cols row-major or, `transposed`, cols x rows.
  std::vector<uint8_t> bytes(bool transposed) const;
};

/// `w` stored as `format`. Int8 is symmetric per output channel: the scale
/// is max |w[r, :]| / 127 and each code the nearest integer to w / scale.
/// F16 rounds each value to the nearest f16 (ties to even); a layer with a
/// value beyond f16's range (|w| > 65504) is kept as F32 instead (the
/// result's format says which).
KeptWeights keepWeights(MatrixRef w, KeptFormat format);

/// Measures `kept` against `w` as measure() does a ternary approximation
/// (zeroFraction counts zero int8 codes; 0 for f16 and f32).
ErrorReport measure(MatrixRef w, const float *h, const KeptWeights &kept);

} // namespace tern::quant

#endif // TERN_QUANT_KEPT_H
