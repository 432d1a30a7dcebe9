//===- CalibrationTest.cpp - statistics of grouped layers -----------------===//
//
// A grouped convolution's statistics keep only the diagonal blocks of its
// second moments: they must be exactly those of the same activations taken
// as one layer, and a group's share must be its channels' statistics.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Calibration.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir::tern;

namespace {

TEST(CalibrationTest, GroupedMomentsAreTheDiagonalBlocks) {
  constexpr int64_t kRows = 37, kGroups = 3, kBlock = 5, kChannels = 15;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> x(kRows * kChannels), received(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = normal(rng);
    received[i] = x[i] + 0.1f * normal(rng);
  }
  TargetStatistics whole, grouped;
  whole.received.channels = grouped.received.channels = kChannels;
  grouped.received.groups = kGroups;
  // Two batches: the running means must merge alike.
  for (auto [first, rows] : {std::pair<int64_t, int64_t>{0, 20}, {20, 17}}) {
    whole.accumulate(rows, x.data() + first * kChannels,
                     received.data() + first * kChannels);
    grouped.accumulate(rows, x.data() + first * kChannels,
                       received.data() + first * kChannels);
  }
  ASSERT_EQ(grouped.received.secondMoment.size(),
            size_t(kGroups * kBlock * kBlock));
  ASSERT_EQ(grouped.crossMoment.size(), size_t(kGroups * kBlock * kBlock));
  for (int64_t g = 0; g < kGroups; ++g) {
    TargetStatistics part = grouped.group(g);
    EXPECT_EQ(part.received.channels, kBlock);
    EXPECT_EQ(part.received.groups, 1);
    EXPECT_EQ(part.received.samples, kRows);
    for (int64_t i = 0; i < kBlock; ++i) {
      int64_t c = g * kBlock + i;
      EXPECT_DOUBLE_EQ(part.received.mean[i], whole.received.mean[c]);
      EXPECT_DOUBLE_EQ(part.received.meanSquare[i],
                       whole.received.meanSquare[c]);
      EXPECT_DOUBLE_EQ(part.floatMean[i], whole.floatMean[c]);
      for (int64_t j = 0; j < kBlock; ++j) {
        int64_t at = i * kBlock + j, full = c * kChannels + g * kBlock + j;
        EXPECT_DOUBLE_EQ(part.received.secondMoment[at],
                         whole.received.secondMoment[full]);
        EXPECT_DOUBLE_EQ(part.floatSecondMoment[at],
                         whole.floatSecondMoment[full]);
        EXPECT_DOUBLE_EQ(part.crossMoment[at], whole.crossMoment[full]);
      }
    }
  }
}

TEST(CalibrationTest, GroupsSurviveTheAttributeAndRejectNonDivisors) {
  mlir::MLIRContext context;
  Calibration calibration;
  calibration.inputSets = 2;
  LayerStatistics &stats = calibration.layers["dw"];
  stats.channels = 6;
  stats.groups = 3;
  std::vector<double> sums(6, 1.0), outer(3 * 2 * 2, 0.5);
  stats.accumulate<double>(4, sums.data(), sums.data(), sums.data(),
                           outer.data());
  mlir::DictionaryAttr attr = calibrationToAttr(&context, calibration);
  Calibration read;
  ASSERT_TRUE(mlir::succeeded(calibrationFromAttr(attr, read, [&] {
    return mlir::emitError(mlir::UnknownLoc::get(&context));
  })));
  EXPECT_EQ(read.layers["dw"].groups, 3);
  EXPECT_EQ(read.layers["dw"].secondMoment, stats.secondMoment);

  // Groups that do not divide the channels are an error, not a crash.
  mlir::Builder b(&context);
  auto layers = attr.getAs<mlir::DictionaryAttr>("layers");
  mlir::NamedAttrList fields(layers.getAs<mlir::DictionaryAttr>("dw"));
  fields.set("groups", b.getI64IntegerAttr(4));
  attr = b.getDictionaryAttr(
      {b.getNamedAttr("input_sets", b.getI64IntegerAttr(2)),
       b.getNamedAttr("layers", b.getDictionaryAttr({b.getNamedAttr(
                                    "dw", fields.getDictionary(&context))}))});
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
    message = d.str();
    return mlir::success();
  });
  Calibration bad;
  EXPECT_TRUE(mlir::failed(calibrationFromAttr(attr, bad, [&] {
    return mlir::emitError(mlir::UnknownLoc::get(&context));
  })));
  EXPECT_NE(message.find("groups 4 does not divide its 6 channels"),
            std::string::npos)
      << message;
}

} // namespace
