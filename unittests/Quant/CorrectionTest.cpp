//===- CorrectionTest.cpp - salient-column and low-rank corrections -------===//
//
// Checks what salient= and low-rank= claim on small cases: the salient
// columns are those through which most of the output flows; a residual that
// is a few columns plus a low-rank matrix is corrected up to its storage's
// rounding; the Hessian-weighted low-rank fit leaves less output error than
// the unweighted one under correlated inputs; addTo and the bits
// agree with the parts; bad requests are errors.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Correction.h"
#include "ErrorMessage.h"
#include "Gaussian.h"
#include "tern/Quant/Quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace tern::quant;

namespace {

using ::tern::unittest::gaussian;
using ::tern::unittest::messageOf;

/// tr(E H Eᵀ) for E rows x cols and H cols x cols.
double outputError(const std::vector<float> &e, const std::vector<double> &h,
                   int64_t rows, int64_t cols) {
  double sum = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < cols; ++i)
      for (int64_t j = 0; j < cols; ++j)
        sum += double(e[r * cols + i]) * h[i * cols + j] * e[r * cols + j];
  return sum;
}

TEST(CorrectionTest, SalientColumnsCarryTheMostOutput) {
  // Column 5 has small weights but a huge input; column 2 large weights.
  const int64_t rows = 4, cols = 8;
  std::vector<float> w(rows * cols, 0.1f);
  for (int64_t r = 0; r < rows; ++r)
    w[r * cols + 2] = 1.0f;
  std::vector<float> h(cols, 1.0f);
  h[5] = 400.0f;
  MatrixRef m{w.data(), rows, cols};
  EXPECT_EQ(salientColumns(m, h.data(), 2), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(salientColumns(m, h.data(), 1), (std::vector<int64_t>{5}));
  EXPECT_EQ(salientColumns(m, nullptr, 1), (std::vector<int64_t>{2}));
  EXPECT_TRUE(salientColumns(m, nullptr, 0).empty());
}

TEST(CorrectionTest, RecoversColumnsPlusALowRankResidual) {
  const int64_t rows = 24, cols = 40, rank = 2;
  std::vector<float> a = gaussian(rows * rank, 3), b = gaussian(cols * rank, 4);
  std::vector<float> residual(rows * cols, 0.0f);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t c = 0; c < rank; ++c)
        residual[i * cols + j] += 0.1f * a[i * rank + c] * b[j * rank + c];
  // Two outlier columns on top.
  std::vector<int64_t> columns = {7, 31};
  std::vector<float> spikes = gaussian(rows * 2, 5);
  for (int64_t i = 0; i < rows; ++i)
    for (int j = 0; j < 2; ++j)
      residual[i * cols + columns[j]] += 5.0f * spikes[i * 2 + j];
  MatrixRef m{residual.data(), rows, cols};
  for (KeptFormat format : {KeptFormat::F16, KeptFormat::Int8}) {
    CorrectionOptions options;
    options.rank = rank;
    options.format = format;
    llvm::Expected<Correction> c = fitCorrection(m, columns, options);
    ASSERT_EQ(messageOf(c), "");
    EXPECT_EQ(c->columns, columns);
    EXPECT_EQ(c->rank(), rank);
    std::vector<float> left(residual);
    for (float &v : left)
      v = -v;
    c->addTo(left.data()); // C − R
    double err = 0, norm = 0;
    for (int64_t i = 0; i < rows * cols; ++i) {
      err += double(left[i]) * left[i];
      norm += double(residual[i]) * residual[i];
    }
    // f16 rounds to 2^-11, int8 to 1/254 of each row's largest value.
    EXPECT_LT(std::sqrt(err / norm), format == KeptFormat::F16 ? 1e-3 : 2e-2)
        << keptFormatName(format);
  }
}

TEST(CorrectionTest, CountsTheBitsOfEveryPart) {
  const int64_t rows = 16, cols = 32;
  std::vector<float> residual = gaussian(rows * cols, 6);
  CorrectionOptions options;
  options.rank = 3;
  llvm::Expected<Correction> c =
      fitCorrection(MatrixRef{residual.data(), rows, cols},
                    std::vector<int64_t>{1, 2}, options);
  ASSERT_EQ(messageOf(c), "");
  // int8 codes, one 16-bit scale per row of each part, 32 bits an index.
  double expected = 8.0 * (rows * 2 + 3 * cols + rows * 3) +
                    16.0 * (rows + 3 + rows) + 32.0 * 2;
  EXPECT_DOUBLE_EQ(c->storedBits(), expected);
}

TEST(CorrectionTest, HessianWeightingLeavesLessOutputError) {
  // Inputs with strongly correlated channels: x = z A, H = Aᵀ A.
  const int64_t rows = 32, cols = 24, rank = 4;
  std::vector<float> mix = gaussian(cols * cols, 7);
  std::vector<double> h(cols * cols, 0.0);
  for (int64_t i = 0; i < cols; ++i)
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t k = 0; k < cols; ++k)
        h[i * cols + j] += double(mix[k * cols + i]) * mix[k * cols + j] *
                           (k < 4 ? 100.0 : 1.0);
  std::vector<float> residual = gaussian(rows * cols, 8);
  MatrixRef m{residual.data(), rows, cols};
  std::vector<float> diagonal(cols);
  for (int64_t k = 0; k < cols; ++k)
    diagonal[k] = float(h[k * cols + k]);
  double errors[2];
  for (int weighted = 0; weighted < 2; ++weighted) {
    CorrectionOptions options;
    options.rank = rank;
    options.format = KeptFormat::F16;
    options.dampening = 1e-6;
    options.weight =
        weighted ? LowRankWeight::Hessian : LowRankWeight::Diagonal;
    options.hessian = h.data();
    options.h = diagonal.data();
    llvm::Expected<Correction> c = fitCorrection(m, {}, options);
    ASSERT_EQ(messageOf(c), "");
    std::vector<float> left(residual);
    for (float &v : left)
      v = -v;
    c->addTo(left.data());
    errors[weighted] = outputError(left, h, rows, cols);
  }
  double before = outputError(residual, h, rows, cols);
  EXPECT_LT(errors[0], before);
  // Rank 4 removes the 4 strong input directions under H: far less left.
  EXPECT_LT(errors[1], 0.5 * errors[0]);
}

TEST(CorrectionTest, WeightingChoosesWhatTheFitSees) {
  // One heavy column: weighted by it, rank 1 spends itself there.
  const int64_t rows = 12, cols = 10;
  std::vector<float> residual = gaussian(rows * cols, 10);
  std::vector<float> h(cols, 1.0f);
  h[3] = 1e4f;
  MatrixRef m{residual.data(), rows, cols};
  auto leftInColumn3 = [&](LowRankWeight weight) {
    CorrectionOptions options;
    options.rank = 1;
    options.format = KeptFormat::F16;
    options.weight = weight;
    options.h = h.data();
    llvm::Expected<Correction> c = fitCorrection(m, {}, options);
    EXPECT_EQ(messageOf(c), "");
    std::vector<float> left(residual);
    for (float &v : left)
      v = -v;
    c->addTo(left.data());
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r)
      sum += double(left[r * cols + 3]) * left[r * cols + 3];
    return sum;
  };
  double column3 = 0;
  for (int64_t r = 0; r < rows; ++r)
    column3 += double(residual[r * cols + 3]) * residual[r * cols + 3];
  // Diagonal: column 3 almost cancelled; None: h ignored, far less so.
  EXPECT_LT(leftInColumn3(LowRankWeight::Diagonal), 1e-3 * column3);
  EXPECT_GT(leftInColumn3(LowRankWeight::None), 1e-2 * column3);
  EXPECT_STREQ(lowRankWeightName(LowRankWeight::Hessian), "hessian");
}

TEST(CorrectionTest, BadRequestsAreErrors) {
  std::vector<float> residual = gaussian(8 * 6, 9);
  MatrixRef m{residual.data(), 8, 6};
  CorrectionOptions options;
  llvm::Expected<Correction> unsorted =
      fitCorrection(m, std::vector<int64_t>{3, 1}, options);
  EXPECT_NE(messageOf(unsorted).find("ascending"), std::string::npos);
  llvm::Expected<Correction> outside =
      fitCorrection(m, std::vector<int64_t>{6}, options);
  EXPECT_NE(messageOf(outside).find("within the 6 columns"), std::string::npos);
  options.rank = 7;
  llvm::Expected<Correction> tooHigh = fitCorrection(m, {}, options);
  EXPECT_NE(messageOf(tooHigh).find("rank must be between 1 and"),
            std::string::npos);
  options.rank = 1;
  options.format = KeptFormat::F32;
  llvm::Expected<Correction> f32 = fitCorrection(m, {}, options);
  EXPECT_NE(messageOf(f32).find("int8 or f16"), std::string::npos);
  options.format = KeptFormat::Int8;
  std::vector<double> singular(36, 0.0);
  options.weight = LowRankWeight::Hessian;
  options.hessian = singular.data();
  options.dampening = 0;
  llvm::Expected<Correction> notDefinite = fitCorrection(m, {}, options);
  EXPECT_NE(messageOf(notDefinite).find("not positive definite"),
            std::string::npos);
}

} // namespace
