//===- Calibrate.cpp - activation statistics of every layer ---------------===//
//
// This file implements tern-calibrate: observers on the activations of the
// quantizable layers of a copy of the module, which the JIT runs on the
// calibration inputs.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Passes.h"

#include "tern/Quantization/Calibration.h"
#include "tern/Quantization/Layers.h"
#include "tern/Quantization/ModelEvaluator.h"
#include "tern/Quantization/Progress.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/Regex.h"

#include "llvm/Support/raw_ostream.h"
#include <cstring>

namespace mlir::tern {
#define GEN_PASS_DEF_CALIBRATE
#include "tern/Quantization/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;

namespace {

/// Per-column reduction of the M x K `rows` into a K vector that starts at
/// zero: out = combine(out, x) over every row.
Value reduceRows(
    OpBuilder &b, Location loc, Value rows,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(rows.getType());
  int64_t k = type.getDimSize(1);
  Type f32 = b.getF32Type();
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{k}, f32);
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap column = AffineMap::get(2, 0, getAffineDimExpr(1, ctx));
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{rows},
             ValueRange{init}, ArrayRef<AffineMap>{identity, column},
             ArrayRef<utils::IteratorType>{utils::IteratorType::reduction,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               linalg::YieldOp::create(
                   nested, nestedLoc,
                   combine(nested, nestedLoc, args[1], args[0]));
             })
      .getResult(0);
}

/// Observers of the M x K activations `x`: M (an i64, M may be dynamic),
/// Σx, Σx², max|x| per column, and xᵀx with `secondMoment` (for `groups`
/// > 1, its diagonal blocks: groups x K/groups x K/groups).
SmallVector<Value> observe(OpBuilder &b, Location loc, Value x,
                           bool secondMoment, int64_t groups) {
  SmallVector<Value> results;
  Value m = tensor::DimOp::create(b, loc, x, 0);
  results.push_back(tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({1}, b.getI64Type()),
      ValueRange{arith::IndexCastOp::create(b, loc, b.getI64Type(), m)}));
  results.push_back(reduceRows(
      b, loc, x, [](OpBuilder &b, Location loc, Value acc, Value v) -> Value {
        return arith::AddFOp::create(b, loc, acc, v);
      }));
  results.push_back(reduceRows(
      b, loc, x, [](OpBuilder &b, Location loc, Value acc, Value v) -> Value {
        Value square = arith::MulFOp::create(b, loc, v, v);
        return arith::AddFOp::create(b, loc, acc, square);
      }));
  results.push_back(reduceRows(
      b, loc, x, [](OpBuilder &b, Location loc, Value acc, Value v) -> Value {
        Value magnitude = math::AbsFOp::create(b, loc, v);
        return arith::MaximumFOp::create(b, loc, acc, magnitude);
      }));
  if (secondMoment && groups > 1) {
    // out[g, i, j] = Σ_m x[m, g·B + i] x[m, g·B + j], B = K / groups.
    int64_t block = cast<RankedTensorType>(x.getType()).getDimSize(1) / groups;
    Type f32 = b.getF32Type();
    MLIRContext *ctx = b.getContext();
    AffineExpr g, i, j, m;
    bindDims(ctx, g, i, j, m);
    SmallVector<AffineMap> maps = {
        AffineMap::get(4, 0, {m, g * block + i}, ctx),
        AffineMap::get(4, 0, {m, g * block + j}, ctx),
        AffineMap::get(4, 0, {g, i, j}, ctx)};
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{groups, block, block}, f32);
    Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    auto parallel = utils::IteratorType::parallel;
    results.push_back(
        linalg::GenericOp::create(
            b, loc, init.getType(), ValueRange{x, x}, ValueRange{init}, maps,
            {parallel, parallel, parallel, utils::IteratorType::reduction},
            [](OpBuilder &nb, Location l, ValueRange args) {
              Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
              linalg::YieldOp::create(
                  nb, l,
                  arith::AddFOp::create(nb, l, args[2], product).getResult());
            })
            .getResult(0));
  } else if (secondMoment) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t k = type.getDimSize(1);
    Type f32 = b.getF32Type();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    Value transposed =
        linalg::TransposeOp::create(
            b, loc, x,
            tensor::EmptyOp::create(b, loc, {sizes[1], sizes[0]}, f32),
            ArrayRef<int64_t>{1, 0})
            .getResult()[0];
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    Value empty = tensor::EmptyOp::create(b, loc, {k, k}, f32);
    Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    results.push_back(linalg::MatmulOp::create(
                          b, loc, ValueRange{transposed, x}, ValueRange{init})
                          .getResult(0));
  }
  return results;
}

struct CalibratePass : public mlir::tern::impl::CalibrateBase<CalibratePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(module.getLoc(), "tern-calibrate: ") << message;
      signalPassFailure();
    };
    if (inputs.empty())
      return fail("needs inputs=DIR (the calibration input sets)");
    ModelEvaluator *evaluator =
        lookupModelEvaluator(module.getLoc(), "tern-calibrate");
    if (!evaluator)
      return signalPassFailure();
    llvm::Expected<std::vector<InputEntry>> entries = listInputEntries(inputs);
    if (!entries)
      return fail(llvm::toString(entries.takeError()));
    llvm::Expected<TargetCPU> target = resolveCPU(cpu);
    if (!target)
      return fail(llvm::toString(target.takeError()));

    // Lowering loads dialects and the JIT registers translations: work on a
    // copy in a context of its own, whose errors are reported as ours.
    MLIRContext context(getContext().getDialectRegistry());
    ForwardDiagnostics forward(context, [&] {
      return mlir::emitError(module.getLoc(), "tern-calibrate: ");
    });
    OwningOpRef<ModuleOp> copy = copyForExecution(module, context);
    if (!copy)
      return fail("cannot copy the module");
    auto main = copy->lookupSymbol<func::FuncOp>("main");
    if (!main || main.isExternal())
      return fail("the module has no function @main to run");

    // Observers on every layer's activations become @main's results.
    std::optional<ConvolutionLayers> convolutionLayers =
        parseConvolutionLayers(convolutions);
    if (!convolutionLayers)
      return fail("convolutions must be pointwise, ungrouped or all, got '" +
                  convolutions + "'");
    std::vector<Layer> layers =
        findLayers(*copy, /*readWeights=*/false, nullptr, *convolutionLayers);
    if (layers.empty())
      return fail(std::string("the module has no layer to calibrate "
                              "(MatMul, Gemm or ") +
                  (convolutions == "pointwise" ? "1x1 " : "") +
                  "Conv with constant weights)");
    if (!this->layers.empty()) {
      llvm::Regex only(this->layers);
      std::string error;
      if (!only.isValid(error))
        return fail("bad layers regular expression: " + error);
      llvm::erase_if(
          layers, [&](const Layer &layer) { return !only.match(layer.name); });
      if (layers.empty())
        return fail("no layer matches layers=" + this->layers);
    }
    SmallVector<Value> observed;
    OpBuilder b(&context);
    for (Layer &layer : layers) {
      if (layer.op->getParentOfType<func::FuncOp>() != main)
        return fail("layer '" + layer.name + "' is outside @main");
      b.setInsertionPoint(layer.op);
      Value x = layer.activations(b);
      llvm::append_range(observed, observe(b, layer.op->getLoc(), x,
                                           secondMoment, layer.groups));
    }
    Operation *terminator = main.getBody().back().getTerminator();
    terminator->setOperands(observed);
    main.setType(FunctionType::get(&context, main.getArgumentTypes(),
                                   ValueRange(observed).getTypes()));
    main.removeResAttrsAttr();

    FailureOr<std::unique_ptr<EvaluableModel>> prepared =
        evaluator->prepare(*copy, *target);
    if (failed(prepared))
      return signalPassFailure();
    EvaluableModel &model = **prepared;
    Calibration calibration;
    for (const Layer &layer : layers) {
      LayerStatistics &stats = calibration.layers[layer.name];
      stats.channels = layer.cols * layer.groups;
      stats.groups = layer.groups;
    }
    size_t perLayer = secondMoment ? 5 : 4;
    Progress progress("tern-calibrate: entry", entries->size(), quiet);
    std::vector<Array> outputs;
    for (auto [index, entry] : llvm::enumerate(*entries)) {
      std::vector<InputSet> sets;
      if (llvm::Error error =
              readInputEntry(entry, model.signature().inputs, sets))
        return fail(llvm::toString(std::move(error)));
      for (InputSet &set : sets) {
        if (llvm::Error error =
                checkInputs(model.signature(), set.arrays, set.sources))
          return fail(llvm::toString(std::move(error)));
        if (llvm::Error error = model.run(set.arrays, &outputs))
          return fail(llvm::toString(std::move(error)));
        for (size_t i = 0; i < layers.size(); ++i) {
          auto at = [&](size_t j) {
            return reinterpret_cast<const float *>(
                outputs[i * perLayer + j].data.data());
          };
          int64_t rows;
          std::memcpy(&rows, outputs[i * perLayer].data.data(), sizeof(rows));
          calibration.layers[layers[i].name].accumulate(
              rows, at(1), at(2), at(3), secondMoment ? at(4) : nullptr);
        }
        ++calibration.inputSets;
      }
      progress.step(index + 1,
                    std::to_string(calibration.inputSets) + " input sets");
    }
    llvm::errs() << "tern-calibrate: " << layers.size() << " layers, "
                 << calibration.inputSets << " input sets -> ";
    if (stats.empty()) {
      module->setAttr(kCalibrationAttrName,
                      calibrationToAttr(&getContext(), calibration));
      llvm::errs() << kCalibrationAttrName << "\n";
      return;
    }
    llvm::errs() << stats << "\n";
    if (failed(writeCalibration(stats, calibration, [&] {
          return mlir::emitError(module.getLoc(), "tern-calibrate: ");
        })))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};

} // namespace
