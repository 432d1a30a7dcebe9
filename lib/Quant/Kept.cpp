//===- Kept.cpp - weights of layers kept out of the ternary set -----------===//
//
// This file implements int8 and f16 storage of the layers a configuration
// keeps out of the ternary set.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Kept.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace tern::quant;

const char *tern::quant::keptFormatName(KeptFormat format) {
  switch (format) {
  case KeptFormat::Int8:
    return "int8";
  case KeptFormat::F16:
    return "f16";
  case KeptFormat::F32:
    return "f32";
  }
  return "f32";
}

std::vector<float> KeptWeights::dequantize() const {
  if (format != KeptFormat::Int8)
    return values;
  std::vector<float> w(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      w[r * cols + k] = scales[r] * float(codes[r * cols + k]);
  return w;
}

double KeptWeights::bitsPerWeight() const {
  switch (format) {
  case KeptFormat::Int8:
    return 8.0 + (cols > 0 ? double(scaleBits) / double(cols) : 0.0);
  case KeptFormat::F16:
    return 16.0;
  case KeptFormat::F32:
    return 32.0;
  }
  return 32.0;
}

std::vector<uint8_t> KeptWeights::bytes(bool transposed) const {
  size_t width = format == KeptFormat::Int8 ? 1 : 2;
  std::vector<uint8_t> out(size_t(rows * cols) * width);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t from = r * cols + c, to = transposed ? c * rows + r : from;
      if (format == KeptFormat::Int8) {
        out[to] = static_cast<uint8_t>(codes[from]);
        continue;
      }
      bool losesInfo = false;
      llvm::APFloat value(values[from]);
      value.convert(llvm::APFloat::IEEEhalf(),
                    llvm::APFloat::rmNearestTiesToEven, &losesInfo);
      auto half = static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
      std::memcpy(&out[2 * to], &half, 2);
    }
  return out;
}

KeptWeights tern::quant::keepWeights(MatrixRef w, KeptFormat format) {
  KeptWeights kept;
  kept.format = format;
  kept.rows = w.rows;
  kept.cols = w.cols;
  int64_t count = w.rows * w.cols;
  if (format == KeptFormat::F16) {
    bool fits = std::all_of(w.data, w.data + count,
                            [](float v) { return std::fabs(v) <= kHalfMax; });
    if (!fits)
      kept.format = format = KeptFormat::F32;
  }
  if (format != KeptFormat::Int8) {
    kept.values.assign(w.data, w.data + count);
    if (format == KeptFormat::F16)
      for (float &v : kept.values)
        v = roundToHalf(v);
    return kept;
  }

  kept.scales.resize(w.rows);
  for (int64_t r = 0; r < w.rows; ++r) {
    float largest = 0;
    for (int64_t k = 0; k < w.cols; ++k)
      largest = std::max(largest, std::fabs(w.row(r)[k]));
    kept.scales[r] = largest / 127.0f;
  }
  // Scales are stored (and the codes chosen) at the precision they keep.
  bool half = std::all_of(kept.scales.begin(), kept.scales.end(), fitsHalf);
  kept.scaleBits = half ? 16 : 32;
  if (half)
    for (float &s : kept.scales)
      s = roundToHalf(s);
  kept.codes.resize(count);
  for (int64_t r = 0; r < w.rows; ++r) {
    float scale = kept.scales[r];
    for (int64_t k = 0; k < w.cols; ++k) {
      float code = scale > 0 ? std::nearbyint(w.row(r)[k] / scale) : 0.0f;
      kept.codes[r * w.cols + k] =
          static_cast<int8_t>(std::clamp(code, -127.0f, 127.0f));
    }
  }
  return kept;
}

ErrorReport tern::quant::measure(MatrixRef w, const float *h,
                                 const KeptWeights &kept) {
  ErrorReport report = measureApproximation(w, h, kept.dequantize().data());
  if (!kept.codes.empty())
    report.zeroFraction =
        double(std::count(kept.codes.begin(), kept.codes.end(), 0)) /
        double(kept.codes.size());
  report.bitsPerWeight = kept.bitsPerWeight();
  return report;
}
