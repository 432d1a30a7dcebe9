//===- ModelEvaluatorTest.cpp - PTQ passes run models only through it -----===//
//
// tern-calibrate and tern-ternarize run modules through the ModelEvaluator a
// tool registers. With none registered they say so; with a fake one (no
// JIT in this binary) calibration runs entirely through the fake.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/ModelEvaluator.h"
#include "ErrorMessage.h"
#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Quantization/Calibration.h"
#include "tern/Quantization/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;
using ::tern::support::DType;
using ::tern::unittest::messageOf;

namespace {

constexpr const char *kModel = R"mlir(
func.func @main(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<3x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%init : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
)mlir";

/// Returns every output filled with `value`, as if every activation were it.
class FakeModel : public EvaluableModel {
public:
  FakeModel(ModelSignature signature, float value, int &runs, bool fail)
      : signature_(std::move(signature)), value_(value), runs_(runs),
        fail_(fail) {}
  const ModelSignature &signature() const override { return signature_; }
  llvm::Error run(std::vector<Array> &inputs,
                  std::vector<Array> *outputs) override {
    ++runs_;
    if (fail_)
      return llvm::createStringError("the fake model ran out of memory");
    if (!outputs)
      return llvm::Error::success();
    outputs->clear();
    for (const TensorSignature &output : signature_.outputs) {
      Array array;
      array.type = DType::F32;
      array.shape.assign(output.shape.begin(), output.shape.end());
      array.data.resize(array.numElements() * sizeof(float));
      auto *data = reinterpret_cast<float *>(array.data.data());
      std::fill(data, data + array.numElements(), value_);
      outputs->push_back(std::move(array));
    }
    return llvm::Error::success();
  }

private:
  ModelSignature signature_;
  float value_;
  int &runs_;
  bool fail_;
};

class FakeEvaluator : public ModelEvaluator {
public:
  FakeEvaluator(int &prepares, int &runs, bool failRuns = false)
      : prepares_(prepares), runs_(runs), failRuns_(failRuns) {}
  FailureOr<std::unique_ptr<EvaluableModel>>
  prepare(ModuleOp module, const TargetCPU &) override {
    ++prepares_;
    // The copy lives in a context of its own: its errors must reach the
    // pass's context.
    if (failPrepare)
      return module.lookupSymbol<func::FuncOp>("main").emitError(
          "the fake evaluator cannot lower this");
    FailureOr<ModelSignature> signature =
        readSignature(module.lookupSymbol<func::FuncOp>("main"));
    if (failed(signature))
      return failure();
    return std::unique_ptr<EvaluableModel>(std::make_unique<FakeModel>(
        std::move(*signature), 2.0f, runs_, failRuns_));
  }

  bool failPrepare = false;

private:
  int &prepares_;
  int &runs_;
  bool failRuns_;
};

class ModelEvaluatorTest : public ::testing::Test {
protected:
  ModelEvaluatorTest() {
    registry.insert<TernDialect, arith::ArithDialect, func::FuncDialect,
                    linalg::LinalgDialect, tensor::TensorDialect>();
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(kModel, context.get());
  }
  ~ModelEvaluatorTest() override { registerModelEvaluator(nullptr); }
  static void SetUpTestSuite() { registerTernQuantizationPasses(); }

  /// A calibration directory with one input set of @main's one input.
  std::string makeInputs() {
    llvm::SmallString<128> dir;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("tern-evaluator", dir));
    Array x;
    x.shape = {3, 4};
    x.data.resize(12 * sizeof(float));
    EXPECT_EQ(messageOf(writeNpy((dir + "/set0.npy").str(), x)), "");
    directory = dir.str().str();
    return directory;
  }
  void TearDown() override {
    if (!directory.empty())
      llvm::sys::fs::remove_directories(directory);
  }

  /// Runs `pipeline` on the module; the first error goes to `message`.
  LogicalResult run(StringRef pipeline, std::string &message) {
    ScopedDiagnosticHandler handler(context.get(), [&](Diagnostic &diag) {
      if (message.empty() && diag.getSeverity() == DiagnosticSeverity::Error)
        message = diag.str();
      return success();
    });
    PassManager pm(context.get());
    if (failed(parsePassPipeline(pipeline, pm)))
      return failure();
    return pm.run(*module);
  }

  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  std::string directory;
};

TEST_F(ModelEvaluatorTest, PassesNameWhatNeedsAnEvaluator) {
  registerModelEvaluator(nullptr);
  ASSERT_TRUE(module);
  std::string inputs = makeInputs(), message;
  EXPECT_TRUE(failed(run("tern-calibrate{inputs=" + inputs + "}", message)));
  EXPECT_NE(message.find("tern-calibrate runs the model on calibration "
                         "inputs, and no model evaluator is registered"),
            std::string::npos)
      << message;

  message.clear();
  EXPECT_TRUE(failed(run(
      "tern-ternarize{sequential=true calibration=" + inputs + "}", message)));
  EXPECT_NE(message.find("tern-ternarize: sequential=true runs the model"),
            std::string::npos)
      << message;
}

TEST_F(ModelEvaluatorTest, CalibrationRunsThroughTheRegisteredEvaluator) {
  int prepares = 0, runs = 0;
  registerModelEvaluator(std::make_unique<FakeEvaluator>(prepares, runs));
  ASSERT_TRUE(module);
  std::string inputs = makeInputs(), message;
  ASSERT_TRUE(succeeded(run("tern-calibrate{inputs=" + inputs + "}", message)))
      << message;
  EXPECT_EQ(prepares, 1);
  EXPECT_EQ(runs, 1); // one input set
  auto attr = (*module)->getAttrOfType<DictionaryAttr>(kCalibrationAttrName);
  ASSERT_TRUE(attr);
  Calibration calibration;
  ASSERT_TRUE(succeeded(calibrationFromAttr(
      attr, calibration, [&] { return emitError((*module)->getLoc()); })));
  EXPECT_EQ(calibration.inputSets, 1);
  ASSERT_EQ(calibration.layers.size(), 1u);
  const auto &layer = calibration.layers.begin()->second;
  EXPECT_EQ(layer.channels, 4);
}

TEST_F(ModelEvaluatorTest, ErrorsOfTheCopyAndOfRunsAreReportedByThePass) {
  int prepares = 0, runs = 0;
  auto evaluator = std::make_unique<FakeEvaluator>(prepares, runs);
  evaluator->failPrepare = true;
  registerModelEvaluator(std::move(evaluator));
  ASSERT_TRUE(module);
  std::string inputs = makeInputs(), message;
  EXPECT_TRUE(failed(run("tern-calibrate{inputs=" + inputs + "}", message)));
  EXPECT_EQ(message.rfind("tern-calibrate: the fake evaluator cannot lower "
                          "this (at ",
                          0),
            0u)
      << message;

  registerModelEvaluator(std::make_unique<FakeEvaluator>(prepares, runs,
                                                         /*failRuns=*/true));
  message.clear();
  EXPECT_TRUE(failed(run("tern-calibrate{inputs=" + inputs + "}", message)));
  EXPECT_EQ(message, "tern-calibrate: the fake model ran out of memory");
  message.clear();
  EXPECT_TRUE(failed(run(
      "tern-ternarize{sequential=true calibration=" + inputs + "}", message)));
  EXPECT_EQ(message, "tern-ternarize: sequential: the fake model ran out of "
                     "memory");
}

} // namespace
