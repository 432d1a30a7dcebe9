//===- Correction.cpp - corrections kept beside ternary weights -----------===//
//
// This file implements the salient-column and low-rank corrections of a
// ternary layer's residual.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Correction.h"

#include "tern/Quant/Quantize.h"

#include <algorithm>
#include <numeric>
#include <string>

using namespace tern::quant;

namespace {

/// `w` stored as `format`; a value beyond f16's range is an error rather
/// than the f32 keepWeights falls back to: corrections are int8 or f16.
llvm::Expected<KeptWeights> store(MatrixRef w, KeptFormat format,
                                  const char *part) {
  KeptWeights kept = keepWeights(w, format);
  if (kept.format != format)
    return llvm::createStringError(std::string("the ") + part +
                                   " correction holds a value beyond f16's "
                                   "range");
  return kept;
}

} // namespace

const char *tern::quant::lowRankWeightName(LowRankWeight weight) {
  switch (weight) {
  case LowRankWeight::Diagonal:
    return "diagonal";
  case LowRankWeight::Hessian:
    return "hessian";
  case LowRankWeight::None:
    return "none";
  }
  return "diagonal";
}

void Correction::addTo(float *w) const {
  if (!columns.empty()) {
    std::vector<float> s = salient.dequantize();
    int64_t count = int64_t(columns.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < count; ++j)
        w[r * cols + columns[j]] += s[r * count + j];
  }
  if (int64_t k = rank()) {
    std::vector<float> v = down.dequantize(), u = up.dequantize();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double sum = 0;
        for (int64_t i = 0; i < k; ++i)
          sum += double(u[r * k + i]) * v[i * cols + c];
        w[r * cols + c] += float(sum);
      }
  }
}

double Correction::storedBits() const {
  double bits = 32.0 * double(columns.size());
  for (const KeptWeights *part : {&salient, &down, &up})
    bits += part->bitsPerWeight() * double(part->rows * part->cols);
  return bits;
}

std::vector<int64_t> tern::quant::salientColumns(MatrixRef w, const float *h,
                                                 int64_t count) {
  std::vector<double> score(w.cols, 0.0);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t k = 0; k < w.cols; ++k)
      score[k] += double(w.row(r)[k]) * w.row(r)[k];
  if (h)
    for (int64_t k = 0; k < w.cols; ++k)
      score[k] *= h[k];
  std::vector<int64_t> order(w.cols);
  std::iota(order.begin(), order.end(), 0);
  count = std::clamp<int64_t>(count, 0, w.cols);
  // The largest scores first; ties to the lower column, so that the
  // choice does not depend on the sort.
  std::partial_sort(order.begin(), order.begin() + count, order.end(),
                    [&](int64_t a, int64_t b) {
                      return score[a] != score[b] ? score[a] > score[b] : a < b;
                    });
  order.resize(count);
  std::sort(order.begin(), order.end());
  return order;
}

llvm::Expected<Correction>
tern::quant::fitCorrection(MatrixRef residual, llvm::ArrayRef<int64_t> columns,
                           const CorrectionOptions &options) {
  if (options.format != KeptFormat::Int8 && options.format != KeptFormat::F16)
    return llvm::createStringError("a correction is stored as int8 or f16");
  if (options.rank < 0)
    return llvm::createStringError("the rank must be >= 0, got " +
                                   std::to_string(options.rank));
  Correction result;
  int64_t rows = result.rows = residual.rows;
  int64_t cols = result.cols = residual.cols;
  for (auto [i, c] : llvm::enumerate(columns))
    if (c < 0 || c >= cols || (i && c <= columns[i - 1]))
      return llvm::createStringError(
          "the salient columns must be ascending and within the " +
          std::to_string(cols) + " columns");
  // What the parts before the low-rank one leave: the residual with the
  // salient columns replaced by their storage's rounding error.
  std::vector<float> rest(residual.data, residual.data + rows * cols);
  if (!columns.empty()) {
    int64_t count = int64_t(columns.size());
    std::vector<float> s(rows * count);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < count; ++j)
        s[r * count + j] = residual.row(r)[columns[j]];
    llvm::Expected<KeptWeights> stored =
        store(MatrixRef{s.data(), rows, count}, options.format, "salient");
    if (!stored)
      return stored.takeError();
    result.salient = std::move(*stored);
    result.columns.assign(columns.begin(), columns.end());
    std::vector<float> kept = result.salient.dequantize();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < count; ++j)
        rest[r * cols + columns[j]] -= kept[r * count + j];
  }
  if (options.rank == 0)
    return result;
  MatrixRef remaining{rest.data(), rows, cols};
  llvm::Expected<LowRank> factors =
      options.weight == LowRankWeight::Hessian
          ? lowRankResidual(remaining, options.hessian, options.dampening,
                            options.rank)
          : lowRankResidual(
                remaining,
                options.weight == LowRankWeight::Diagonal ? options.h : nullptr,
                options.rank);
  if (!factors)
    return factors.takeError();
  int64_t k = options.rank;
  // down = Vᵀ (k x cols), up = U (rows x k).
  std::vector<float> vt(k * cols);
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t i = 0; i < k; ++i)
      vt[i * cols + c] = factors->v[c * k + i];
  llvm::Expected<KeptWeights> down =
      store(MatrixRef{vt.data(), k, cols}, options.format, "low-rank");
  if (!down)
    return down.takeError();
  llvm::Expected<KeptWeights> up =
      store(MatrixRef{factors->u.data(), rows, k}, options.format, "low-rank");
  if (!up)
    return up.takeError();
  result.down = std::move(*down);
  result.up = std::move(*up);
  return result;
}
