//===- Correction.h - corrections kept beside ternary weights ---*- C++ -*-===//
//
// This file declares what a layer may keep beside its ternary weights Ŵ,
// added to its output: the residual R = W − Ŵ of a few salient input
// columns, and a rank-r approximation U Vᵀ of the rest of the residual
// (Hybrid Gated Flow's low-rank correction), both stored as int8 or f16
// kept weights (tern-ternarize salient=, low-rank=; docs/Quantization.md
// "Corrections").
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_CORRECTION_H
#define TERN_QUANT_CORRECTION_H

#include "tern/Quant/Kept.h"
#include "tern/Quant/Ternary.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace tern::quant {

/// What the low-rank part minimises the residual R − U Vᵀ under.
enum class LowRankWeight {
  /// ‖(R − U Vᵀ) diag(h)^½‖: the column importances E[x_k²].
  Diagonal,
  /// tr((R − U Vᵀ) H (R − U Vᵀ)ᵀ) with H = E[x xᵀ]: the expected output
  /// error on data like the calibration data.
  Hessian,
  /// ‖R − U Vᵀ‖: the weights alone.
  None,
};

/// The weighting's name ("diagonal", "hessian", "none").
const char *lowRankWeightName(LowRankWeight weight);

/// How a correction is fitted.
struct CorrectionOptions {
  /// The rank of the low-rank part (0: none).
  int64_t rank = 0;
  /// How the parts are stored: Int8 or F16.
  KeptFormat format = KeptFormat::Int8;
  /// The low-rank part's weighting, and what it needs: the column
  /// importances `h` (Diagonal; null is unweighted) or the input's second
  /// moment E[x xᵀ] (Hessian, cols x cols, dampened by `dampening` times
  /// its mean diagonal).
  LowRankWeight weight = LowRankWeight::Diagonal;
  const float *h = nullptr;
  const double *hessian = nullptr;
  double dampening = 0.01;
};

/// A correction C added to a layer's ternary product: x Ŵᵀ + x Cᵀ with
/// C = S + U Vᵀ, where S is zero but in `columns`.
struct Correction {
  int64_t rows = 0;
  int64_t cols = 0;
  /// The salient input columns, ascending.
  std::vector<int64_t> columns;
  /// S's nonzero columns: rows x columns.size() (empty without columns).
  KeptWeights salient;
  /// Vᵀ: rank x cols, and U: rows x rank (empty without a low-rank part).
  KeptWeights down;
  KeptWeights up;

  int64_t rank() const { return down.rows; }
  bool empty() const { return columns.empty() && rank() == 0; }
  /// Adds C (rows x cols) to `w`.
  void addTo(float *w) const;
  /// The bits stored: codes and scales (or f16 values) of every part, and
  /// 32 bits per salient column index.
  double storedBits() const;
};

/// The `count` columns of `w` with the largest h_k Σ_r W[r, k]² (h null:
/// Σ_r W[r, k]²), ascending: the inputs through which most of the output
/// flows.
std::vector<int64_t> salientColumns(MatrixRef w, const float *h, int64_t count);

/// Fits the correction of `residual` (W − Ŵ): its `columns` as they are,
/// then (options.rank > 0) the rank-r truncated SVD of what they and their
/// storage leave. Fails on a bad rank, column or format, or a Hessian that
/// is not positive definite.
llvm::Expected<Correction> fitCorrection(MatrixRef residual,
                                         llvm::ArrayRef<int64_t> columns,
                                         const CorrectionOptions &options);

} // namespace tern::quant

#endif // TERN_QUANT_CORRECTION_H
