//===- Quantize.cpp - ternarize weight matrices ---------------------------===//
//
// This file applies the per-group methods of Methods.h to whole matrices:
// it checks the options, splits the matrix into the groups the granularity
// asks for, fits and encodes each one (rows in parallel), and fills the
// TernaryWeights the dialect's ops consume. It also holds the post-fit
// analyses that need a whole matrix: the dead-zone bias and the detection of
// weights that are already ternary.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Quantize.h"
#include "tern/Quant/Parallel.h"

#include <cmath>
#include <cstring>

using namespace tern::quant;

namespace {

/// The group size TernaryWeights stores for `options` (0 = per row).
int64_t storedGroupSize(const QuantizeOptions &options) {
  return options.granularity == Granularity::Group ? options.groupSize : 0;
}

/// The whole matrix as one contiguous group, with h repeated per row.
void gatherTensor(MatrixRef w, const float *h, std::vector<float> &values,
                  std::vector<float> &weights) {
  values.assign(w.data, w.data + w.rows * w.cols);
  weights.clear();
  if (!h)
    return;
  weights.reserve(values.size());
  for (int64_t r = 0; r < w.rows; ++r)
    weights.insert(weights.end(), h, h + w.cols);
}

/// Stores `fit` as the parameters of group g of row r.
void storeFit(TernaryWeights &q, int64_t r, int64_t g, const GroupFit &fit) {
  for (int64_t p = 0; p < q.planes; ++p)
    q.scale(p, r, g) = fit.alpha[p];
  if (!q.shifts.empty())
    q.shifts[r * q.groups() + g] = fit.gamma;
}

/// Encodes columns [begin, end) of row r with `fit`.
void encodeRange(TernaryWeights &q, const float *row, int64_t r, int64_t begin,
                 int64_t end, const GroupFit &fit, bool signedZeros) {
  encodeValues(fit, row + begin, end - begin, signedZeros, &q.code(0, r, begin),
               q.rows * q.cols);
}

} // namespace

llvm::Error tern::quant::validateOptions(const QuantizeOptions &options,
                                         int64_t rows, int64_t cols) {
  if (rows < 1 || cols < 1)
    return llvm::createStringError("expected a non-empty weight matrix, got " +
                                   std::to_string(rows) + " x " +
                                   std::to_string(cols));
  if (options.granularity == Granularity::Group) {
    if (options.groupSize < 1)
      return llvm::createStringError("group size must be positive, got " +
                                     std::to_string(options.groupSize));
    if (cols % options.groupSize != 0)
      return llvm::createStringError(
          "group size " + std::to_string(options.groupSize) +
          " does not divide K = " + std::to_string(cols));
  }
  int planes = options.tritPlanes.planes;
  if (options.method == Method::TritPlanes &&
      (planes < 1 || planes > kMaxPlanes))
    return llvm::createStringError("trit planes must be between 1 and " +
                                   std::to_string(kMaxPlanes) + ", got " +
                                   std::to_string(planes));
  if (options.signedZeros && options.method == Method::TritPlanes && planes > 1)
    return llvm::createStringError(
        "signed zeros (SZT) need a single plane, got " +
        std::to_string(planes) + " trit planes");
  if (options.method == Method::Sherry) {
    if (options.signedZeros)
      return llvm::createStringError("Sherry's 3:4 codes have no signed zeros");
    int64_t size =
        options.granularity == Granularity::Group ? options.groupSize : cols;
    if (size % 4 != 0)
      return llvm::createStringError(
          "Sherry needs groups of a multiple of 4 weights, "
          "got " +
          std::to_string(size));
  }
  if (options.tritPlanes.maxIterations < 1 ||
      options.scaleShift.maxIterations < 1)
    return llvm::createStringError("the iteration limit must be at least 1");
  return llvm::Error::success();
}

GroupFit tern::quant::fitGroup(const QuantizeOptions &options, const float *w,
                               const float *h, int64_t n,
                               uint8_t *sherryCodes) {
  switch (options.method) {
  case Method::Threshold:
    return fitThreshold(options.threshold, w, h, n);
  case Method::TritPlanes:
    return fitTritPlanes(w, h, n, options.tritPlanes);
  case Method::ScaleShift:
    return fitScaleShift(w, h, n, options.scaleShift);
  case Method::Sherry: {
    std::vector<uint8_t> scratch;
    if (!sherryCodes) {
      scratch.resize(n);
      sherryCodes = scratch.data();
    }
    return fitSherry(w, h, n, sherryCodes);
  }
  }
  return GroupFit();
}

llvm::Expected<TernaryWeights>
tern::quant::quantize(MatrixRef w, const float *h,
                      const QuantizeOptions &options) {
  if (llvm::Error error = validateOptions(options, w.rows, w.cols))
    return std::move(error);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t k = 0; k < w.cols; ++k)
      if (!std::isfinite(w.row(r)[k]))
        return llvm::createStringError("weight at row " + std::to_string(r) +
                                       ", column " + std::to_string(k) +
                                       " is not finite");
  if (h)
    for (int64_t k = 0; k < w.cols; ++k)
      if (!(h[k] >= 0) || !std::isfinite(h[k]))
        return llvm::createStringError("importance of column " +
                                       std::to_string(k) +
                                       " must be finite and >= 0");

  int64_t planes =
      options.method == Method::TritPlanes ? options.tritPlanes.planes : 1;
  TernaryWeights q(planes, w.rows, w.cols, storedGroupSize(options),
                   options.method == Method::ScaleShift);
  bool sherry = options.method == Method::Sherry;

  if (options.granularity == Granularity::Tensor) {
    std::vector<float> values, weights;
    gatherTensor(w, h, values, weights);
    std::vector<uint8_t> sherryCodes(sherry ? values.size() : 0);
    GroupFit fit =
        fitGroup(options, values.data(), h ? weights.data() : nullptr,
                 int64_t(values.size()), sherry ? sherryCodes.data() : nullptr);
    parallelFor(w.rows, options.threads, [&](int64_t r) {
      storeFit(q, r, 0, fit);
      if (sherry)
        std::memcpy(&q.code(0, r, 0), &sherryCodes[r * w.cols], w.cols);
      else
        encodeRange(q, w.row(r), r, 0, w.cols, fit, options.signedZeros);
    });
    return q;
  }

  int64_t size = q.effectiveGroupSize();
  parallelFor(w.rows, options.threads, [&](int64_t r) {
    const float *row = w.row(r);
    for (int64_t g = 0; g < q.groups(); ++g) {
      int64_t begin = g * size;
      GroupFit fit = fitGroup(options, row + begin, h ? h + begin : nullptr,
                              size, sherry ? &q.code(0, r, begin) : nullptr);
      storeFit(q, r, g, fit);
      if (!sherry)
        encodeRange(q, row, r, begin, begin + size, fit, options.signedZeros);
    }
  });
  return q;
}

/// Σ_k (W[r,k] − Ŵ[r,k]) · E[x_k] per row, over the dead zone only or over
/// every column.
static std::vector<float> errorBias(MatrixRef w, const TernaryWeights &q,
                                    const float *meanX, bool deadZoneOnly) {
  std::vector<float> bias(w.rows, 0.0f);
  for (int64_t r = 0; r < w.rows; ++r) {
    double b = 0;
    for (int64_t k = 0; k < w.cols; ++k) {
      bool counted = true;
      for (int64_t p = 0; p < q.planes && counted && deadZoneOnly; ++p)
        counted = codeValue(q.code(p, r, k)) == 0;
      if (counted)
        b += (double(w.row(r)[k]) - double(q.value(r, k))) * double(meanX[k]);
    }
    bias[r] = float(b);
  }
  return bias;
}

std::vector<float> tern::quant::deadZoneBias(MatrixRef w,
                                             const TernaryWeights &q,
                                             const float *meanX) {
  return errorBias(w, q, meanX, /*deadZoneOnly=*/true);
}

std::vector<float> tern::quant::meanErrorBias(MatrixRef w,
                                              const TernaryWeights &q,
                                              const float *meanX) {
  return errorBias(w, q, meanX, /*deadZoneOnly=*/false);
}

std::optional<TernaryWeights>
tern::quant::detectScaledTernary(MatrixRef w, int64_t groupSize) {
  if (w.rows < 1 || w.cols < 1 || groupSize < 0 ||
      (groupSize && w.cols % groupSize))
    return std::nullopt;
  TernaryWeights q(1, w.rows, w.cols, groupSize, /*withShifts=*/false);
  int64_t size = q.effectiveGroupSize();
  for (int64_t r = 0; r < w.rows; ++r) {
    const float *row = w.row(r);
    for (int64_t g = 0; g < q.groups(); ++g) {
      float alpha = 0;
      for (int64_t k = g * size; k < (g + 1) * size; ++k) {
        float magnitude = std::fabs(row[k]);
        if (magnitude == 0)
          continue;
        if (!std::isfinite(magnitude) || (alpha != 0 && magnitude != alpha))
          return std::nullopt;
        alpha = magnitude;
        q.code(0, r, k) = row[k] < 0 ? kMinus : kPlus;
      }
      q.scale(0, r, g) = alpha;
    }
  }
  return q;
}
