//===- MethodsTest.cpp - ternarization numerics ---------------------------===//
//
// Checks the properties METHODS.md promises: exactness where a method is
// exact, monotone iterations, what importance weighting and error feedback
// buy, determinism across thread counts, and the errors of bad options.
//
//===----------------------------------------------------------------------===//

#include "ErrorMessage.h"
#include "Gaussian.h"
#include "tern/Quant/Kept.h"
#include "tern/Quant/LinearAlgebra.h"
#include "tern/Quant/Quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace tern::quant;
using ::tern::unittest::messageOf;

namespace {

using ::tern::unittest::gaussian;

/// Student-t with 2 degrees of freedom: heavy tails like LLM weights.
std::vector<float> heavyTailed(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::student_t_distribution<float> dist(2.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::vector<float> importance(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<float> dist(0.0f, 1.5f);
  std::vector<float> h(n);
  for (float &x : h)
    x = dist(rng);
  return h;
}

double objective(const GroupFit &fit, const std::vector<float> &w,
                 const float *h) {
  return groupError(fit, w.data(), h, int64_t(w.size()));
}

double weightedError(MatrixRef w, const float *h, const TernaryWeights &q) {
  double err = 0;
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t k = 0; k < w.cols; ++k) {
      double d = double(w.row(r)[k]) - double(q.value(r, k));
      err += (h ? h[k] : 1.0) * d * d;
    }
  return err;
}

TernaryWeights mustQuantize(MatrixRef w, const float *h,
                            const QuantizeOptions &options) {
  llvm::Expected<TernaryWeights> q = quantize(w, h, options);
  EXPECT_EQ(messageOf(q), "");
  return q ? std::move(*q) : TernaryWeights();
}

//===----------------------------------------------------------------------===//
// Thresholds
//===----------------------------------------------------------------------===//

TEST(ThresholdTest, MSEIsNeverBeatenOnItsObjective) {
  const Threshold others[] = {Threshold::Sigma, Threshold::TWN,
                              Threshold::AbsMean};
  for (unsigned seed = 0; seed < 50; ++seed) {
    for (bool heavy : {false, true}) {
      std::vector<float> w =
          heavy ? heavyTailed(128, seed) : gaussian(128, seed);
      double best = objective(
          fitThreshold(Threshold::MSE, w.data(), nullptr, 128), w, nullptr);
      for (Threshold other : others)
        EXPECT_LE(best, objective(fitThreshold(other, w.data(), nullptr, 128),
                                  w, nullptr) *
                            (1 + 1e-9))
            << "seed " << seed;
      // Nor by any threshold/scale pair on a grid.
      for (float delta = 0; delta < 3; delta += 0.05f) {
        GroupFit fit;
        fit.delta = delta;
        double num = 0, den = 0;
        for (float x : w)
          if (std::fabs(x) > delta)
            num += std::fabs(x), den += 1;
        fit.alpha[0] = den ? float(num / den) : 0;
        EXPECT_LE(best, objective(fit, w, nullptr) * (1 + 1e-9));
      }
    }
  }
}

TEST(ThresholdTest, MSEMatchesBruteForceOnSmallGroups) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::vector<float> w = gaussian(6, seed);
    std::vector<float> h = importance(6, seed + 1000);
    // Every assignment of {-1, 0, 1} with its optimal scale.
    double brute = INFINITY;
    for (int mask = 0; mask < 729; ++mask) {
      double num = 0, den = 0;
      int t[6];
      for (int j = 0, m = mask; j < 6; ++j, m /= 3)
        t[j] = m % 3 - 1;
      for (int j = 0; j < 6; ++j)
        num += h[j] * t[j] * w[j], den += h[j] * t[j] * t[j];
      double alpha = den ? num / den : 0, err = 0;
      for (int j = 0; j < 6; ++j)
        err += h[j] * (w[j] - alpha * t[j]) * (w[j] - alpha * t[j]);
      brute = std::min(brute, err);
    }
    GroupFit fit = fitThreshold(Threshold::Calibrated, w.data(), h.data(), 6);
    EXPECT_NEAR(objective(fit, w, h.data()), brute, 1e-6 * (1 + brute))
        << "seed " << seed;
  }
}

/// The exact fit by its definition: every prefix of the non-zero |w| in
/// decreasing order that ends between distinct magnitudes, the best gain
/// (Σ h|w|)² / Σ h.
GroupFit exactBySorting(const std::vector<float> &w, const float *h) {
  std::vector<std::pair<float, float>> kept;
  for (size_t j = 0; j < w.size(); ++j)
    if (w[j] != 0)
      kept.push_back({std::fabs(w[j]), h ? h[j] : 1.0f});
  std::sort(kept.begin(), kept.end(),
            [](auto &a, auto &b) { return a.first > b.first; });
  double num = 0, den = 0, bestGain = -1, bestNum = 0, bestDen = 0;
  float delta = INFINITY;
  for (size_t i = 0; i < kept.size(); ++i) {
    num += double(kept[i].second) * kept[i].first;
    den += kept[i].second;
    bool boundary = i + 1 == kept.size() || kept[i + 1].first < kept[i].first;
    if (boundary && den > 0 && num * num / den > bestGain) {
      bestGain = num * num / den;
      bestNum = num;
      bestDen = den;
      delta = i + 1 == kept.size() ? 0.0f : kept[i + 1].first;
    }
  }
  GroupFit fit;
  fit.delta = delta;
  fit.alpha[0] = bestDen > 0 ? float(bestNum / bestDen) : 0.0f;
  return fit;
}

TEST(ThresholdTest, ExactFitMatchesTheFullSort) {
  // fitExact sorts only the magnitudes near the optimum; on groups of every
  // size, with ties, zeros, zero weights, tiny and widely spread values, it
  // must find what sorting them all finds.
  for (unsigned seed = 0; seed < 240; ++seed) {
    int64_t n =
        std::vector<int64_t>{1, 2, 7, 64, 128, 1000, 2048, 8192}[seed % 8];
    int shape = int(seed / 8) % 6;
    std::vector<float> w =
        shape == 1 ? heavyTailed(n, seed) : gaussian(n, seed);
    for (int64_t j = 0; j < n; ++j) {
      if (shape == 2)
        w[j] = std::round(w[j] * 4) / 4; // few distinct values, zeros
      if (shape == 3)
        w[j] = j % 3 ? w[j] * 1e-20f : 0.0f;
      if (shape == 4)
        w[j] = std::ldexp(w[j], int(j * 7 % 61) - 30);
      if (shape == 5)
        w[j] = (j % 2 ? 1.0f : -1.0f) * (1 + float(j % 4) * 1e-7f);
    }
    std::vector<float> h = importance(n, seed + 7);
    for (int64_t j = 0; j < n; j += 5)
      h[j] = 0;
    for (const float *weights : {static_cast<const float *>(nullptr),
                                 static_cast<const float *>(h.data())}) {
      GroupFit fit = fitThreshold(Threshold::Calibrated, w.data(), weights, n);
      GroupFit reference = exactBySorting(w, weights);
      double error = objective(fit, w, weights);
      EXPECT_NEAR(error, objective(reference, w, weights), 1e-12 * error)
          << "seed " << seed;
      if (!weights) {
        // Unweighted, no two prefixes tie: the same threshold and scale.
        EXPECT_EQ(fit.delta, reference.delta) << "seed " << seed;
        EXPECT_FLOAT_EQ(fit.alpha[0], reference.alpha[0]) << "seed " << seed;
      }
    }
  }
}

TEST(ThresholdTest, RulesFollowTheirDefinitions) {
  std::vector<float> w = {0.1f, -0.4f, 0.9f, -1.2f, 0.05f, 0.6f};
  double meanAbs = (0.1 + 0.4 + 0.9 + 1.2 + 0.05 + 0.6) / 6;
  GroupFit absmean = fitThreshold(Threshold::AbsMean, w.data(), nullptr, 6);
  EXPECT_FLOAT_EQ(absmean.alpha[0], float(meanAbs));
  EXPECT_FLOAT_EQ(absmean.delta, float(meanAbs / 2));
  GroupFit twn = fitThreshold(Threshold::TWN, w.data(), nullptr, 6);
  EXPECT_FLOAT_EQ(twn.delta, float(0.7 * meanAbs));
  // Kept by TWN (Δ ≈ 0.38): -0.4, 0.9, -1.2, 0.6.
  EXPECT_FLOAT_EQ(twn.alpha[0], (0.4f + 0.9f + 1.2f + 0.6f) / 4);
  GroupFit sigma = fitThreshold(Threshold::Sigma, w.data(), nullptr, 6);
  double mean = (0.1 - 0.4 + 0.9 - 1.2 + 0.05 + 0.6) / 6, var = 0;
  for (float x : w)
    var += (x - mean) * (x - mean);
  EXPECT_FLOAT_EQ(sigma.delta, float(std::sqrt(var / 6)));
}

TEST(ThresholdTest, CalibratedLowersTheWeightedError) {
  const int64_t rows = 16, cols = 256;
  std::vector<float> w = gaussian(rows * cols, 7);
  std::vector<float> h = importance(cols, 8);
  MatrixRef m{w.data(), rows, cols};
  QuantizeOptions options;
  options.groupSize = 64;
  options.threshold = Threshold::MSE;
  TernaryWeights plain = mustQuantize(m, nullptr, options);
  options.threshold = Threshold::Calibrated;
  TernaryWeights calibrated = mustQuantize(m, h.data(), options);
  EXPECT_LT(weightedError(m, h.data(), calibrated),
            weightedError(m, h.data(), plain));
}

//===----------------------------------------------------------------------===//
// SZT
//===----------------------------------------------------------------------===//

TEST(SZTTest, ZerosKeepTheSignOfTheWeight) {
  std::vector<float> w = {0.9f, -0.1f, 0.1f, -0.9f, 0.0f, -0.0f};
  MatrixRef m{w.data(), 1, 6};
  QuantizeOptions options;
  options.granularity = Granularity::Tensor;
  options.threshold = Threshold::Sigma;
  options.signedZeros = true;
  TernaryWeights q = mustQuantize(m, nullptr, options);
  const uint8_t expected[] = {kPlus,  kZeroNeg, kZeroPos,
                              kMinus, kZeroPos, kZeroPos};
  EXPECT_EQ(std::vector<uint8_t>(q.codes.begin(), q.codes.end()),
            std::vector<uint8_t>(expected, expected + 6));
  // The forward values equal balanced ternary's.
  options.signedZeros = false;
  TernaryWeights bt = mustQuantize(m, nullptr, options);
  EXPECT_EQ(q.dequantize(), bt.dequantize());
}

TEST(SZTTest, StraightThroughGradient) {
  const uint8_t codes[] = {kPlus, kMinus, kZeroPos, kZeroNeg};
  const float grad[] = {0.5f, -2.0f, 3.0f, 3.0f};
  float out[4];
  sztStraightThroughGradient(codes, grad, 4, out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], 3.0f);
  EXPECT_EQ(out[3], -3.0f);
}

//===----------------------------------------------------------------------===//
// PTQTP
//===----------------------------------------------------------------------===//

TEST(TritPlanesTest, RecoversAnExactTwoPlaneMatrix) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> trit(-1, 1);
  const int64_t rows = 8, cols = 256, group = 128;
  std::vector<float> w(rows * cols);
  std::vector<float> a1 = {1.0f, 0.75f, 2.0f, 0.5f},
                     a2 = {0.25f, 0.3125f, 0.5f, 0.125f};
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      int64_t g = (r * 2 + k / group) % 4;
      w[r * cols + k] = a1[g] * float(trit(rng)) + a2[g] * float(trit(rng));
    }
  MatrixRef m{w.data(), rows, cols};
  QuantizeOptions options;
  options.method = Method::TritPlanes;
  options.groupSize = group;
  options.tritPlanes.planes = 2;
  TernaryWeights q = mustQuantize(m, nullptr, options);
  std::vector<float> back = q.dequantize();
  for (int64_t i = 0; i < rows * cols; ++i)
    ASSERT_EQ(back[i], w[i]) << "element " << i;
}

TEST(TritPlanesTest, RecoversRandomExactGroups) {
  // Any pair of distinct dyadic scales, as long as the representation is
  // unique (α1 ≠ α2, α1 ≠ 2 α2, α2 ≠ 2 α1).
  int checked = 0;
  for (unsigned seed = 0; seed < 400; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> trit(-1, 1), level(1, 64);
    float a1 = float(level(rng)) / 16, a2 = float(level(rng)) / 16;
    if (a1 == a2 || a1 == 2 * a2 || a2 == 2 * a1)
      continue;
    std::vector<float> w(128);
    for (float &x : w)
      x = a1 * float(trit(rng)) + a2 * float(trit(rng));
    TritPlaneOptions options;
    options.planes = 2;
    GroupFit fit = fitTritPlanes(w.data(), nullptr, 128, options);
    EXPECT_EQ(objective(fit, w, nullptr), 0.0)
        << "seed " << seed << ": " << a1 << ", " << a2;
    ++checked;
  }
  EXPECT_GT(checked, 350);
}

TEST(TritPlanesTest, ErrorNeverIncreases) {
  for (int planes = 1; planes <= 4; ++planes) {
    for (unsigned seed = 0; seed < 20; ++seed) {
      std::vector<float> w =
          seed % 2 ? heavyTailed(128, seed) : gaussian(128, seed);
      std::vector<float> h = importance(128, seed);
      std::vector<double> trace;
      TritPlaneOptions options;
      options.planes = planes;
      fitTritPlanes(w.data(), seed % 3 ? h.data() : nullptr, 128, options,
                    &trace);
      ASSERT_FALSE(trace.empty());
      for (size_t i = 1; i < trace.size(); ++i)
        EXPECT_LE(trace[i], trace[i - 1])
            << "planes " << planes << " seed " << seed << " iteration " << i;
    }
  }
}

TEST(TritPlanesTest, MorePlanesFitBetter) {
  std::vector<float> w = gaussian(128, 11);
  double previous = INFINITY;
  for (int planes = 1; planes <= 4; ++planes) {
    TritPlaneOptions options;
    options.planes = planes;
    double err =
        objective(fitTritPlanes(w.data(), nullptr, 128, options), w, nullptr);
    EXPECT_LT(err, previous) << planes << " planes";
    previous = err;
  }
}

TEST(TritPlanesTest, WeightingLowersTheWeightedError) {
  const int64_t rows = 16, cols = 256;
  std::vector<float> w = gaussian(rows * cols, 21);
  std::vector<float> h = importance(cols, 22);
  MatrixRef m{w.data(), rows, cols};
  QuantizeOptions options;
  options.method = Method::TritPlanes;
  options.groupSize = 128;
  TernaryWeights plain = mustQuantize(m, nullptr, options);
  TernaryWeights weighted = mustQuantize(m, h.data(), options);
  EXPECT_LT(weightedError(m, h.data(), weighted),
            weightedError(m, h.data(), plain));
}

//===----------------------------------------------------------------------===//
// DLT
//===----------------------------------------------------------------------===//

TEST(ScaleShiftTest, ErrorNeverIncreasesAndShiftsHelpAsymmetricGroups) {
  for (unsigned seed = 0; seed < 30; ++seed) {
    std::vector<float> w = gaussian(128, seed);
    for (float &x : w)
      x += 0.8f; // an asymmetric group
    std::vector<float> h = importance(128, seed);
    const float *weights = seed % 2 ? h.data() : nullptr;
    std::vector<double> trace;
    GroupFit fit =
        fitScaleShift(w.data(), weights, 128, ShiftOptions(), &trace);
    for (size_t i = 1; i < trace.size(); ++i)
      EXPECT_LE(trace[i], trace[i - 1] * (1 + 1e-6)) << "seed " << seed;
    GroupFit plain =
        fitThreshold(Threshold::Calibrated, w.data(), weights, 128);
    EXPECT_LT(objective(fit, w, weights), objective(plain, w, weights));
  }
}

//===----------------------------------------------------------------------===//
// Sherry, dead zone, detection, low rank
//===----------------------------------------------------------------------===//

TEST(SherryTest, OneZeroPerQuartetAndPacksLosslessly) {
  const int64_t rows = 4, cols = 64;
  std::vector<float> w = gaussian(rows * cols, 5);
  MatrixRef m{w.data(), rows, cols};
  QuantizeOptions options;
  options.method = Method::Sherry;
  options.groupSize = 32;
  TernaryWeights q = mustQuantize(m, nullptr, options);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; k += 4) {
      int zeros = 0, smallest = 0;
      for (int i = 0; i < 4; ++i) {
        zeros += codeValue(q.code(0, r, k + i)) == 0;
        if (std::fabs(w[r * cols + k + i]) <
            std::fabs(w[r * cols + k + smallest]))
          smallest = i;
      }
      EXPECT_EQ(zeros, 1);
      EXPECT_EQ(codeValue(q.code(0, r, k + smallest)), 0);
    }
  std::vector<uint8_t> packed(packedBytes(Packing::Sherry, rows, cols));
  EXPECT_EQ(packed.size(), size_t(rows * 10)); // 1.25 bits per weight
  ASSERT_EQ(messageOf(pack(Packing::Sherry, q.codes.data(), rows, cols,
                           packed.data())),
            "");
  std::vector<uint8_t> back(rows * cols);
  ASSERT_EQ(messageOf(unpack(Packing::Sherry, Alphabet::Trit, packed.data(),
                             rows, cols, back.data())),
            "");
  EXPECT_EQ(back, q.codes);
  ErrorReport report = measure(m, nullptr, q, Packing::Sherry);
  EXPECT_DOUBLE_EQ(report.zeroFraction, 0.25);
  // As fitted, the scales are f32; stored as f16, 16 bits each.
  EXPECT_DOUBLE_EQ(report.bitsPerWeight, 1.25 + 32.0 / 32);
  ASSERT_TRUE(storeScalesAsHalf(q));
  EXPECT_DOUBLE_EQ(measure(m, nullptr, q, Packing::Sherry).bitsPerWeight,
                   1.25 + 16.0 / 32);
}

// Scales and shifts stored as f16 are rounded to the nearest f16 (ties to
// even) and counted 16 bits each; one outside f16's normal range keeps
// them all f32 (32 bits), unchanged.
TEST(Methods, ScalesStoredAsHalf) {
  TernaryWeights q(/*planes=*/2, /*rows=*/2, /*cols=*/8, /*groupSize=*/4,
                   /*withShifts=*/true);
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties to even gives 1;
  // 1 + 3 * 2^-11 rounds up to 1 + 2^-9.
  q.scales = {1.0f + 0x1p-11f,
              1.0f + 3 * 0x1p-11f,
              0.1f,
              -2.5f,
              0.0f,
              65504.0f,
              0x1p-14f,
              3.0f};
  q.shifts = {0.3f, -0.3f, 0.0f, 1e3f};
  std::vector<float> w(2 * 8, 0.5f);
  MatrixRef m{w.data(), 2, 8};
  double codeBits = 8.0 * double(packedBytes(Packing::SignMagnitude, 4, 8));
  EXPECT_DOUBLE_EQ(measure(m, nullptr, q, Packing::SignMagnitude).bitsPerWeight,
                   (codeBits + 32.0 * 12) / 16);
  ASSERT_TRUE(storeScalesAsHalf(q));
  EXPECT_EQ(q.scaleBits, 16);
  EXPECT_EQ(q.scales[0], 1.0f);
  EXPECT_EQ(q.scales[1], 1.0f + 0x1p-9f);
  EXPECT_EQ(q.scales[2], 0.0999755859375f); // the f16 nearest 0.1
  EXPECT_EQ(q.scales[3], -2.5f);
  EXPECT_EQ(q.scales[5], 65504.0f);
  EXPECT_EQ(q.scales[6], 0x1p-14f);
  EXPECT_EQ(q.shifts[0], 0.300048828125f);
  EXPECT_EQ(q.shifts[1], -0.300048828125f);
  EXPECT_DOUBLE_EQ(measure(m, nullptr, q, Packing::SignMagnitude).bitsPerWeight,
                   (codeBits + 16.0 * 12) / 16);

  for (float outside : {0x1p-15f, 70000.0f, -1e-6f}) {
    TernaryWeights f(1, 1, 4, 0, /*withShifts=*/true);
    f.scales = {0.5f};
    f.shifts = {outside};
    EXPECT_FALSE(storeScalesAsHalf(f)) << outside;
    EXPECT_EQ(f.scaleBits, 32);
    EXPECT_EQ(f.shifts[0], outside);
    EXPECT_EQ(f.scales[0], 0.5f);
  }
}

TEST(DeadZoneTest, BiasIsTheDroppedContribution) {
  std::vector<float> w = {1.0f, 0.1f, -1.0f, -0.2f, 0.05f, 1.0f, -1.0f, 0.3f};
  MatrixRef m{w.data(), 2, 4};
  QuantizeOptions options;
  options.granularity = Granularity::Channel;
  TernaryWeights q = mustQuantize(m, nullptr, options);
  std::vector<float> meanX = {2.0f, 3.0f, 5.0f, 7.0f};
  std::vector<float> bias = deadZoneBias(m, q, meanX.data());
  // Row 0 drops 0.1 and -0.2; row 1 drops 0.05 and 0.3.
  EXPECT_FLOAT_EQ(bias[0], 0.1f * 3 - 0.2f * 7);
  EXPECT_FLOAT_EQ(bias[1], 0.05f * 2 + 0.3f * 7);
}

TEST(DeadZoneTest, BiasCorrectionCancelsTheMeanOutputError) {
  std::vector<float> w = {1.0f, 0.1f, -1.0f, -0.2f, 0.05f, 1.0f, -1.0f, 0.3f};
  MatrixRef m{w.data(), 2, 4};
  QuantizeOptions options;
  options.granularity = Granularity::Channel;
  TernaryWeights q = mustQuantize(m, nullptr, options);
  std::vector<float> meanX = {2.0f, 3.0f, 5.0f, 7.0f};
  std::vector<float> bias = meanErrorBias(m, q, meanX.data());
  std::vector<float> approx = q.dequantize();
  // At x = E[x] the corrected layer computes exactly what the float one
  // does; the dead-zone bias is the part of it over the zero codes.
  std::vector<float> dead = deadZoneBias(m, q, meanX.data());
  for (int64_t r = 0; r < 2; ++r) {
    double exact = 0, corrected = bias[r], kept = 0;
    for (int64_t k = 0; k < 4; ++k) {
      exact += w[r * 4 + k] * meanX[k];
      corrected += approx[r * 4 + k] * meanX[k];
      if (approx[r * 4 + k] != 0)
        kept += (w[r * 4 + k] - approx[r * 4 + k]) * meanX[k];
    }
    EXPECT_NEAR(corrected, exact, 1e-5);
    EXPECT_NEAR(bias[r], dead[r] + kept, 1e-5);
  }
}

TEST(RefitScalesTest, MinimisesTheOutputErrorUnderH) {
  // One row, K = 4, codes + + 0 - chosen; w is not a multiple of them.
  std::vector<float> w = {1.0f, 0.5f, 0.2f, -0.8f};
  MatrixRef m{w.data(), 1, 4};
  TernaryWeights q(1, 1, 4, 0, false);
  q.code(0, 0, 0) = kPlus;
  q.code(0, 0, 1) = kPlus;
  q.code(0, 0, 3) = kMinus;
  q.scale(0, 0, 0) = 1.0f;
  // H = I: the least-squares scale t.w / t.t = (1 + 0.5 + 0.8) / 3.
  std::vector<double> identity(16, 0.0);
  for (int k = 0; k < 4; ++k)
    identity[k * 5] = 1.0;
  refitScales(m, identity.data(), q);
  EXPECT_NEAR(q.scale(0, 0, 0), 2.3 / 3.0, 1e-6);
  // A correlated H: the scale makes the output error orthogonal to the
  // codes under H, (w - a t)^T H t = 0, and no other scale does better.
  std::vector<double> h = {2.0, 0.5, 0.1, 0.0, 0.5, 1.0, 0.2, 0.3,
                           0.1, 0.2, 3.0, 0.4, 0.0, 0.3, 0.4, 1.5};
  refitScales(m, h.data(), q);
  auto error = [&](double a) {
    double t[4] = {1, 1, 0, -1}, d[4], e = 0;
    for (int k = 0; k < 4; ++k)
      d[k] = w[k] - a * t[k];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j)
        e += d[i] * h[i * 4 + j] * d[j];
    return e;
  };
  double a = q.scale(0, 0, 0);
  EXPECT_LT(error(a), error(a + 1e-3));
  EXPECT_LT(error(a), error(a - 1e-3));
  // Weights with shifts are left alone.
  TernaryWeights shifted(1, 1, 4, 0, true);
  shifted.code(0, 0, 0) = kPlus;
  shifted.scale(0, 0, 0) = 7.0f;
  refitScales(m, h.data(), shifted);
  EXPECT_EQ(shifted.scale(0, 0, 0), 7.0f);
}

TEST(DetectTest, FindsScaledTernaryWeightsAndRejectsOthers) {
  std::vector<float> w = {0.5f, -0.5f, 0.0f, 0.5f, 0.25f, 0.0f, -0.25f, -0.25f};
  MatrixRef m{w.data(), 2, 4};
  std::optional<TernaryWeights> q = detectScaledTernary(m, 0);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->dequantize(), w);
  EXPECT_FALSE(detectScaledTernary(MatrixRef{w.data(), 1, 8}, 0).has_value());
  EXPECT_TRUE(detectScaledTernary(MatrixRef{w.data(), 1, 8}, 4).has_value());
  w[1] = -0.5000001f;
  EXPECT_FALSE(detectScaledTernary(m, 0).has_value());
}

TEST(LowRankTest, RecoversALowRankResidualExactly) {
  const int64_t rows = 40, cols = 64, rank = 3;
  std::vector<float> a = gaussian(rows * rank, 1), b = gaussian(cols * rank, 2);
  std::vector<float> r(rows * cols, 0.0f);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t c = 0; c < rank; ++c)
        r[i * cols + j] += a[i * rank + c] * b[j * rank + c];
  llvm::Expected<LowRank> lr =
      lowRankResidual(MatrixRef{r.data(), rows, cols}, nullptr, rank);
  ASSERT_EQ(messageOf(lr), "");
  double err = 0, norm = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      double v = 0;
      for (int64_t c = 0; c < rank; ++c)
        v += double(lr->u[i * rank + c]) * lr->v[j * rank + c];
      err += (v - r[i * cols + j]) * (v - r[i * cols + j]);
      norm += double(r[i * cols + j]) * r[i * cols + j];
    }
  EXPECT_LT(std::sqrt(err / norm), 1e-5);
  EXPECT_LT(lr->singularValues[rank], 1e-4 * lr->singularValues[0]);
}

TEST(LowRankTest, MatchesTheEckartYoungBound) {
  // Singular values of a random matrix, checked through the residual norm:
  // ‖R − U Vᵀ‖² must equal ‖R‖² − Σ_{i<r} σ_i².
  const int64_t rows = 50, cols = 30, rank = 5;
  std::vector<float> r = gaussian(rows * cols, 9);
  llvm::Expected<LowRank> lr =
      lowRankResidual(MatrixRef{r.data(), rows, cols}, nullptr, rank);
  ASSERT_EQ(messageOf(lr), "");
  double err = 0, norm = 0, kept = 0;
  for (int64_t c = 0; c < rank; ++c)
    kept += lr->singularValues[c] * lr->singularValues[c];
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      double v = 0;
      for (int64_t c = 0; c < rank; ++c)
        v += double(lr->u[i * rank + c]) * lr->v[j * rank + c];
      err += (v - r[i * cols + j]) * (v - r[i * cols + j]);
      norm += double(r[i * cols + j]) * r[i * cols + j];
    }
  EXPECT_NEAR(err, norm - kept, 1e-3 * norm);
  // A sample truncation of lower rank cannot do better.
  EXPECT_LT(err, norm * 0.95);
}

//===----------------------------------------------------------------------===//
// Error feedback
//===----------------------------------------------------------------------===//

TEST(ErrorFeedbackTest, LowersTheOutputError) {
  const int64_t rows = 32, cols = 64, samples = 256;
  std::vector<float> w = gaussian(rows * cols, 31);
  // Correlated calibration inputs: x = A z.
  std::vector<float> z = gaussian(samples * cols, 32),
                     mix = gaussian(cols * cols, 33, 0.3f);
  std::vector<double> x(samples * cols, 0.0);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < cols; ++i) {
      double v = z[s * cols + i];
      for (int64_t j = 0; j < cols; ++j)
        v += mix[i * cols + j] * z[s * cols + j];
      x[s * cols + i] = v;
    }
  std::vector<double> hessian(cols * cols, 0.0);
  for (int64_t s = 0; s < samples; ++s)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        hessian[i * cols + j] += x[s * cols + i] * x[s * cols + j];
  auto outputError = [&](const TernaryWeights &q) {
    double err = 0;
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t r = 0; r < rows; ++r) {
        double d = 0;
        for (int64_t k = 0; k < cols; ++k)
          d += (double(w[r * cols + k]) - q.value(r, k)) * x[s * cols + k];
        err += d * d;
      }
    return err;
  };
  MatrixRef m{w.data(), rows, cols};
  for (Method method :
       {Method::Threshold, Method::TritPlanes, Method::ScaleShift}) {
    QuantizeOptions options;
    options.method = method;
    options.groupSize = 32;
    llvm::Expected<TernaryWeights> feedback = quantizeWithErrorFeedback(
        m, hessian.data(), options, ErrorFeedbackOptions());
    ASSERT_EQ(messageOf(feedback), "");
    TernaryWeights plain = mustQuantize(m, nullptr, options);
    EXPECT_LT(outputError(*feedback), outputError(plain))
        << "method " << int(method);
  }
}

TEST(RefineCodesTest, LowersTheDampedOutputErrorToACoordinateMinimum) {
  const int64_t rows = 16, cols = 64, samples = 256;
  const double dampening = 0.01;
  std::vector<float> w = gaussian(rows * cols, 41);
  std::vector<float> z = gaussian(samples * cols, 42),
                     mix = gaussian(cols * cols, 43, 0.3f);
  std::vector<double> hessian(cols * cols, 0.0), x(cols);
  for (int64_t s = 0; s < samples; ++s) {
    for (int64_t i = 0; i < cols; ++i) {
      x[i] = z[s * cols + i];
      for (int64_t j = 0; j < cols; ++j)
        x[i] += mix[i * cols + j] * z[s * cols + j];
    }
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        hessian[i * cols + j] += x[i] * x[j];
  }
  double meanDiag = 0;
  for (int64_t i = 0; i < cols; ++i)
    meanDiag += hessian[i * cols + i] / double(cols);
  // e (H + λI) eᵀ over every row: what refineCodes minimises.
  auto objective = [&](const TernaryWeights &q) {
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<double> e(cols);
      for (int64_t k = 0; k < cols; ++k)
        e[k] = double(q.value(r, k)) - w[r * cols + k];
      for (int64_t i = 0; i < cols; ++i) {
        sum += dampening * meanDiag * e[i] * e[i];
        for (int64_t j = 0; j < cols; ++j)
          sum += e[i] * hessian[i * cols + j] * e[j];
      }
    }
    return sum;
  };
  MatrixRef m{w.data(), rows, cols};
  for (int planes : {1, 2}) {
    QuantizeOptions options;
    options.method = planes == 1 ? Method::Threshold : Method::TritPlanes;
    options.tritPlanes.planes = planes;
    options.groupSize = 32;
    ErrorFeedbackOptions feedback;
    feedback.dampening = dampening;
    llvm::Expected<TernaryWeights> gptq =
        quantizeWithErrorFeedback(m, hessian.data(), options, feedback);
    ASSERT_EQ(messageOf(gptq), "");
    TernaryWeights refined = *gptq;
    int64_t moves =
        refineCodes(m, hessian.data(), dampening, 100, false, refined);
    EXPECT_GT(moves, 0) << planes << " planes";
    double before = objective(*gptq), after = objective(refined);
    EXPECT_LT(after, 0.98 * before) << planes << " planes";
    EXPECT_EQ(refined.scales, gptq->scales);
    // Converged: no single code change lowers the objective any more.
    for (int64_t r = 0; r < rows; r += 5)
      for (int64_t k = 0; k < cols; k += 7)
        for (int64_t p = 0; p < planes; ++p)
          for (int value : {-1, 0, 1}) {
            TernaryWeights moved = refined;
            moved.code(p, r, k) = codeOf(value);
            EXPECT_GE(objective(moved), after * (1 - 1e-9))
                << "row " << r << " column " << k << " plane " << p;
          }
    // One more call moves nothing.
    EXPECT_EQ(refineCodes(m, hessian.data(), dampening, 100, false, refined),
              0);
  }
  // Signed zeros follow the sign of the weight.
  QuantizeOptions options;
  options.groupSize = 32;
  options.signedZeros = true;
  TernaryWeights q = mustQuantize(m, nullptr, options);
  refineCodes(m, hessian.data(), dampening, 100, true, q);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      if (codeValue(q.code(0, r, k)) == 0) {
        EXPECT_EQ(q.code(0, r, k), codeOf(0, w[r * cols + k] < 0));
      }
    }
}

/// Second moments of x and x̃ = A x (+ noise), for retargetWeights.
struct ShiftedInputs {
  int64_t samples, cols;
  std::vector<double> x, received, cross, hessian;
  ShiftedInputs(int64_t samples, int64_t cols, float distortion, float noise)
      : samples(samples), cols(cols), x(samples * cols),
        received(samples * cols), cross(cols * cols, 0.0),
        hessian(cols * cols, 0.0) {
    std::vector<float> z = gaussian(samples * cols, 41),
                       mix = gaussian(cols * cols, 42, distortion),
                       e = gaussian(samples * cols, 43, noise);
    for (int64_t i = 0; i < samples * cols; ++i)
      x[i] = z[i];
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t i = 0; i < cols; ++i) {
        double v = x[s * cols + i] + e[s * cols + i];
        for (int64_t j = 0; j < cols; ++j)
          v += mix[i * cols + j] * x[s * cols + j];
        received[s * cols + i] = v;
      }
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          cross[i * cols + j] +=
              x[s * cols + i] * received[s * cols + j] / double(samples);
          hessian[i * cols + j] +=
              received[s * cols + i] * received[s * cols + j] / double(samples);
        }
  }
  /// E‖W x − V x̃‖² for V = `v` (rows x cols).
  double error(const std::vector<float> &w, const std::vector<float> &v) const {
    int64_t rows = int64_t(w.size()) / cols;
    double err = 0;
    for (int64_t s = 0; s < samples; ++s)
      for (int64_t r = 0; r < rows; ++r) {
        double d = 0;
        for (int64_t k = 0; k < cols; ++k)
          d += double(w[r * cols + k]) * x[s * cols + k] -
               double(v[r * cols + k]) * received[s * cols + k];
        err += d * d;
      }
    return err / double(samples);
  }
};

TEST(RetargetTest, IsTheIdentityWhenTheInputsAgree) {
  ShiftedInputs inputs(256, 16, 0.0f, 0.0f);
  std::vector<float> w = gaussian(8 * 16, 44);
  llvm::Expected<std::vector<float>> target =
      retargetWeights(MatrixRef{w.data(), 8, 16}, inputs.cross.data(),
                      inputs.hessian.data(), 0.01);
  ASSERT_EQ(messageOf(target), "");
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR((*target)[i], w[i], 1e-5);
}

TEST(RetargetTest, UndoesALinearDistortionOfTheInputs) {
  // x̃ = A x exactly: W* = W A⁻¹ reproduces W x from x̃.
  ShiftedInputs inputs(512, 16, 0.15f, 0.0f);
  std::vector<float> w = gaussian(8 * 16, 45);
  llvm::Expected<std::vector<float>> target =
      retargetWeights(MatrixRef{w.data(), 8, 16}, inputs.cross.data(),
                      inputs.hessian.data(), 1e-9);
  ASSERT_EQ(messageOf(target), "");
  EXPECT_LT(inputs.error(w, *target), 1e-8 * inputs.error(w, w));
}

TEST(RetargetTest, QuantizingTheTargetLowersTheErrorAgainstTheFloatLayer) {
  const int64_t rows = 32, cols = 64;
  ShiftedInputs inputs(512, cols, 0.05f, 0.2f);
  std::vector<float> w = gaussian(rows * cols, 46);
  MatrixRef m{w.data(), rows, cols};
  llvm::Expected<std::vector<float>> target =
      retargetWeights(m, inputs.cross.data(), inputs.hessian.data(), 0.01);
  ASSERT_EQ(messageOf(target), "");
  QuantizeOptions options;
  options.method = Method::TritPlanes;
  options.groupSize = 32;
  auto fit = [&](MatrixRef weights) {
    llvm::Expected<TernaryWeights> q = quantizeWithErrorFeedback(
        weights, inputs.hessian.data(), options, ErrorFeedbackOptions());
    EXPECT_EQ(messageOf(q), "");
    return q ? q->dequantize() : std::vector<float>();
  };
  double plain = inputs.error(w, fit(m));
  double retargeted =
      inputs.error(w, fit(MatrixRef{target->data(), rows, cols}));
  EXPECT_LT(retargeted, 0.8 * plain);
}

TEST(RetargetTest, RejectsAnIndefiniteSecondMoment) {
  std::vector<float> w = gaussian(2 * 4, 1);
  std::vector<double> cross(16, 0.0), indefinite(16, 0.0);
  indefinite[0] = -1;
  llvm::Expected<std::vector<float>> target = retargetWeights(
      MatrixRef{w.data(), 2, 4}, cross.data(), indefinite.data(), 0.01);
  EXPECT_EQ(messageOf(target),
            "the received second moment is not positive definite at column 0; "
            "raise the dampening");
}

//===----------------------------------------------------------------------===//
// Determinism and options
//===----------------------------------------------------------------------===//

TEST(DeterminismTest, BitIdenticalAcrossRunsAndThreadCounts) {
  const int64_t rows = 37, cols = 256;
  std::vector<float> w = heavyTailed(rows * cols, 41);
  std::vector<float> h = importance(cols, 42);
  MatrixRef m{w.data(), rows, cols};
  for (Method method : {Method::Threshold, Method::TritPlanes,
                        Method::ScaleShift, Method::Sherry}) {
    QuantizeOptions options;
    options.method = method;
    options.threshold = Threshold::Calibrated;
    options.groupSize = 64;
    options.threads = 1;
    TernaryWeights reference = mustQuantize(m, h.data(), options);
    for (int threads : {1, 2, 3, 8}) {
      options.threads = threads;
      TernaryWeights q = mustQuantize(m, h.data(), options);
      EXPECT_EQ(q.codes, reference.codes);
      EXPECT_EQ(0, std::memcmp(q.scales.data(), reference.scales.data(),
                               q.scales.size() * sizeof(float)));
      EXPECT_EQ(q.shifts, reference.shifts);
    }
  }
}

TEST(OptionsTest, BadOptionsAreExplained) {
  std::vector<float> w = gaussian(2 * 12, 1);
  MatrixRef m{w.data(), 2, 12};
  auto errorOf = [&](QuantizeOptions options) {
    llvm::Expected<TernaryWeights> q = quantize(m, nullptr, options);
    return messageOf(q);
  };
  QuantizeOptions options;
  options.groupSize = 5;
  EXPECT_EQ(errorOf(options), "group size 5 does not divide K = 12");
  options.groupSize = 0;
  EXPECT_EQ(errorOf(options), "group size must be positive, got 0");
  options = QuantizeOptions();
  options.groupSize = 6;
  options.method = Method::Sherry;
  EXPECT_EQ(errorOf(options),
            "Sherry needs groups of a multiple of 4 weights, got 6");
  options = QuantizeOptions();
  options.groupSize = 12;
  options.method = Method::TritPlanes;
  options.tritPlanes.planes = 5;
  EXPECT_EQ(errorOf(options), "trit planes must be between 1 and 4, got 5");
  options.tritPlanes.planes = 2;
  options.signedZeros = true;
  EXPECT_EQ(errorOf(options),
            "signed zeros (SZT) need a single plane, got 2 trit planes");
  options = QuantizeOptions();
  options.groupSize = 12;
  options.method = Method::Sherry;
  options.signedZeros = true;
  EXPECT_EQ(errorOf(options), "Sherry's 3:4 codes have no signed zeros");
  options = QuantizeOptions();
  options.groupSize = 12;
  options.scaleShift.maxIterations = 0;
  EXPECT_EQ(errorOf(options), "the iteration limit must be at least 1");
  options = QuantizeOptions();
  options.groupSize = 12;
  std::vector<float> h(12, 1.0f);
  h[3] = -1;
  llvm::Expected<TernaryWeights> q = quantize(m, h.data(), options);
  EXPECT_EQ(messageOf(q), "importance of column 3 must be finite and >= 0");
  llvm::Expected<TernaryWeights> empty =
      quantize(MatrixRef{w.data(), 0, 12}, nullptr, options);
  EXPECT_EQ(messageOf(empty), "expected a non-empty weight matrix, got 0 x 12");
  w[13] = NAN;
  EXPECT_EQ(errorOf(options), "weight at row 1, column 1 is not finite");
}

TEST(OptionsTest, ErrorFeedbackAndLowRankErrors) {
  std::vector<float> w = gaussian(2 * 4, 1);
  MatrixRef m{w.data(), 2, 4};
  std::vector<double> singular(16, 0.0); // XᵀX of no data: all zero
  singular[0] = -1;                      // and not even semi-definite
  QuantizeOptions options;
  options.groupSize = 4;
  auto feedbackError = [&](const double *hessian,
                           ErrorFeedbackOptions feedback) {
    llvm::Expected<TernaryWeights> q =
        quantizeWithErrorFeedback(m, hessian, options, feedback);
    return messageOf(q);
  };
  EXPECT_EQ(feedbackError(nullptr, ErrorFeedbackOptions()),
            "error feedback needs the calibration matrix H = XᵀX");
  EXPECT_EQ(feedbackError(singular.data(), ErrorFeedbackOptions()),
            "H + λI is not positive definite at column 0; raise the "
            "dampening");
  ErrorFeedbackOptions negative;
  negative.dampening = -1;
  EXPECT_EQ(feedbackError(singular.data(), negative), "dampening must be >= 0");
  options.method = Method::Sherry;
  EXPECT_EQ(feedbackError(singular.data(), ErrorFeedbackOptions()),
            "error feedback quantizes one column at a time, which Sherry's "
            "3:4 codes do not allow");
  llvm::Expected<LowRank> lr = lowRankResidual(m, nullptr, 3);
  EXPECT_EQ(messageOf(lr),
            "rank must be between 1 and min(rows, cols) = 2, got 3");
}

} // namespace

// Layers kept out of the ternary set: symmetric int8 per output channel,
// the scale rounded to f16 before the codes are chosen; f16 values; f32 for
// a layer beyond f16's range.
TEST(Methods, KeptInt8PerChannel) {
  // Row 0: max 1.27, scale 0.01 (f16: 0.0099945068359375); row 1: zeros;
  // row 2: max 127 * 2^-8, codes exact, 0.5 * 2^-8 a tie (to even: 0).
  std::vector<float> w = {1.27f,          -0.5f,          0.003f,
                          -1.27f,         0.0f,           0.0f,
                          0.0f,           0.0f,           127 * 0x1p-8f,
                          0.5f * 0x1p-8f, 1.5f * 0x1p-8f, -3 * 0x1p-8f};
  MatrixRef m{w.data(), 3, 4};
  KeptWeights kept = keepWeights(m, KeptFormat::Int8);
  ASSERT_EQ(kept.format, KeptFormat::Int8);
  EXPECT_EQ(kept.scaleBits, 16);
  EXPECT_EQ(kept.scales[0], roundToHalf(1.27f / 127.0f));
  EXPECT_EQ(kept.scales[1], 0.0f);
  EXPECT_EQ(kept.scales[2], 0x1p-8f);
  float s = kept.scales[0];
  std::vector<int8_t> expected = {int8_t(std::nearbyint(1.27f / s)),
                                  int8_t(std::nearbyint(-0.5f / s)),
                                  int8_t(std::nearbyint(0.003f / s)),
                                  int8_t(std::nearbyint(-1.27f / s)),
                                  0,
                                  0,
                                  0,
                                  0,
                                  127,
                                  0,
                                  2,
                                  -3};
  EXPECT_EQ(kept.codes, expected);
  // The f16 scale is a little below 0.01: 1.27 rounds to 127, not beyond.
  EXPECT_EQ(kept.codes[0], 127);
  EXPECT_DOUBLE_EQ(kept.bitsPerWeight(), 8.0 + 16.0 / 4);
  std::vector<float> approx = kept.dequantize();
  EXPECT_EQ(approx[8], 127 * 0x1p-8f);
  EXPECT_EQ(approx[10], 2 * 0x1p-8f);
  ErrorReport report = measure(m, nullptr, kept);
  EXPECT_DOUBLE_EQ(report.bitsPerWeight, 12.0);
  // 0.003 / 0.01 and the tie round to 0, besides row 1.
  EXPECT_DOUBLE_EQ(report.zeroFraction, 6.0 / 12);
  EXPECT_GT(report.relativeError, 0.0);
  EXPECT_LT(report.relativeError, 0.01);

  // A scale below f16's normal range keeps every scale f32.
  std::vector<float> tiny = {1e-6f, -2e-6f, 0.5f, 0.25f};
  KeptWeights small = keepWeights({tiny.data(), 2, 2}, KeptFormat::Int8);
  EXPECT_EQ(small.scaleBits, 32);
  EXPECT_EQ(small.scales[0], 2e-6f / 127.0f);
  EXPECT_EQ(small.codes[1], -127);
}

TEST(Methods, KeptHalf) {
  std::vector<float> w = {0.1f, -2.5f, 1.0f + 0x1p-11f, 3e-8f};
  KeptWeights kept = keepWeights({w.data(), 2, 2}, KeptFormat::F16);
  ASSERT_EQ(kept.format, KeptFormat::F16);
  EXPECT_EQ(kept.values[0], 0.0999755859375f);
  EXPECT_EQ(kept.values[1], -2.5f);
  EXPECT_EQ(kept.values[2], 1.0f); // a tie, to even
  EXPECT_EQ(kept.values[3], roundToHalf(3e-8f));
  EXPECT_DOUBLE_EQ(kept.bitsPerWeight(), 16.0);
  // Beyond f16's range: kept f32, exactly.
  std::vector<float> big = {7e4f, 1.0f};
  KeptWeights wide = keepWeights({big.data(), 1, 2}, KeptFormat::F16);
  EXPECT_EQ(wide.format, KeptFormat::F32);
  EXPECT_EQ(wide.values, big);
  EXPECT_DOUBLE_EQ(measure({big.data(), 1, 2}, nullptr, wide).bitsPerWeight,
                   32.0);
}

// A Hessian whose rounding made it slightly indefinite (eigenvalues about
// 1.95 and -0.05, as covariances of inputs that are affine in one another
// come out): λ at 1% of the mean diagonal does not make it definite, ten
// times that does, and error feedback goes on with it.
TEST(OptionsTest, ErrorFeedbackRaisesTheDampeningWhenItMustBe) {
  std::vector<double> h = {1.0, 1.0, 1.0, 0.9};
  std::vector<double> l;
  double used = 0;
  EXPECT_EQ(dampedCholeskyLower(2, h.data(), 0.01, false, l, &used), -1);
  EXPECT_DOUBLE_EQ(used, 0.1);
  // Without dampening nothing is raised.
  EXPECT_EQ(dampedCholeskyLower(2, h.data(), 0.0, false, l, &used), 1);
  std::vector<float> w = gaussian(3 * 2, 5);
  QuantizeOptions options;
  options.groupSize = 2;
  llvm::Expected<TernaryWeights> q = quantizeWithErrorFeedback(
      MatrixRef{w.data(), 3, 2}, h.data(), options, ErrorFeedbackOptions());
  EXPECT_TRUE(bool(q)) << messageOf(q);
}
