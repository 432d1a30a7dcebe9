//===- Calibration.cpp - activation statistics of layers ------------------===//
//
// This file implements the calibration statistics and their JSON file.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Calibration.h"

#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Quant/Parallel.h"
#include "tern/Quantization/Layers.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::tern;

static constexpr const char *kFormat = "tern-calibration";

namespace {
/// The per-channel statistics as the file and the attribute name them.
struct StatisticsField {
  const char *name;
  std::vector<double> LayerStatistics::*values;
  /// K x K values instead of K.
  bool square;
  bool required;
};
constexpr StatisticsField kFields[] = {
    {"mean", &LayerStatistics::mean, false, true},
    {"mean_square", &LayerStatistics::meanSquare, false, true},
    {"max_abs", &LayerStatistics::maxAbs, false, true},
    {"second_moment", &LayerStatistics::secondMoment, true, false},
};
} // namespace
static constexpr int64_t kVersion = 1;

template <typename T>
void LayerStatistics::accumulate(int64_t rows, const T *sum, const T *sumSquare,
                                 const T *maxAbsolute, const T *sumOuter) {
  int64_t k = channels;
  if (mean.empty()) {
    mean.assign(k, 0.0);
    meanSquare.assign(k, 0.0);
    maxAbs.assign(k, 0.0);
  }
  if (sumOuter && secondMoment.empty())
    secondMoment.assign(squareSize(), 0.0);
  double total = double(samples + rows);
  double keep = double(samples) / total;
  for (int64_t c = 0; c < k; ++c) {
    mean[c] = mean[c] * keep + double(sum[c]) / total;
    meanSquare[c] = meanSquare[c] * keep + double(sumSquare[c]) / total;
    maxAbs[c] = std::max(maxAbs[c], double(maxAbsolute[c]));
  }
  if (sumOuter)
    for (int64_t i = 0, e = squareSize(); i < e; ++i)
      secondMoment[i] = secondMoment[i] * keep + double(sumOuter[i]) / total;
  samples += rows;
}

template void LayerStatistics::accumulate<float>(int64_t, const float *,
                                                 const float *, const float *,
                                                 const float *);
template void LayerStatistics::accumulate<double>(int64_t, const double *,
                                                  const double *,
                                                  const double *,
                                                  const double *);

namespace {
/// `values` (blocks of `block` x `block` when `square`, else of `block`)
/// for the channels of group `g`.
std::vector<double> groupSlice(const std::vector<double> &values, int64_t g,
                               int64_t block, bool square) {
  if (values.empty())
    return {};
  int64_t size = square ? block * block : block;
  return std::vector<double>(values.begin() + g * size,
                             values.begin() + (g + 1) * size);
}
} // namespace

LayerStatistics LayerStatistics::group(int64_t g) const {
  int64_t block = blockSize();
  LayerStatistics part;
  part.channels = block;
  part.samples = samples;
  part.mean = groupSlice(mean, g, block, false);
  part.meanSquare = groupSlice(meanSquare, g, block, false);
  part.maxAbs = groupSlice(maxAbs, g, block, false);
  part.secondMoment = groupSlice(secondMoment, g, block, true);
  return part;
}

TargetStatistics TargetStatistics::group(int64_t g) const {
  int64_t block = received.blockSize();
  TargetStatistics part;
  part.received = received.group(g);
  part.floatMean = groupSlice(floatMean, g, block, false);
  part.floatSecondMoment = groupSlice(floatSecondMoment, g, block, true);
  part.crossMoment = groupSlice(crossMoment, g, block, true);
  return part;
}

namespace {
/// Adds Σ_r a_r b_rᵀ over `rows` rows of K values each (row r at
/// a + r·stride) to `sum` (K x K);
/// with `symmetric` (a = b) only j >= i is summed, then mirrored. Rows are
/// taken in blocks that stay in cache while every output row sweeps them;
/// threads split the output rows, each summing in row order, so the result
/// does not depend on the thread count.
void addOuterProducts(int64_t rows, int64_t k, int64_t stride, const float *a,
                      const float *b, bool symmetric, double *sum) {
  constexpr int64_t kBlock = 64, kOutputRows = 8;
  ::tern::quant::parallelFor((k + kOutputRows - 1) / kOutputRows, 0,
                             [&](int64_t chunk) {
                               int64_t first = chunk * kOutputRows,
                                       last = std::min(k, first + kOutputRows);
                               for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
                                 int64_t r1 = std::min(rows, r0 + kBlock);
                                 for (int64_t i = first; i < last; ++i) {
                                   double *out = sum + i * k;
                                   int64_t j0 = symmetric ? i : 0;
                                   for (int64_t r = r0; r < r1; ++r) {
                                     double ai = a[r * stride + i];
                                     const float *br = b + r * stride;
                                     for (int64_t j = j0; j < k; ++j)
                                       out[j] += ai * double(br[j]);
                                   }
                                 }
                               }
                             });
  if (symmetric)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < i; ++j)
        sum[i * k + j] = sum[j * k + i];
}

/// `means` of `before` rows updated with `sums` of `rows` more.
void mergeMeans(std::vector<double> &means, const std::vector<double> &sums,
                int64_t before, int64_t rows) {
  if (means.empty())
    means.assign(sums.size(), 0.0);
  double total = double(before + rows), keep = double(before) / total;
  for (size_t i = 0; i < sums.size(); ++i)
    means[i] = means[i] * keep + sums[i] / total;
}
} // namespace

void TargetStatistics::accumulate(int64_t rows, const float *x,
                                  const float *xr) {
  int64_t k = received.channels, before = received.samples;
  std::vector<double> sum(k, 0.0), sumSquare(k, 0.0), maxAbs(k, 0.0),
      floatSum(k, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < k; ++c) {
      double v = xr[r * k + c];
      sum[c] += v;
      sumSquare[c] += v * v;
      maxAbs[c] = std::max(maxAbs[c], std::fabs(v));
      floatSum[c] += x[r * k + c];
    }
  // One block per group (one for a layer that is not grouped).
  int64_t block = received.blockSize(), square = block * block;
  std::vector<double> outer(received.squareSize(), 0.0),
      floatOuter(outer.size(), 0.0), cross(outer.size(), 0.0);
  for (int64_t g = 0; g < received.groups; ++g) {
    int64_t column = g * block;
    addOuterProducts(rows, block, k, xr + column, xr + column,
                     /*symmetric=*/true, outer.data() + g * square);
    addOuterProducts(rows, block, k, x + column, x + column,
                     /*symmetric=*/true, floatOuter.data() + g * square);
    addOuterProducts(rows, block, k, x + column, xr + column,
                     /*symmetric=*/false, cross.data() + g * square);
  }
  received.accumulate(rows, sum.data(), sumSquare.data(), maxAbs.data(),
                      outer.data());
  mergeMeans(floatMean, floatSum, before, rows);
  mergeMeans(floatSecondMoment, floatOuter, before, rows);
  mergeMeans(crossMoment, cross, before, rows);
}

void TargetStatistics::accumulateResidual(int64_t rows, int64_t n,
                                          const float *residual,
                                          const float *receivedResidual,
                                          const float *xr) {
  int64_t k = received.channels;
  // accumulate() has counted these rows already.
  int64_t before = received.samples - rows;
  std::vector<double> cross(n * k, 0.0), sum(n, 0.0);
  ::tern::quant::parallelFor(n, 0, [&](int64_t i) {
    double *out = cross.data() + i * k;
    for (int64_t r = 0; r < rows; ++r) {
      double d = double(residual[r * n + i]) - receivedResidual[r * n + i];
      sum[i] += d;
      if (d == 0)
        continue;
      const float *x = xr + r * k;
      for (int64_t j = 0; j < k; ++j)
        out[j] += d * double(x[j]);
    }
  });
  mergeMeans(residualCross, cross, before, rows);
  mergeMeans(residualMean, sum, before, rows);
}

LogicalResult
mlir::tern::writeCalibration(llvm::StringRef path,
                             const Calibration &calibration,
                             function_ref<InFlightDiagnostic()> emitError) {
  auto array = [](const std::vector<double> &values) {
    llvm::json::Array a;
    for (double v : values)
      a.push_back(v);
    return a;
  };
  llvm::json::Object layers;
  for (const auto &[name, stats] : calibration.layers) {
    llvm::json::Object entry{
        {"channels", stats.channels},
        {"samples", stats.samples},
    };
    if (stats.groups > 1)
      entry["groups"] = stats.groups;
    for (const StatisticsField &field : kFields)
      if (!(stats.*field.values).empty())
        entry[field.name] = array(stats.*field.values);
    layers[name] = std::move(entry);
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return emitError() << "cannot write '" << path << "': " << ec.message();
  os << llvm::formatv("{0}\n", llvm::json::Value(llvm::json::Object{
                                   {"format", kFormat},
                                   {"version", kVersion},
                                   {"input_sets", calibration.inputSets},
                                   {"layers", std::move(layers)},
                               }));
  return success();
}

LogicalResult
mlir::tern::readCalibration(llvm::StringRef path, Calibration &calibration,
                            function_ref<InFlightDiagnostic()> emitError) {
  auto fail = [&](const llvm::Twine &message) -> LogicalResult {
    return emitError() << "calibration statistics '" << path
                       << "': " << message;
  };
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file)
    return fail("cannot read: " + file.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*file)->getBuffer());
  if (!json)
    return fail("not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != kFormat)
    return fail("not a tern-calibration file (written by tern-calibrate)");
  if (root->getInteger("version") != kVersion)
    return fail("unsupported version (expected " + llvm::Twine(kVersion) + ")");
  calibration.inputSets = root->getInteger("input_sets").value_or(0);
  const llvm::json::Object *layers = root->getObject("layers");
  if (!layers)
    return fail("no 'layers' object");
  for (const auto &[key, value] : *layers) {
    std::string name = key.str();
    const llvm::json::Object *entry = value.getAsObject();
    std::optional<int64_t> channels =
        entry ? entry->getInteger("channels") : std::nullopt;
    std::optional<int64_t> samples =
        entry ? entry->getInteger("samples") : std::nullopt;
    if (!channels || !samples || *channels <= 0 || *samples <= 0)
      return fail("layer '" + name +
                  "' needs positive 'channels' and "
                  "'samples'");
    LayerStatistics stats;
    stats.channels = *channels;
    stats.samples = *samples;
    stats.groups = entry->getInteger("groups").value_or(1);
    if (stats.groups <= 0 || stats.channels % stats.groups)
      return fail("layer '" + name + "': 'groups' (" +
                  llvm::Twine(stats.groups) + ") does not divide its " +
                  llvm::Twine(stats.channels) + " channels");
    auto read = [&](llvm::StringRef field, int64_t size, bool required,
                    std::vector<double> &into) -> LogicalResult {
      const llvm::json::Array *values = entry->getArray(field);
      if (!values)
        return required
                   ? fail("layer '" + name + "' has no '" + field + "' array")
                   : success();
      if (int64_t(values->size()) != size)
        return fail("layer '" + name + "': '" + field + "' has " +
                    llvm::Twine(values->size()) + " values, expected " +
                    llvm::Twine(size));
      for (const llvm::json::Value &v : *values) {
        std::optional<double> number = v.getAsNumber();
        if (!number || !std::isfinite(*number))
          return fail("layer '" + name + "': '" + field +
                      "' holds a value that is not a finite number");
        into.push_back(*number);
      }
      return success();
    };
    for (const StatisticsField &field : kFields)
      if (failed(read(field.name,
                      field.square ? stats.squareSize() : stats.channels,
                      field.required, stats.*field.values)))
        return failure();
    calibration.layers[name] = std::move(stats);
  }
  return success();
}

DictionaryAttr mlir::tern::calibrationToAttr(MLIRContext *context,
                                             const Calibration &calibration) {
  Builder b(context);
  auto tensor = [&](ArrayRef<int64_t> shape, ArrayRef<double> values) {
    return DenseElementsAttr::get(RankedTensorType::get(shape, b.getF64Type()),
                                  values);
  };
  SmallVector<NamedAttribute> layers;
  for (const auto &[name, stats] : calibration.layers) {
    int64_t k = stats.channels;
    SmallVector<NamedAttribute> fields = {
        b.getNamedAttr("channels", b.getI64IntegerAttr(k)),
        b.getNamedAttr("samples", b.getI64IntegerAttr(stats.samples)),
    };
    if (stats.groups > 1)
      fields.push_back(
          b.getNamedAttr("groups", b.getI64IntegerAttr(stats.groups)));
    for (const StatisticsField &field : kFields) {
      const std::vector<double> &values = stats.*field.values;
      if (values.empty())
        continue;
      SmallVector<int64_t> shape = {k};
      if (field.square && stats.groups > 1)
        shape = {stats.groups, stats.blockSize(), stats.blockSize()};
      else if (field.square)
        shape.push_back(k);
      fields.push_back(b.getNamedAttr(field.name, tensor(shape, values)));
    }
    layers.push_back(b.getNamedAttr(name, b.getDictionaryAttr(fields)));
  }
  return b.getDictionaryAttr(
      {b.getNamedAttr("input_sets", b.getI64IntegerAttr(calibration.inputSets)),
       b.getNamedAttr("layers", b.getDictionaryAttr(layers))});
}

LogicalResult
mlir::tern::calibrationFromAttr(DictionaryAttr attr, Calibration &calibration,
                                function_ref<InFlightDiagnostic()> emitError) {
  auto fail = [&](const Twine &message) -> LogicalResult {
    return emitError() << kCalibrationAttrName << ": " << message;
  };
  auto sets = attr.getAs<IntegerAttr>("input_sets");
  auto layers = attr.getAs<DictionaryAttr>("layers");
  if (!sets || !layers)
    return fail("expected {input_sets, layers}");
  calibration.inputSets = sets.getInt();
  for (NamedAttribute layer : layers) {
    std::string name = layer.getName().str();
    auto fields = dyn_cast<DictionaryAttr>(layer.getValue());
    auto channels = fields ? fields.getAs<IntegerAttr>("channels") : nullptr;
    auto samples = fields ? fields.getAs<IntegerAttr>("samples") : nullptr;
    if (!channels || !samples || channels.getInt() <= 0)
      return fail("layer '" + name + "' needs channels and samples");
    LayerStatistics stats;
    stats.channels = channels.getInt();
    stats.samples = samples.getInt();
    if (auto groups = fields.getAs<IntegerAttr>("groups"))
      stats.groups = groups.getInt();
    if (stats.groups <= 0 || stats.channels % stats.groups)
      return fail("layer '" + name + "': groups " + Twine(stats.groups) +
                  " does not divide its " + Twine(stats.channels) +
                  " channels");
    auto read = [&](StringRef field, int64_t size, bool required,
                    std::vector<double> &into) -> LogicalResult {
      auto values = fields.getAs<DenseElementsAttr>(field);
      if (!values)
        return required ? fail("layer '" + name + "' has no " + field)
                        : success();
      if (!values.getElementType().isF64() || values.getNumElements() != size)
        return fail("layer '" + name + "': " + field + " is not " +
                    Twine(size) + " f64 values");
      llvm::append_range(into, values.getValues<double>());
      return success();
    };
    for (const StatisticsField &field : kFields)
      if (failed(read(field.name,
                      field.square ? stats.squareSize() : stats.channels,
                      field.required, stats.*field.values)))
        return failure();
    calibration.layers[name] = std::move(stats);
  }
  return success();
}

llvm::Expected<std::vector<InputEntry>>
mlir::tern::listInputEntries(StringRef dir) {
  if (!llvm::sys::fs::is_directory(dir))
    return llvm::createStringError("calibration inputs '" + dir +
                                   "' is not a directory");
  std::vector<InputEntry> entries;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    bool isDirectory = llvm::sys::fs::is_directory(it->path());
    if (isDirectory || StringRef(it->path()).ends_with(".npy"))
      entries.push_back({it->path(), isDirectory});
  }
  if (ec)
    return llvm::createStringError("cannot list '" + dir +
                                   "': " + ec.message());
  if (entries.empty())
    return llvm::createStringError(
        "calibration inputs '" + dir +
        "' holds no input sets (subdirectories or .npy files)");
  llvm::sort(entries);
  return entries;
}

llvm::Error mlir::tern::readInputEntry(const InputEntry &entry,
                                       ArrayRef<TensorSignature> inputs,
                                       std::vector<InputSet> &sets) {
  using ::tern::support::Array;
  StringRef path = entry.path;
  if (entry.isDirectory) {
    InputSet set;
    for (const TensorSignature &input : inputs) {
      std::string file = input.name;
      std::replace(file.begin(), file.end(), '/', '_');
      SmallString<256> npy(path);
      llvm::sys::path::append(npy, file + ".npy");
      set.sources.push_back(npy.str().str());
      llvm::Expected<Array> array =
          ::tern::support::readNpy(set.sources.back());
      if (!array)
        return array.takeError();
      set.arrays.push_back(std::move(*array));
    }
    sets.push_back(std::move(set));
    return llvm::Error::success();
  }
  if (inputs.size() != 1)
    return llvm::createStringError(
        "'" + path + "' is a file, but the model has " +
        std::to_string(inputs.size()) +
        " inputs: give each input set as a directory of NAME.npy files");
  llvm::Expected<Array> read = ::tern::support::readNpy(path.str());
  if (!read)
    return read.takeError();
  Array array = std::move(*read);
  ArrayRef<int64_t> expected = inputs[0].shape;
  // A leading dimension that is a multiple of the model's holds several
  // sets.
  if (!expected.empty() && array.shape.size() == expected.size() &&
      expected[0] > 0 && !array.shape.empty() && array.shape[0] > 0 &&
      array.shape[0] % expected[0] == 0 &&
      ArrayRef<int64_t>(array.shape).drop_front() == expected.drop_front() &&
      array.shape[0] != expected[0]) {
    int64_t count = array.shape[0] / expected[0];
    size_t bytes = array.data.size() / size_t(count);
    for (int64_t i = 0; i < count; ++i) {
      InputSet set;
      Array slice;
      slice.type = array.type;
      slice.shape.assign(expected.begin(), expected.end());
      slice.data.assign(array.data.begin() + i * bytes,
                        array.data.begin() + (i + 1) * bytes);
      set.arrays.push_back(std::move(slice));
      set.sources.push_back(path.str() + "[" + std::to_string(i) + "]");
      sets.push_back(std::move(set));
    }
    return llvm::Error::success();
  }
  InputSet set;
  set.arrays.push_back(std::move(array));
  set.sources.push_back(path.str());
  sets.push_back(std::move(set));
  return llvm::Error::success();
}

/// Replaces every tern.matmul with constant weights by a float matmul on
/// its dequantized weights (plus its bias). The statistics are the same up
/// to summation order, and the float matmul runs on tern-cpu-pipeline's
/// vectorized schedule; tern.matmul's reference lowering decodes codes
/// in the innermost loop, which made sequential calibration of a mostly
/// ternarized model slow.
static void dequantizeLayers(ModuleOp module) {
  SmallVector<MatmulOp> matmuls;
  module.walk([&](MatmulOp op) { matmuls.push_back(op); });
  for (MatmulOp op : matmuls) {
    if (!hasConstantWeights(op))
      continue;
    FailureOr<MatmulWeights> read = readConstantWeights(op);
    if (failed(read))
      continue;
    std::vector<float> &bias = read->bias;
    int64_t n = read->weights.rows, k = read->weights.cols;
    std::vector<float> approx = read->weights.dequantize(), kn(n * k);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < k; ++c)
        kn[c * n + r] = approx[r * k + c];
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value w = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({k, n}, f32),
                               ArrayRef<float>(kn)));
    Value biasValue;
    if (!bias.empty())
      biasValue = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({n}, f32),
                                 ArrayRef<float>(bias)));
    Value product = buildFloatProducts(b, loc, op.getInput(), w, biasValue);
    op.replaceAllUsesWith(product);
    op.erase();
  }
}

ForwardDiagnostics::ForwardDiagnostics(
    MLIRContext &copy, std::function<InFlightDiagnostic()> emitError)
    : copy_(copy) {
  handler_ = copy.getDiagEngine().registerHandler(
      [emitError =
           std::move(emitError)](Diagnostic &diagnostic) -> LogicalResult {
        if (diagnostic.getSeverity() != DiagnosticSeverity::Error)
          return failure();
        InFlightDiagnostic forwarded = emitError();
        forwarded << diagnostic.str();
        if (!isa<UnknownLoc>(diagnostic.getLocation()))
          forwarded << " (at " << diagnostic.getLocation() << ")";
        for (Diagnostic &note : diagnostic.getNotes())
          forwarded.attachNote() << note.str();
        return success();
      });
}

ForwardDiagnostics::~ForwardDiagnostics() {
  copy_.getDiagEngine().eraseHandler(handler_);
}

OwningOpRef<ModuleOp> mlir::tern::copyForExecution(ModuleOp module,
                                                   MLIRContext &context) {
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeBytecodeToFile(module, os)))
    return nullptr;
  context.loadDialect<arith::ArithDialect, func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect>();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "calibration copy"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> copy =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (copy)
    dequantizeLayers(*copy);
  return copy;
}
