//===- TernOpsTest.cpp - C++ API of the tern dialect ----------------------===//
//
// Builds tern IR through the C++ API, as passes do, and checks that the
// builders produce IR the verifiers accept and the printer round-trips.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/IR/TernOps.h"
#include "ErrorMessage.h"
#include "tern/Quant/Packing.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tern;
using ::tern::unittest::messageOf;

namespace {

class TernOpsTest : public ::testing::Test {
protected:
  TernOpsTest() : builder(&context) {
    context.loadDialect<TernDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// Verifies the module, collecting the first diagnostic message.
  LogicalResult verifyModule(std::string &message) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return success();
    });
    return verify(*module);
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(TernOpsTest, ConstantBuilderPacksAndVerifies) {
  auto type = RankedTensorType::get({2, 6}, SZTType::get(&context));
  const uint8_t codes[] = {::tern::quant::kPlus,    ::tern::quant::kZeroNeg,
                           ::tern::quant::kMinus,   ::tern::quant::kZeroPos,
                           ::tern::quant::kPlus,    ::tern::quant::kPlus,
                           ::tern::quant::kMinus,   ::tern::quant::kMinus,
                           ::tern::quant::kZeroNeg, ::tern::quant::kZeroPos,
                           ::tern::quant::kPlus,    ::tern::quant::kZeroNeg};
  int64_t size =
      ::tern::quant::packedBytes(::tern::quant::Packing::SignMagnitude, 2, 6);
  std::vector<uint8_t> bytes(size);
  ASSERT_EQ(messageOf(::tern::quant::pack(::tern::quant::Packing::SignMagnitude,
                                          codes, 2, 6, bytes.data())),
            "");

  auto op = ConstantOp::create(builder, builder.getUnknownLoc(), type,
                               PackingKind::SignMagnitude, "w", bytes);
  std::string message;
  EXPECT_TRUE(succeeded(verifyModule(message))) << message;
  EXPECT_TRUE(succeeded(op.verifyContents()));
  EXPECT_EQ(op.getPackingAttr().getPackedBytes(type.getShape()), size);

  // The printed form names the blob and carries the bytes as a resource.
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  EXPECT_NE(text.find("dense_resource<w> : tensor<4xi8>"), std::string::npos)
      << text;
  EXPECT_NE(text.find("dialect_resources"), std::string::npos) << text;

  // ... and parses back to the same bytes.
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(text, &context);
  ASSERT_TRUE(parsed);
  auto reparsed = *parsed->getOps<ConstantOp>().begin();
  EXPECT_TRUE(succeeded(reparsed.verifyContents()));
  auto value = cast<DenseResourceElementsAttr>(reparsed.getValue());
  ArrayRef<char> data = value.getRawHandle().getBlob()->getData();
  EXPECT_EQ(std::vector<uint8_t>(data.begin(), data.end()), bytes);
}

TEST_F(TernOpsTest, ConstantIsConstantLike) {
  auto type = RankedTensorType::get({1, 4}, TritType::get(&context));
  const uint8_t bytes[] = {0x45};
  auto op = ConstantOp::create(builder, builder.getUnknownLoc(), type,
                               PackingKind::SignMagnitude, "w", bytes);
  // m_Constant sees the codes, their layout and their type.
  PackedCodesAttr codes;
  ASSERT_TRUE(matchPattern(op.getResult(), m_Constant(&codes)));
  EXPECT_EQ(codes.getType(), type);
  EXPECT_EQ(codes.getPacking().getValue(), PackingKind::SignMagnitude);
  EXPECT_EQ(codes.getBytes(), op.getValue());
  // The dialect rebuilds the same constant from it, and nothing else.
  Dialect *dialect = context.getLoadedDialect<TernDialect>();
  Operation *rebuilt = dialect->materializeConstant(builder, codes, type,
                                                    builder.getUnknownLoc());
  ASSERT_TRUE(rebuilt);
  auto constant = cast<ConstantOp>(rebuilt);
  EXPECT_EQ(constant.getPackingAttr(), op.getPackingAttr());
  EXPECT_EQ(constant.getValue(), op.getValue());
  EXPECT_EQ(constant.getResult().getType(), type);
  EXPECT_FALSE(dialect->materializeConstant(
      builder, codes, RankedTensorType::get({1, 4}, SZTType::get(&context)),
      builder.getUnknownLoc()));
  EXPECT_FALSE(dialect->materializeConstant(
      builder, builder.getI32IntegerAttr(1), builder.getI32Type(),
      builder.getUnknownLoc()));
}

TEST_F(TernOpsTest, ConstantBuilderRejectsWrongByteCount) {
  auto type = RankedTensorType::get({4, 8}, TritType::get(&context));
  const uint8_t bytes[] = {0, 0, 0};
  ConstantOp::create(builder, builder.getUnknownLoc(), type, PackingKind::Base3,
                     "w", bytes);
  std::string message;
  EXPECT_TRUE(failed(verifyModule(message)));
  EXPECT_EQ(message, "'tern.constant' op expects 8 packed bytes for "
                     "'tensor<4x8x!tern.trit>' in #tern.packing<base3>, got 3");
}

TEST_F(TernOpsTest, VerifyContentsNamesTheBadByte) {
  auto type = RankedTensorType::get({1, 4}, TritType::get(&context));
  const uint8_t bytes[] = {0x20}; // column 2 holds 0-, which trit lacks
  auto op = ConstantOp::create(builder, builder.getUnknownLoc(), type,
                               PackingKind::SignMagnitude, "w", bytes);
  std::string message;
  ASSERT_TRUE(succeeded(verifyModule(message))) << message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(op.verifyContents()));
  EXPECT_EQ(message, "'tern.constant' op has invalid packed data in blob 'w': "
                     "signed zero (0b10) in a !tern.trit tensor at row 0, "
                     "column 2");
}

TEST_F(TernOpsTest, GroupedLayout) {
  auto codes = RankedTensorType::get({2, 4, 16}, TritType::get(&context));
  GroupedLayout layout = GroupedLayout::get(codes, 8);
  EXPECT_EQ(layout.planes, 2);
  EXPECT_EQ(layout.rows, 4);
  EXPECT_EQ(layout.k, 16);
  EXPECT_EQ(layout.groupSize, 8);
  EXPECT_EQ(layout.groups, 2);
  GroupedLayout whole = GroupedLayout::get(codes, 0);
  EXPECT_EQ(whole.groupSize, 16);
  EXPECT_EQ(whole.groups, 1);
}

} // namespace
