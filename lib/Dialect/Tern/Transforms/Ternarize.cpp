//===- Ternarize.cpp - float matmuls to tern.matmul -----------------------===//
//
// This file implements tern-ternarize: linalg.matmul ops whose weights are
// float constants are rewritten into tern.matmul on weights ternarized by
// the numerics library.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Transforms/Passes.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/IR/TernTypes.h"
#include "tern/Quant/Packing.h"
#include "tern/Quant/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNARIZE
#include "tern/Dialect/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
namespace q = ::tern::quant;

namespace {

/// The layer's name: the innermost name in its location (the ONNX node
/// name for imported models), or empty.
std::string layerName(Location loc) {
  std::string name;
  loc->walk([&](Location inner) {
    if (auto named = dyn_cast<NameLoc>(inner)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

/// The values of a float constant (inline or a resource blob), row-major.
std::optional<std::vector<float>> readFloats(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(constant.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  std::vector<float> values(type.getNumElements());
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    llvm::copy(dense.getValues<float>(), values.begin());
    return values;
  }
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue())) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != values.size() * sizeof(float))
      return std::nullopt;
    std::memcpy(values.data(), blob->getData().data(),
                values.size() * sizeof(float));
    return values;
  }
  return std::nullopt;
}

/// Whether `value` is a tensor of zeros (a fill of 0 or a zero splat).
bool isZeros(Value value) {
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(value, m_AnyZeroFloat());
}

/// A float layer with constant weights that tern.matmul can compute.
struct Layer {
  /// The weights as `rows` x `cols` (N x K: one row per output channel).
  std::vector<float> weights;
  int64_t rows = 0, cols = 0;
  /// Builds the layer's result from `multiply`, which maps activations
  /// (M x K) to M x N outputs.
  std::function<Value(OpBuilder &, function_ref<Value(Value)>)> build;
  /// What the op accumulates into (a broadcast bias, say), or null for
  /// zeros.
  Value accumulator;
};

/// `value`, plus `accumulator` unless that is null.
Value accumulate(OpBuilder &b, Location loc, Value value, Value accumulator) {
  if (!accumulator)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::AddOp::create(b, loc, ValueRange{value, accumulator},
                               ValueRange{init})
      .getResult(0);
}

/// A matmul with constant K x N weights.
std::optional<Layer> matchMatmul(linalg::MatmulOp op) {
  if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps())
    return std::nullopt;
  Value input = op.getInputs()[0];
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  std::optional<std::vector<float>> weights = readFloats(op.getInputs()[1]);
  if (!weights || !inputType || !inputType.getElementType().isF32() ||
      !inputType.hasStaticShape())
    return std::nullopt;
  auto weightType = cast<RankedTensorType>(op.getInputs()[1].getType());
  Layer layer;
  layer.cols = weightType.getDimSize(0);
  layer.rows = weightType.getDimSize(1);
  layer.weights.resize(layer.rows * layer.cols);
  for (int64_t k = 0; k < layer.cols; ++k)
    for (int64_t n = 0; n < layer.rows; ++n)
      layer.weights[n * layer.cols + k] = (*weights)[k * layer.rows + n];
  layer.build = [input](OpBuilder &, function_ref<Value(Value)> multiply) {
    return multiply(input);
  };
  return layer;
}

/// A 1x1 convolution (stride 1, NCHW) with constant F x C x 1 x 1 weights:
/// a matmul over channels of every pixel.
std::optional<Layer> matchPointwiseConv(linalg::Conv2DNchwFchwOp op) {
  if (!op.hasPureTensorSemantics() ||
      !llvm::all_of(op.getStrides().getValues<int64_t>(),
                    [](int64_t s) { return s == 1; }))
    return std::nullopt;
  Value input = op.getInputs()[0];
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(op.getInputs()[1].getType());
  auto resultType = cast<RankedTensorType>(op.getResultTypes()[0]);
  if (!inputType || !inputType.getElementType().isF32() ||
      !inputType.hasStaticShape() || !resultType.hasStaticShape() ||
      filterType.getDimSize(2) != 1 || filterType.getDimSize(3) != 1 ||
      inputType.getRank() != 4 ||
      inputType.getDimSize(2) != resultType.getDimSize(2) ||
      inputType.getDimSize(3) != resultType.getDimSize(3))
    return std::nullopt;
  std::optional<std::vector<float>> weights = readFloats(op.getInputs()[1]);
  if (!weights)
    return std::nullopt;
  Layer layer;
  layer.rows = filterType.getDimSize(0);
  layer.cols = filterType.getDimSize(1);
  layer.weights = std::move(*weights);
  Location loc = op.getLoc();
  layer.build = [input, inputType, resultType,
                 loc](OpBuilder &b, function_ref<Value(Value)> multiply) {
    // [B, C, H, W] -> [B, H, W, C] -> [B*H*W, C] -> tern.matmul ->
    // [B*H*W, F] -> [B, H, W, F] -> [B, F, H, W].
    ArrayRef<int64_t> in = inputType.getShape();
    int64_t f = resultType.getDimSize(1);
    auto transpose = [&](Value value, ArrayRef<int64_t> shape,
                         ArrayRef<int64_t> permutation) {
      Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
      return linalg::TransposeOp::create(b, loc, value, init, permutation)
          .getResult()[0];
    };
    Value nhwc = transpose(input, {in[0], in[2], in[3], in[1]}, {0, 2, 3, 1});
    SmallVector<ReassociationIndices> rows = {{0, 1, 2}, {3}};
    Value activations = tensor::CollapseShapeOp::create(b, loc, nhwc, rows);
    Value products = multiply(activations);
    Value outputs = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({in[0], in[2], in[3], f}, b.getF32Type()),
        products, rows);
    return transpose(outputs, resultType.getShape(), {0, 3, 1, 2});
  };
  return layer;
}

std::optional<Layer> matchLayer(Operation *op) {
  std::optional<Layer> layer;
  if (auto matmul = dyn_cast<linalg::MatmulOp>(op))
    layer = matchMatmul(matmul);
  else if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op))
    layer = matchPointwiseConv(conv);
  if (layer) {
    Value init = cast<linalg::LinalgOp>(op).getDpsInits()[0];
    if (!isZeros(init))
      layer->accumulator = init;
  }
  return layer;
}

/// What the report says about one layer.
struct LayerReport {
  std::string name;
  int64_t rows, cols, planes, groupSize;
  q::ErrorReport error;
};

/// The report as JSON (per layer and totals) to `path`, and as a table on
/// stderr.
LogicalResult writeReport(Operation *root, StringRef path, StringRef method,
                          ArrayRef<LayerReport> layers) {
  llvm::json::Array entries;
  double floatBytes = 0, packedBytes = 0;
  llvm::errs() << llvm::format("%-32s %6s %6s %6s %6s %10s %10s\n", "layer",
                               "N", "K", "planes", "group", "bits/w",
                               "rel.error");
  for (const LayerReport &layer : layers) {
    double weights = static_cast<double>(layer.rows) * layer.cols;
    floatBytes += 4 * weights;
    packedBytes += layer.error.bitsPerWeight * weights / 8;
    llvm::errs() << llvm::format(
        "%-32s %6lld %6lld %6lld %6lld %10.3f %10.4f\n", layer.name.c_str(),
        static_cast<long long>(layer.rows), static_cast<long long>(layer.cols),
        static_cast<long long>(layer.planes),
        static_cast<long long>(layer.groupSize), layer.error.bitsPerWeight,
        layer.error.relativeError);
    entries.push_back(llvm::json::Object{
        {"name", layer.name},
        {"rows", layer.rows},
        {"cols", layer.cols},
        {"method", method},
        {"planes", layer.planes},
        {"group_size", layer.groupSize},
        {"bits_per_weight", layer.error.bitsPerWeight},
        {"relative_error", layer.error.relativeError},
        {"zero_fraction", layer.error.zeroFraction},
    });
  }
  llvm::errs() << llvm::format(
      "%zu layers: %.0f float bytes -> %.0f bytes (%.1fx smaller)\n",
      layers.size(), floatBytes, packedBytes,
      packedBytes > 0 ? floatBytes / packedBytes : 0.0);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return root->emitError("tern-ternarize: cannot write the report '")
           << path << "': " << ec.message();
  os << llvm::formatv("{0:2}\n", llvm::json::Value(llvm::json::Object{
                                     {"layers", std::move(entries)},
                                     {"float_bytes", floatBytes},
                                     {"ternary_bytes", packedBytes},
                                 }));
  return success();
}

struct TernarizePass : public mlir::tern::impl::TernarizeBase<TernarizePass> {
  using Base::Base;

  /// Reads the options into library options; on failure reports why.
  LogicalResult readOptions(q::QuantizeOptions &options, Type &codeType) {
    MLIRContext *ctx = &getContext();
    auto fail = [&](const Twine &message) {
      return getOperation().emitError("tern-ternarize: ") << message;
    };
    codeType = mlir::tern::TritType::get(ctx);
    if (method == "bt" || method == "szt") {
      options.method = q::Method::Threshold;
      std::optional<q::Threshold> rule =
          llvm::StringSwitch<std::optional<q::Threshold>>(threshold)
              .Case("sigma", q::Threshold::Sigma)
              .Case("twn", q::Threshold::TWN)
              .Case("absmean", q::Threshold::AbsMean)
              .Case("mse", q::Threshold::MSE)
              .Default(std::nullopt);
      if (!rule)
        return fail("unknown threshold '" + threshold +
                    "' (expected sigma, twn, absmean or mse)");
      options.threshold = *rule;
      if (method == "szt") {
        options.signedZeros = true;
        codeType = mlir::tern::SZTType::get(ctx);
      }
    } else if (method == "ptqtp") {
      if (planes < 1 || planes > q::kMaxPlanes)
        return fail("planes must be between 1 and " + Twine(q::kMaxPlanes) +
                    ", got " + Twine(planes));
      options.method = q::Method::TritPlanes;
      options.tritPlanes.planes = static_cast<int>(planes);
    } else if (method == "dlt") {
      options.method = q::Method::ScaleShift;
    } else {
      return fail("unknown method '" + method +
                  "' (expected bt, szt, ptqtp or dlt)");
    }
    if (groupSize < 0)
      return fail("group-size must be >= 0, got " + Twine(groupSize));
    options.granularity =
        groupSize ? q::Granularity::Group : q::Granularity::Channel;
    options.groupSize = groupSize;
    return success();
  }

  void runOnOperation() override {
    q::QuantizeOptions options;
    Type codeType;
    if (failed(readOptions(options, codeType)))
      return signalPassFailure();
    std::string regexError;
    llvm::Regex includeRegex(include), excludeRegex(exclude);
    if ((!include.empty() && !includeRegex.isValid(regexError)) ||
        (!exclude.empty() && !excludeRegex.isValid(regexError))) {
      getOperation().emitError("tern-ternarize: bad include or exclude "
                               "regular expression: ")
          << regexError;
      return signalPassFailure();
    }

    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::MatmulOp, linalg::Conv2DNchwFchwOp>(op))
        layers.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    SmallVector<LayerReport> reports;
    unsigned counter = 0;
    for (Operation *op : layers) {
      std::string name = layerName(op->getLoc());
      if (name.empty())
        name = "layer_" + std::to_string(counter);
      ++counter;
      if ((!include.empty() && !includeRegex.match(name)) ||
          (!exclude.empty() && excludeRegex.match(name)))
        continue;
      std::optional<Layer> layer = matchLayer(op);
      if (!layer)
        continue;
      int64_t n = layer->rows, k = layer->cols;
      std::string error;
      if (!q::validateOptions(options, n, k, &error)) {
        op->emitError("tern-ternarize: layer '") << name << "': " << error;
        return signalPassFailure();
      }
      std::optional<q::TernaryWeights> fit =
          q::quantize({layer->weights.data(), n, k}, nullptr, options, &error);
      if (!fit) {
        op->emitError("tern-ternarize: layer '") << name << "': " << error;
        return signalPassFailure();
      }
      std::vector<uint8_t> bytes(
          q::packedBytes(q::Packing::SignMagnitude, fit->planes * n, k));
      if (!q::pack(q::Packing::SignMagnitude, fit->codes.data(),
                   fit->planes * n, k, bytes.data(), &error)) {
        op->emitError("tern-ternarize: layer '") << name << "': " << error;
        return signalPassFailure();
      }

      SmallVector<int64_t> codesShape = {n, k};
      SmallVector<int64_t> scalesShape = {n, fit->groups()};
      if (fit->planes > 1) {
        codesShape.insert(codesShape.begin(), fit->planes);
        scalesShape.insert(scalesShape.begin(), fit->planes);
      }
      Location loc = op->getLoc();
      rewriter.setInsertionPoint(op);
      auto codes = mlir::tern::ConstantOp::create(
          rewriter, loc, RankedTensorType::get(codesShape, codeType),
          mlir::tern::PackingKind::SignMagnitude, name + ".codes", bytes);
      auto f32 = rewriter.getF32Type();
      Value scales = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(RankedTensorType::get(scalesShape, f32),
                                 ArrayRef<float>(fit->scales)));
      Value shifts;
      if (!fit->shifts.empty())
        shifts = arith::ConstantOp::create(
            rewriter, loc,
            DenseElementsAttr::get(
                RankedTensorType::get({n, fit->groups()}, f32),
                ArrayRef<float>(fit->shifts)));
      auto multiply = [&](Value activations) -> Value {
        int64_t m = cast<RankedTensorType>(activations.getType()).getDimSize(0);
        return mlir::tern::MatmulOp::create(
            rewriter, loc, RankedTensorType::get({m, n}, f32), activations,
            codes, scales, shifts, /*bias=*/Value(),
            rewriter.getI64IntegerAttr(fit->groupSize));
      };
      rewriter.replaceOp(op, accumulate(rewriter, loc,
                                        layer->build(rewriter, multiply),
                                        layer->accumulator));
      reports.push_back({name, n, k, fit->planes, fit->groupSize,
                         q::measure({layer->weights.data(), n, k}, nullptr,
                                    *fit, q::Packing::SignMagnitude)});
    }
    if (!report.empty() &&
        failed(writeReport(getOperation(), report, method, reports)))
      return signalPassFailure();
  }
};

} // namespace
