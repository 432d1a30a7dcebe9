//===- RotationTest.cpp - incoherence processing --------------------------===//
//
// Checks that makeRotation's Q = L ⊗ R is orthogonal and deterministic, that
// its products agree with the dense matrix, that rotating both sides leaves
// a layer's outputs unchanged, and that it does what rotate= is for: heavy-
// tailed rows lose less to one trit plane once rotated.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Rotation.h"
#include "Gaussian.h"
#include "tern/Quant/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace tern::quant;

namespace {

using ::tern::unittest::gaussian;

TEST(RotationTest, FactorsKIntoTheClosestDivisors) {
  Rotation r120 = makeRotation(120);
  EXPECT_EQ(r120.a, 10);
  EXPECT_EQ(r120.b, 12);
  Rotation r2048 = makeRotation(2048);
  EXPECT_EQ(r2048.a, 32);
  EXPECT_EQ(r2048.b, 64);
  // A prime width has no factors: one dense R.
  Rotation r127 = makeRotation(127);
  EXPECT_EQ(r127.a, 1);
  EXPECT_EQ(r127.b, 127);
  EXPECT_EQ(std::fabs(r127.left[0]), 1.0f);
}

TEST(RotationTest, IsOrthogonalAndDeterministic) {
  for (int64_t k : {1, 6, 120, 127, 240}) {
    Rotation r = makeRotation(k);
    std::vector<float> q = r.dense();
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < k; ++c)
          dot += double(q[i * k + c]) * q[j * k + c];
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5) << k << " " << i << " " << j;
      }
    Rotation again = makeRotation(k);
    EXPECT_EQ(again.left, r.left);
    EXPECT_EQ(again.right, r.right);
  }
  // Another seed, another rotation.
  EXPECT_NE(makeRotation(120, 1).right, makeRotation(120).right);
}

TEST(RotationTest, ProductsMatchTheDenseMatrix) {
  int64_t k = 60;
  Rotation r = makeRotation(k);
  std::vector<float> q = r.dense(), v = gaussian(k, 1);
  std::vector<float> rotated = v;
  r.apply(rotated.data());
  for (int64_t j = 0; j < k; ++j) {
    double sum = 0;
    for (int64_t i = 0; i < k; ++i)
      sum += double(v[i]) * q[i * k + j];
    EXPECT_NEAR(rotated[j], sum, 1e-5);
  }
  r.unapply(rotated.data());
  for (int64_t i = 0; i < k; ++i)
    EXPECT_NEAR(rotated[i], v[i], 1e-5);

  // Qᵀ M Q against the dense product.
  std::vector<float> mf = gaussian(k * k, 2);
  std::vector<double> m(mf.begin(), mf.end()), conjugated = m;
  r.conjugate(conjugated.data());
  for (int64_t i = 0; i < k; i += 7)
    for (int64_t j = 0; j < k; j += 5) {
      double sum = 0;
      for (int64_t s = 0; s < k; ++s)
        for (int64_t t = 0; t < k; ++t)
          sum += double(q[s * k + i]) * m[s * k + t] * q[t * k + j];
      EXPECT_NEAR(conjugated[i * k + j], sum, 1e-4);
    }
}

TEST(RotationTest, RotatingBothSidesKeepsTheOutputs) {
  int64_t k = 48, n = 5;
  Rotation r = makeRotation(k);
  std::vector<float> w = gaussian(n * k, 3), x = gaussian(k, 4);
  std::vector<float> wq = w, xq = x;
  r.applyRows(wq.data(), n);
  r.apply(xq.data());
  for (int64_t row = 0; row < n; ++row) {
    double y = 0, yq = 0;
    for (int64_t c = 0; c < k; ++c) {
      y += double(w[row * k + c]) * x[c];
      yq += double(wq[row * k + c]) * xq[c];
    }
    EXPECT_NEAR(yq, y, 1e-4);
  }
}

TEST(RotationTest, SpreadsOutliersForOnePlane) {
  // Rows with a few large weights (as layers that read outlier channels
  // have): one trit plane either zeroes the bulk or saturates the outliers.
  int64_t n = 32, k = 256;
  std::vector<float> w = gaussian(n * k, 5);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t c : {3, 77, 200})
      w[row * k + c] *= 12.0f;
  QuantizeOptions options;
  options.method = Method::TritPlanes;
  options.tritPlanes.planes = 1;
  options.granularity = Granularity::Channel;
  auto relativeError = [&](const std::vector<float> &m) {
    llvm::Expected<TernaryWeights> q =
        quantize({m.data(), n, k}, nullptr, options);
    EXPECT_TRUE(bool(q));
    std::vector<float> approx = q->dequantize();
    double err = 0, norm = 0;
    for (int64_t i = 0; i < n * k; ++i) {
      err += (m[i] - approx[i]) * double(m[i] - approx[i]);
      norm += double(m[i]) * m[i];
    }
    return err / norm;
  };
  Rotation r = makeRotation(k);
  std::vector<float> rotated = w;
  r.applyRows(rotated.data(), n);
  // Orthogonal: the error in the rotated space is the layer's error.
  double plain = relativeError(w), spread = relativeError(rotated);
  EXPECT_LT(spread, 0.75 * plain) << plain << " " << spread;
}

} // namespace
