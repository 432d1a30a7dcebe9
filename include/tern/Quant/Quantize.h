//===- Quantize.h - ternarize weight matrices -------------------*- C++ -*-===//
//
// This file declares the matrix-level entry points the passes call: one
// options struct chooses the method, its granularity and its parameters, and
// every method returns the same TernaryWeights. Rows are processed in
// parallel and results are bit-identical for any thread count.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_QUANTIZE_H
#define TERN_QUANT_QUANTIZE_H

#include "tern/Quant/Methods.h"
#include "tern/Quant/Ternary.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace tern::quant {

enum class Method {
  Threshold,  ///< balanced ternary with a threshold rule (QuantizeOptions)
  TritPlanes, ///< PTQTP with `planes` planes
  ScaleShift, ///< DLT: scale and shift per group
  Sherry,     ///< 3:4 sparse ternary
};

/// Which weights share scales.
enum class Granularity {
  Tensor,  ///< one fit for the whole matrix
  Channel, ///< one fit per row (output channel)
  Group,   ///< one fit per `groupSize` weights along K
};

struct QuantizeOptions {
  Method method = Method::Threshold;
  Threshold threshold = Threshold::MSE;
  Granularity granularity = Granularity::Group;
  /// Weights per group along K when granularity is Group; must divide K.
  int64_t groupSize = 128;
  /// SZT: zero codes keep the sign of the weight (single-plane methods).
  bool signedZeros = false;
  TritPlaneOptions tritPlanes;
  ShiftOptions scaleShift;
  /// Threads for rows (0 = every core). Results do not depend on it.
  int threads = 0;
};

/// Checks `options` against a rows x cols matrix; the message names the
/// offending option.
llvm::Error validateOptions(const QuantizeOptions &options, int64_t rows,
                            int64_t cols);

/// Fits one group of n weights with the method of `options`. For Sherry the
/// codes come with the fit: pass `sherryCodes` (n entries).
GroupFit fitGroup(const QuantizeOptions &options, const float *w,
                  const float *h, int64_t n, uint8_t *sherryCodes = nullptr);

/// Ternarizes `w` with importance `h` (null, or one value per column; null
/// means h ≡ 1). Fails with a message naming the bad option or shape.
llvm::Expected<TernaryWeights> quantize(MatrixRef w, const float *h,
                                        const QuantizeOptions &options);

struct ErrorFeedbackOptions {
  /// λ = dampening · mean(diag H) is added to H before inversion.
  double dampening = 0.01;
};

/// GPTQ-style error feedback: quantizes column by column with the method of
/// `options` and pushes each column's error onto the columns not yet
/// quantized through the Cholesky factor of (H + λI)⁻¹, H = XᵀX (cols x
/// cols, row-major, symmetric). Group parameters are fitted on the updated
/// weights when the first column of the group is reached. Sherry is not
/// supported (its codes are not chosen one column at a time).
llvm::Expected<TernaryWeights>
quantizeWithErrorFeedback(MatrixRef w, const double *hessian,
                          const QuantizeOptions &options,
                          const ErrorFeedbackOptions &feedback);

/// Weights that undo the error a layer receives: with x the activations of
/// the float model and x̃ those the layer sees in a partly quantized one,
/// E‖W x − V x̃‖² = E‖(V − W*) x̃‖² + const for W* = W C H̃⁻¹, C = E[x x̃ᵀ]
/// (`cross`, K x K, row i: x_i) and H̃ = E[x̃ x̃ᵀ] (`hessian`). Computed as
/// W + W (C − H̃)(H̃ + λI)⁻¹, λ = dampening · mean(diag H̃), so that W* = W
/// when x̃ = x. Quantizing W* under H̃ (quantizeWithErrorFeedback) then
/// minimises the error against the float layer's output. With
/// `residualCross` (rows x K, or null) = E[d x̃ᵀ] for d = r − r̃, what a
/// residual stream the layer's output is added to carries of the float
/// model against the partly quantized one, the target is the float sum
/// W x + r − r̃ instead: W* = W + (W (C − H̃) + E[d x̃ᵀ])(H̃ + λI)⁻¹. Fails
/// when H̃ + λI is not positive definite.
llvm::Expected<std::vector<float>>
retargetWeights(MatrixRef w, const double *cross, const double *hessian,
                double dampening, const double *residualCross = nullptr);

/// Refits the scales of fixed codes to the output error under H = E[x xᵀ]
/// (K x K, row-major): per row and group the P scales solve
/// (T H Tᵀ) α = T H w over the group's columns (cross-group terms are
/// ignored). Minimises E[((w - ŵ)ᵀ x)²] for the codes chosen, where the
/// fit itself only weighted columns by E[x²]. Weights with shifts, and
/// groups whose system is singular, keep their scales.
void refitScales(MatrixRef w, const double *hessian, TernaryWeights &q);

/// Learned rounding: coordinate descent over the codes of fixed scales on
/// the output error e (H + λI) eᵀ, e = Ŵ − W per row, H = E[x xᵀ] (K x K,
/// row-major) damped as error feedback damps it (λ = `dampening` times the
/// mean diagonal, unit diagonal for unseen columns). Each sweep visits the
/// weights in order and moves each to the value of its group's scales
/// (every combination of the planes' trits, plus the shift) that lowers
/// the error most, updating the gradient e (H + λI) after every move; it
/// stops after `sweeps` sweeps or one that moves nothing. The error never
/// rises. Zero codes get the sign of w with `signedZeros`. Sherry's 3:4
/// codes are not supported (a move may break the pattern). Returns the
/// number of moves.
int64_t refineCodes(MatrixRef w, const double *hessian, double dampening,
                    int sweeps, bool signedZeros, TernaryWeights &q);

/// Tequila dead-zone reactivation: b_r = Σ_{k in D_r} (W[r,k] − Ŵ[r,k]) ·
/// E[x_k] over the dead zone D_r (codes 0 in every plane), to be added to the
/// layer's bias. With one plane and no shift Ŵ is 0 there, so this is the
/// paper's Σ_D w·E[x].
std::vector<float> deadZoneBias(MatrixRef w, const TernaryWeights &q,
                                const float *meanX);

/// Bias correction: b_r = Σ_k (W[r,k] − Ŵ[r,k]) · E[x_k] over every column,
/// the expected output error, to be added to the layer's bias (it contains
/// deadZoneBias). Cancels the error's component along the mean activation,
/// which E[x²] weighting cannot see.
std::vector<float> meanErrorBias(MatrixRef w, const TernaryWeights &q,
                                 const float *meanX);

/// Finds weights that are already ternary times a scale per group of
/// `groupSize` (0 = per row): every non-zero |w| of a group bitwise equal.
/// Returns the exact encoding (Ŵ == W) or nothing.
std::optional<TernaryWeights> detectScaledTernary(MatrixRef w,
                                                  int64_t groupSize);

/// HGF low-rank correction: the rank-`rank` truncated SVD U Vᵀ of the
/// residual R = W − Ŵ, optionally weighted by column importance h (then it
/// minimises ‖(R − U Vᵀ) diag(h)^½‖). U is rows x rank (scaled by the
/// singular values), V is cols x rank, both row-major.
struct LowRank {
  int64_t rank = 0;
  std::vector<float> u;
  std::vector<float> v;
  /// Singular values of the (weighted) residual, largest first.
  std::vector<double> singularValues;
};
llvm::Expected<LowRank> lowRankResidual(MatrixRef residual, const float *h,
                                        int64_t rank);
/// The same under the full second moment H = E[x xᵀ] (cols x cols) of the
/// layer's input: minimises tr((R − U Vᵀ) H (R − U Vᵀ)ᵀ), the expected
/// squared output error the residual leaves, through the SVD of R L
/// (H + λ I = L Lᵀ, λ = `dampening` times the mean diagonal).
llvm::Expected<LowRank> lowRankResidual(MatrixRef residual,
                                        const double *hessian, double dampening,
                                        int64_t rank);

} // namespace tern::quant

#endif // TERN_QUANT_QUANTIZE_H
