//===- Export.cpp - quantized models back to ONNX -------------------------===//
//
// This file implements the ONNX export of ternarized models: the layers of
// the quantized module (tern.matmul ops named after ONNX nodes) are read
// back into TernaryWeights, and the original model's MatMul, Gemm and 1x1
// Conv nodes of those names are rewritten; the float weights they read
// (initializers or Constant nodes) are removed.
//
//===----------------------------------------------------------------------===//

#include "tern/Target/ONNX/Export.h"

#include "Importer.h"
#include "ModelLoader.h"

#include "tern/Dialect/Tern/IR/TernDialect.h"
#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/Utils/KeptLayers.h"
#include "tern/Quant/Correction.h"
#include "tern/Quant/Ternary.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::tern;
namespace q = ::tern::quant;

namespace {

/// A layer of the quantized module: ternary, or kept out of the ternary
/// set in int8 or f16 (`kept`).
struct QuantizedLayer {
  Operation *op = nullptr;
  q::TernaryWeights weights;
  std::optional<q::KeptWeights> kept;
  /// Whether `kept` is a table gathered from (its node a Gather).
  bool table = false;
  /// Extra bias per output channel (Tequila, bias correction), or empty.
  std::vector<float> bias;
  /// rotate=: the weights are fitted in the input space rotated by Q (the
  /// layer computes (x Q) Ŵᵀ).
  std::optional<q::Rotation> rotation;
  /// salient=, low-rank=: what the layer adds to x Ŵᵀ (in the rotated
  /// space when rotated), read from the kept matmuls named after it.
  q::Correction correction;
};

/// Moves the kept layers that are parts of a ternary layer's correction
/// (named LAYER + a part's suffix) into that layer's `correction`.
LogicalResult attachCorrections(llvm::StringMap<QuantizedLayer> &layers) {
  std::vector<std::string> parts;
  for (auto &entry : layers) {
    if (!entry.second.kept || entry.second.table)
      continue;
    StringRef name = entry.first();
    for (StringRef suffix :
         {kSalientSuffix, kLowRankDownSuffix, kLowRankUpSuffix}) {
      if (!name.ends_with(suffix))
        continue;
      auto base = layers.find(name.drop_back(suffix.size()));
      if (base == layers.end() || base->second.kept)
        continue;
      QuantizedLayer &part = entry.second;
      QuantizedLayer &layer = base->second;
      q::Correction &correction = layer.correction;
      correction.rows = layer.weights.rows;
      correction.cols = layer.weights.cols;
      if (suffix == kSalientSuffix) {
        std::optional<SmallVector<int64_t>> columns =
            readGatheredColumns(cast<linalg::MatmulOp>(part.op));
        if (!columns || columns->size() != size_t(part.kept->cols))
          return part.op->emitError("export-onnx: layer '")
                 << base->first()
                 << "': its salient-column correction does not read "
                    "constant columns";
        correction.columns.assign(columns->begin(), columns->end());
        correction.salient = std::move(*part.kept);
      } else if (suffix == kLowRankDownSuffix) {
        correction.down = std::move(*part.kept);
      } else {
        correction.up = std::move(*part.kept);
      }
      parts.push_back(name.str());
    }
  }
  for (const std::string &name : parts)
    layers.erase(name);
  for (auto &entry : layers) {
    const q::Correction &correction = entry.second.correction;
    int64_t rows = correction.rows, cols = correction.cols;
    if ((correction.rank() || correction.up.rows) &&
        (correction.down.cols != cols || correction.up.rows != rows ||
         correction.up.cols != correction.down.rows))
      return entry.second.op->emitError("export-onnx: layer '")
             << entry.first()
             << "': its low-rank correction is incomplete or its factors' "
                "shapes do not match the layer";
    if (!correction.columns.empty() && correction.salient.rows != rows)
      return entry.second.op->emitError("export-onnx: layer '")
             << entry.first()
             << "': its salient-column correction does not match the layer";
  }
  return success();
}

/// Reads every tern.matmul of `module` back into TernaryWeights, and every
/// layer tern-ternarize kept in int8 or f16 into KeptWeights, keyed by
/// layer name.
LogicalResult collectLayers(ModuleOp module,
                            llvm::StringMap<QuantizedLayer> &layers) {
  // Each name once: it finds the ONNX node the layer came from.
  auto add = [&](Operation *op, const std::string &name, QuantizedLayer layer) {
    if (name.empty()) {
      op->emitError("export-onnx: this layer has no name (its location "
                    "names no ONNX node)");
      return WalkResult::interrupt();
    }
    layer.op = op;
    if (!layers.try_emplace(name, std::move(layer)).second) {
      op->emitError("export-onnx: two layers or tables are named '")
          << name << "'";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  };
  WalkResult walk = module.walk([&](MatmulOp op) {
    std::string name = layerNameAt(op.getLoc());
    if (!hasConstantWeights(op)) {
      op.emitError("export-onnx: layer '")
          << name
          << "': its codes, scales, shifts and bias are not all constants";
      return WalkResult::interrupt();
    }
    FailureOr<MatmulWeights> read = readConstantWeights(op);
    if (failed(read))
      return WalkResult::interrupt();
    QuantizedLayer layer;
    layer.weights = std::move(read->weights);
    layer.bias = std::move(read->bias);
    if (auto rotate = op.getInput().getDefiningOp<RotateOp>()) {
      layer.rotation = readConstantRotation(rotate);
      if (!layer.rotation) {
        op.emitError("export-onnx: layer '")
            << name << "': the factors of its tern.rotate are not constants";
        return WalkResult::interrupt();
      }
    }
    return add(op, name, std::move(layer));
  });
  if (walk.wasInterrupted())
    return failure();
  walk = module.walk([&](linalg::MatmulOp op) {
    std::optional<KeptLayer> kept = matchKeptLayer(op);
    if (!kept)
      return WalkResult::advance();
    FailureOr<q::KeptWeights> read = readKeptWeights(*kept);
    if (failed(read))
      return WalkResult::interrupt();
    QuantizedLayer layer;
    layer.kept = std::move(*read);
    return add(op, layerNameAt(op.getLoc()), std::move(layer));
  });
  if (walk.wasInterrupted())
    return failure();
  walk = module.walk([&](linalg::LinalgOp op) {
    std::optional<GroupedLayer> grouped = matchGroupedLayer(op);
    if (!grouped)
      return WalkResult::advance();
    QuantizedLayer layer;
    std::string name = layerNameAt(op.getLoc());
    if (grouped->ternary) {
      if (!hasConstantWeights(grouped->ternary)) {
        op.emitError("export-onnx: layer '")
            << name << "': its codes, scales and shifts are not all constants";
        return WalkResult::interrupt();
      }
      FailureOr<MatmulWeights> read = readConstantWeights(grouped->ternary);
      if (failed(read))
        return WalkResult::interrupt();
      layer.weights = std::move(read->weights);
    } else {
      FailureOr<q::KeptWeights> read = readKeptWeights(*grouped);
      if (failed(read))
        return WalkResult::interrupt();
      layer.kept = std::move(*read);
    }
    if (grouped->bias) {
      DenseElementsAttr bias;
      if (!matchPattern(grouped->bias, m_Constant(&bias)) ||
          !bias.getElementType().isF32()) {
        op.emitError("export-onnx: layer '")
            << name << "': its bias is not an f32 constant";
        return WalkResult::interrupt();
      }
      llvm::append_range(layer.bias, bias.getValues<float>());
    }
    return add(op, name, std::move(layer));
  });
  if (walk.wasInterrupted())
    return failure();
  walk = module.walk([&](arith::ConstantOp op) {
    std::optional<KeptTable> table = matchKeptTable(op);
    if (!table)
      return WalkResult::advance();
    FailureOr<q::KeptWeights> read = readKeptTable(*table);
    if (failed(read))
      return WalkResult::interrupt();
    QuantizedLayer layer;
    layer.kept = std::move(*read);
    layer.table = true;
    return add(op, table->name, std::move(layer));
  });
  if (walk.wasInterrupted())
    return failure();
  // Every tern op belongs to a layer found above: any other would leave its
  // node's float weights in the exported model, which would then not be
  // the quantized model.
  llvm::SmallPtrSet<Operation *, 16> found;
  for (auto &entry : layers) {
    found.insert(entry.second.op);
    if (auto convolution = dyn_cast<linalg::LinalgOp>(entry.second.op))
      if (std::optional<GroupedLayer> grouped = matchGroupedLayer(convolution))
        if (grouped->ternary)
          found.insert(grouped->ternary);
  }
  walk = module.walk([&](Operation *op) {
    if (!isa<TernDialect>(op->getDialect()) || isa<ConstantOp>(op) ||
        found.contains(op))
      return WalkResult::advance();
    // A rotation is exported with the layer whose tern.matmul reads it
    // (and its corrections, which read it too).
    if (isa<RotateOp>(op) && llvm::any_of(op->getUsers(), [&](Operation *user) {
          return isa<MatmulOp>(user) && found.contains(user);
        }))
      return WalkResult::advance();
    op->emitError("export-onnx: this '")
        << op->getName() << "' (of node '" << layerNameAt(op->getLoc())
        << "') is not part of a layer the export recognizes (a tern.matmul, "
           "or a convolution on a tern.dequantize): the exported node would "
           "keep its float weights";
    return WalkResult::interrupt();
  });
  if (walk.wasInterrupted())
    return failure();
  return attachCorrections(layers);
}

/// The IEEE semantics of an ONNX float data type with 16 bits, or null.
const llvm::fltSemantics *halfSemantics(int32_t dataType) {
  if (dataType == onnx::TensorProto::FLOAT16)
    return &APFloat::IEEEhalf();
  if (dataType == onnx::TensorProto::BFLOAT16)
    return &APFloat::BFloat();
  return nullptr;
}

/// The float values of an initializer held in the model file (f32, f16 or
/// bf16), as f32.
std::optional<std::vector<float>>
initializerFloats(const onnx::TensorProto &tensor) {
  const llvm::fltSemantics *half = halfSemantics(tensor.data_type());
  if ((tensor.data_type() != onnx::TensorProto::FLOAT && !half) ||
      tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  int64_t count = 1;
  for (int64_t d : tensor.dims())
    count *= d;
  std::vector<float> values(count);
  if (half) {
    // Raw little-endian bits, or one bit pattern an int32_data entry.
    std::vector<uint16_t> bits(count);
    if (tensor.has_raw_data()) {
      if (tensor.raw_data().size() != size_t(count) * 2)
        return std::nullopt;
      std::memcpy(bits.data(), tensor.raw_data().data(), bits.size() * 2);
    } else {
      if (tensor.int32_data_size() != count)
        return std::nullopt;
      llvm::transform(tensor.int32_data(), bits.begin(),
                      [](int32_t v) { return uint16_t(v); });
    }
    for (int64_t i = 0; i < count; ++i) {
      APFloat value(*half, APInt(16, bits[i]));
      bool losesInfo = false;
      value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      values[i] = value.convertToFloat();
    }
    return values;
  }
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != size_t(count) * sizeof(float))
      return std::nullopt;
    std::memcpy(values.data(), tensor.raw_data().data(),
                values.size() * sizeof(float));
    return values;
  }
  if (tensor.float_data_size() != count)
    return std::nullopt;
  llvm::copy(tensor.float_data(), values.begin());
  return values;
}

/// An initializer of `dataType` (FLOAT, FLOAT16 or BFLOAT16) holding
/// `values`, rounded to nearest even.
onnx::TensorProto
floatInitializer(const std::string &name, ArrayRef<int64_t> dims,
                 ArrayRef<float> values,
                 int32_t dataType = onnx::TensorProto::FLOAT) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(dataType);
  for (int64_t d : dims)
    tensor.add_dims(d);
  const llvm::fltSemantics *half = halfSemantics(dataType);
  if (!half) {
    tensor.set_raw_data(
        std::string(reinterpret_cast<const char *>(values.data()),
                    values.size() * sizeof(float)));
    return tensor;
  }
  std::string bytes(values.size() * 2, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    APFloat value(values[i]);
    bool losesInfo = false;
    value.convert(*half, APFloat::rmNearestTiesToEven, &losesInfo);
    uint16_t bits = uint16_t(value.bitcastToAPInt().getZExtValue());
    std::memcpy(&bytes[2 * i], &bits, 2);
  }
  tensor.set_raw_data(std::move(bytes));
  return tensor;
}

const onnx::AttributeProto *findAttribute(const onnx::NodeProto &node,
                                          StringRef name) {
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

void setInt(onnx::NodeProto &node, const std::string &name, int64_t value) {
  onnx::AttributeProto *attribute = node.add_attribute();
  attribute->set_name(name);
  attribute->set_type(onnx::AttributeProto::INT);
  attribute->set_i(value);
}

/// Rewrites one model: replaces layer nodes, adds initializers.
class Exporter {
public:
  Exporter(ModuleOp module, onnx::ModelProto &model, ONNXWeightFormat format)
      : module(module), model(model), format(format) {}

  LogicalResult run(llvm::StringMap<QuantizedLayer> &layers);

private:
  /// The replacement of `node` (one or more nodes, appended to `out`).
  LogicalResult rewrite(const onnx::NodeProto &node, QuantizedLayer &layer,
                        std::vector<onnx::NodeProto> &out);
  /// Nodes computing `output` = `input` (M x K, any leading dims) times Ŵᵀ
  /// plus `bias` (if not empty) with MatMulNBits, one node per plane.
  LogicalResult matMulNBits(const std::string &prefix, const std::string &input,
                            const std::string &output, QuantizedLayer &layer,
                            ArrayRef<float> bias,
                            std::vector<onnx::NodeProto> &out);
  /// The weights input of layer node `name`: `dims` (K x N, N x K or
  /// N x K x 1 x 1, `rowsFirst` when N leads), the dequantized weights of
  /// a ternary layer, or a kept layer as stored: int8 codes cast to float
  /// and multiplied by the scales (shaped N x 1...) or f16 values cast.
  std::string weightsInput(const std::string &name, QuantizedLayer &layer,
                           ArrayRef<int64_t> dims, bool rowsFirst,
                           std::vector<onnx::NodeProto> &out);
  /// Ŵ (N x K) of a ternary layer, its correction added, in the layer's own
  /// input space.
  static std::vector<float> dequantized(const QuantizedLayer &layer);
  /// The same for weights or a table stored as `kept`: its int8 codes
  /// cast to float and multiplied by the row scales, or its f16 values cast.
  /// With an `order` (rowsFirst), element o of the weights is element
  /// order[o] of the N x K rows, and the scales lie along axis `scaleAxis`.
  std::string keptInput(const std::string &name, const q::KeptWeights &kept,
                        ArrayRef<int64_t> dims, bool rowsFirst,
                        std::vector<onnx::NodeProto> &out,
                        ArrayRef<int64_t> order = {}, int scaleAxis = 0);
  /// A float initializer in the element type of the layer being rewritten.
  std::string addInitializer(const std::string &name, ArrayRef<int64_t> dims,
                             ArrayRef<float> values) {
    *model.mutable_graph()->add_initializer() =
        floatInitializer(name, dims, values, floatType);
    return name;
  }
  InFlightDiagnostic error(const QuantizedLayer &layer) {
    return layer.op->emitError("export-onnx: layer '")
           << layerNameAt(layer.op->getLoc()) << "': ";
  }

  ModuleOp module;
  onnx::ModelProto &model;
  ONNXWeightFormat format;
  /// The ONNX element type of the layer being rewritten (its weights'):
  /// FLOAT, or FLOAT16 / BFLOAT16 for a half-precision model, whose
  /// initializers and casts it also gets.
  int32_t floatType = onnx::TensorProto::FLOAT;
  /// The model's constant tensors by name: its initializers and the values
  /// of its Constant nodes (exporters such as Paddle2ONNX hold every
  /// weight and bias in Constant nodes).
  llvm::StringMap<const onnx::TensorProto *> constants;
};

LogicalResult Exporter::matMulNBits(const std::string &prefix,
                                    const std::string &input,
                                    const std::string &output,
                                    QuantizedLayer &layer, ArrayRef<float> bias,
                                    std::vector<onnx::NodeProto> &out) {
  const q::TernaryWeights &w = layer.weights;
  const q::Correction &correction = layer.correction;
  int64_t n = w.rows, k = w.cols, group = w.effectiveGroupSize();
  // A block of MatMulNBits is 16 to 256 weights with one scale: a group
  // must be a whole number of blocks, or the whole row (blocks of up to 256
  // repeating its scale, the last one padded).
  int64_t block = 0;
  for (int64_t candidate : {256, 128, 64, 32, 16})
    if (group % candidate == 0) {
      block = candidate;
      break;
    }
  if (!block && group == k)
    block = std::clamp<int64_t>(llvm::PowerOf2Ceil(k), 16, 256);
  if (!block)
    return error(layer) << "groups of " << group
                        << " weights are not a whole number of MatMulNBits "
                           "blocks (16, 32, 64, 128 or 256)";
  int64_t blocks = (k + block - 1) / block, rowBytes = blocks * block / 4;
  // A rotated layer reads x Q: a MatMul by Q (K x K) first.
  std::string codesInput = input;
  if (layer.rotation) {
    onnx::NodeProto rotate;
    rotate.set_op_type("MatMul");
    rotate.set_name(prefix + ".rotate");
    rotate.add_input(input);
    rotate.add_input(
        addInitializer(prefix + ".rotation", {k, k}, layer.rotation->dense()));
    rotate.add_output(rotate.name());
    codesInput = rotate.name();
    out.push_back(std::move(rotate));
  }
  std::vector<std::string> partials;
  for (int64_t p = 0; p < w.planes; ++p) {
    std::string plane = prefix + ".plane" + std::to_string(p);
    // 2-bit values q = t + 2 (the default zero point is 2), four per byte,
    // element i in bits 2i; padding holds zeros (q = 2).
    std::string bytes(size_t(n * rowBytes), '\0');
    std::vector<float> scales(n * blocks), zeroPoints;
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < blocks * block; ++c) {
        int t = c < k ? q::codeValue(w.code(p, r, c)) : 0;
        bytes[r * rowBytes + c / 4] |= char((t + 2) << (2 * (c % 4)));
      }
      for (int64_t b = 0; b < blocks; ++b)
        scales[r * blocks + b] = w.scale(p, r, (b * block) / group);
    }
    if (!w.shifts.empty()) {
      // DLT: ŵ = α t + γ = (q − z) α with the float zero point z = 2 − γ/α.
      zeroPoints.resize(n * blocks);
      for (int64_t r = 0; r < n; ++r)
        for (int64_t b = 0; b < blocks; ++b) {
          float alpha = scales[r * blocks + b];
          float gamma = w.shift(r, (b * block) / group);
          if (alpha == 0 && gamma != 0)
            return error(layer) << "a group with a shift but a zero scale "
                                   "cannot be expressed by MatMulNBits";
          zeroPoints[r * blocks + b] = alpha == 0 ? 2.0f : 2.0f - gamma / alpha;
        }
    }
    onnx::TensorProto packed;
    packed.set_name(plane + ".codes");
    packed.set_data_type(onnx::TensorProto::UINT8);
    for (int64_t d : {n, blocks, block / 4})
      packed.add_dims(d);
    packed.set_raw_data(bytes);
    *model.mutable_graph()->add_initializer() = std::move(packed);
    onnx::NodeProto node;
    node.set_op_type("MatMulNBits");
    node.set_domain("com.microsoft");
    node.set_name(plane);
    node.add_input(codesInput);
    node.add_input(plane + ".codes");
    node.add_input(addInitializer(plane + ".scales", {n * blocks}, scales));
    if (!zeroPoints.empty())
      node.add_input(
          addInitializer(plane + ".zero_points", {n * blocks}, zeroPoints));
    std::string result =
        w.planes == 1 && bias.empty() && correction.empty() ? output : plane;
    node.add_output(result);
    setInt(node, "K", k);
    setInt(node, "N", n);
    setInt(node, "bits", 2);
    setInt(node, "block_size", block);
    out.push_back(std::move(node));
    partials.push_back(result);
  }
  // The correction: the salient columns of the input gathered and
  // multiplied by their residual, and the input times V then Uᵀ; its
  // parts stored as kept weights (int8 or f16 and a cast).
  auto matMul = [&](const std::string &name, const std::string &a,
                    const std::string &b) {
    onnx::NodeProto node;
    node.set_op_type("MatMul");
    node.set_name(name);
    node.add_input(a);
    node.add_input(b);
    node.add_output(name);
    out.push_back(std::move(node));
    return name;
  };
  if (!correction.columns.empty()) {
    std::string name = prefix + kSalientSuffix.str();
    onnx::TensorProto indices;
    indices.set_name(name + ".columns");
    indices.set_data_type(onnx::TensorProto::INT64);
    indices.add_dims(int64_t(correction.columns.size()));
    for (int64_t c : correction.columns)
      indices.add_int64_data(c);
    *model.mutable_graph()->add_initializer() = std::move(indices);
    onnx::NodeProto gather;
    gather.set_op_type("Gather");
    gather.set_name(name + ".gather");
    gather.add_input(codesInput);
    gather.add_input(name + ".columns");
    gather.add_output(gather.name());
    setInt(gather, "axis", -1);
    out.push_back(std::move(gather));
    std::string weights =
        keptInput(name, correction.salient, {correction.salient.cols, n},
                  /*rowsFirst=*/false, out);
    partials.push_back(matMul(name, name + ".gather", weights));
  }
  if (correction.rank()) {
    std::string down = prefix + kLowRankDownSuffix.str();
    std::string up = prefix + kLowRankUpSuffix.str();
    int64_t rank = correction.rank();
    std::string downWeights =
        keptInput(down, correction.down, {k, rank}, /*rowsFirst=*/false, out);
    std::string upWeights =
        keptInput(up, correction.up, {rank, n}, /*rowsFirst=*/false, out);
    partials.push_back(
        matMul(up, matMul(down, codesInput, downWeights), upWeights));
  }
  if (!bias.empty())
    partials.push_back(addInitializer(prefix + ".bias", {n}, bias));
  // Sum the planes, the correction and the bias in order.
  std::string sum = partials[0];
  for (size_t i = 1; i < partials.size(); ++i) {
    onnx::NodeProto add;
    add.set_op_type("Add");
    add.set_name(prefix + ".add" + std::to_string(i));
    add.add_input(sum);
    add.add_input(partials[i]);
    sum = i + 1 == partials.size() ? output : add.name();
    add.add_output(sum);
    out.push_back(std::move(add));
  }
  return success();
}

std::vector<float> Exporter::dequantized(const QuantizedLayer &layer) {
  // For a rotated layer Ŵ Qᵀ, which x multiplies as (x Q) Ŵᵀ does.
  std::vector<float> values = layer.weights.dequantize();
  if (!layer.correction.empty())
    layer.correction.addTo(values.data());
  if (layer.rotation)
    layer.rotation->unapplyRows(values.data(), layer.weights.rows);
  return values;
}

std::string Exporter::weightsInput(const std::string &name,
                                   QuantizedLayer &layer,
                                   ArrayRef<int64_t> dims, bool rowsFirst,
                                   std::vector<onnx::NodeProto> &out) {
  if (layer.kept)
    return keptInput(name, *layer.kept, dims, rowsFirst, out);
  // Ŵ (N x K) laid out as `dims`.
  int64_t n = layer.weights.rows, k = layer.weights.cols;
  std::vector<float> values = dequantized(layer);
  if (rowsFirst)
    return addInitializer(name + ".weights", dims, values);
  std::vector<float> t(values.size());
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      t[c * n + r] = values[r * k + c];
  return addInitializer(name + ".weights", dims, t);
}

std::string Exporter::keptInput(const std::string &name,
                                const q::KeptWeights &kept,
                                ArrayRef<int64_t> dims, bool rowsFirst,
                                std::vector<onnx::NodeProto> &out,
                                ArrayRef<int64_t> order, int scaleAxis) {
  int64_t n = kept.rows;
  std::string weights = name + ".weights";
  onnx::TensorProto tensor;
  tensor.set_name(name + (kept.codes.empty() ? ".f16" : ".int8"));
  for (int64_t d : dims)
    tensor.add_dims(d);
  tensor.set_data_type(kept.codes.empty() ? onnx::TensorProto::FLOAT16
                                          : onnx::TensorProto::INT8);
  std::vector<uint8_t> bytes = kept.bytes(/*transposed=*/!rowsFirst);
  if (!order.empty()) {
    // Element o of the initializer is element order[o] of the N x K rows.
    size_t width = kept.codes.empty() ? 2 : 1;
    std::vector<uint8_t> ordered(bytes.size());
    for (size_t o = 0; o < order.size(); ++o)
      std::memcpy(&ordered[o * width], &bytes[order[o] * width], width);
    bytes = std::move(ordered);
  }
  tensor.set_raw_data(std::string(bytes.begin(), bytes.end()));
  *model.mutable_graph()->add_initializer() = std::move(tensor);
  onnx::NodeProto cast;
  cast.set_op_type("Cast");
  cast.set_name(name + ".cast");
  cast.add_input(name + (kept.codes.empty() ? ".f16" : ".int8"));
  cast.add_output(kept.codes.empty() ? weights : cast.name());
  setInt(cast, "to", floatType);
  out.push_back(std::move(cast));
  if (kept.codes.empty())
    return weights;
  // The scales along N: the last axis of K x N, else N x 1 (x 1 x 1), or
  // axis `scaleAxis` of `dims`.
  SmallVector<int64_t> scaleDims = {n};
  if (rowsFirst) {
    scaleDims.assign(dims.size(), 1);
    scaleDims[scaleAxis] = n;
  }
  onnx::NodeProto mul;
  mul.set_op_type("Mul");
  mul.set_name(name + ".scale");
  mul.add_input(name + ".cast");
  mul.add_input(addInitializer(name + ".scales", scaleDims, kept.scales));
  mul.add_output(weights);
  out.push_back(std::move(mul));
  return weights;
}

LogicalResult Exporter::rewrite(const onnx::NodeProto &node,
                                QuantizedLayer &layer,
                                std::vector<onnx::NodeProto> &out) {
  const q::TernaryWeights &w = layer.weights;
  int64_t n = layer.kept ? layer.kept->rows : w.rows;
  int64_t k = layer.kept ? layer.kept->cols : w.cols;
  const std::string &name = node.name();
  // The weights' element type (a Gather's table is input 0): what the
  // layer's new initializers are stored as.
  floatType = onnx::TensorProto::FLOAT;
  int weightsIndex = layer.table ? 0 : 1;
  if (node.input_size() > weightsIndex) {
    auto it = constants.find(node.input(weightsIndex));
    if (it != constants.end() && halfSemantics(it->second->data_type()))
      floatType = it->second->data_type();
  }
  // Kept layers are exported as their stored weights and a cast in either
  // format: MatMulNBits holds 2-bit codes.
  ONNXWeightFormat format =
      layer.kept ? ONNXWeightFormat::FakeQuant : this->format;
  auto existing = [&](int index) -> std::optional<std::vector<float>> {
    if (node.input_size() <= index || node.input(index).empty())
      return std::vector<float>();
    auto it = constants.find(node.input(index));
    if (it == constants.end())
      return std::nullopt;
    return initializerFloats(*it->second);
  };
  auto addNode = [&](StringRef type, const std::string &nodeName,
                     ArrayRef<std::string> inputs, const std::string &output) {
    onnx::NodeProto n;
    n.set_op_type(type.str());
    n.set_name(nodeName);
    for (const std::string &input : inputs)
      n.add_input(input);
    n.add_output(output);
    out.push_back(std::move(n));
  };

  if (layer.table) {
    if (node.op_type() != "Gather")
      return error(layer) << "its ONNX node '" << name << "' is a "
                          << node.op_type() << ", not Gather";
    const onnx::AttributeProto *axis = findAttribute(node, "axis");
    if (axis && axis->i() != 0)
      return error(layer) << "Gather '" << name << "' gathers along axis "
                          << axis->i() << ", not 0";
    onnx::NodeProto copy = node;
    copy.set_input(0, keptInput(name, *layer.kept, {n, k}, true, out));
    out.push_back(std::move(copy));
    return success();
  }

  if (node.op_type() == "MatMul") {
    if (format == ONNXWeightFormat::MatMulNBits)
      return matMulNBits(name, node.input(0), node.output(0), layer, layer.bias,
                         out);
    onnx::NodeProto copy = node;
    copy.set_input(1, weightsInput(name, layer, {k, n}, false, out));
    if (layer.bias.empty()) {
      out.push_back(std::move(copy));
      return success();
    }
    copy.set_output(0, name + ".product");
    out.push_back(copy);
    onnx::NodeProto add;
    add.set_op_type("Add");
    add.set_name(name + ".bias");
    add.add_input(copy.output(0));
    add.add_input(addInitializer(name + ".bias", {n}, layer.bias));
    add.add_output(node.output(0));
    out.push_back(std::move(add));
    return success();
  }

  if (node.op_type() == "Gemm") {
    auto attr = [&](StringRef key, float fallback) {
      const onnx::AttributeProto *a = findAttribute(node, key);
      return a ? a->f() : fallback;
    };
    auto intAttr = [&](StringRef key) {
      const onnx::AttributeProto *a = findAttribute(node, key);
      return a ? a->i() : 0;
    };
    float alpha = attr("alpha", 1), beta = attr("beta", 1);
    std::optional<std::vector<float>> c = existing(2);
    // y = α (A Ŵᵀ + b) + β C: fold α b into the new C = β C + α b.
    if (!layer.bias.empty() && (!c || (!c->empty() && int64_t(c->size()) != n)))
      return error(layer) << "cannot fold its bias into Gemm '" << name
                          << "': C is not a constant vector of " << n;
    std::vector<float> newC;
    if (!layer.bias.empty() || format == ONNXWeightFormat::MatMulNBits) {
      if (c && !c->empty() && int64_t(c->size()) != n && c->size() != 1)
        return error(layer)
               << "Gemm '" << name << "': C is not a vector of N = " << n;
      if (!c && node.input_size() > 2)
        return error(layer) << "Gemm '" << name << "': C is not a constant";
      if (c && !c->empty()) {
        newC.assign(n, 0.0f);
        for (int64_t i = 0; i < n; ++i)
          newC[i] = beta * (*c)[c->size() == 1 ? 0 : i];
      }
      if (!layer.bias.empty()) {
        newC.resize(n, 0.0f);
        for (int64_t i = 0; i < n; ++i)
          newC[i] += alpha * layer.bias[i];
      }
    }
    if (format == ONNXWeightFormat::FakeQuant) {
      onnx::NodeProto copy = node;
      bool transB = intAttr("transB");
      copy.set_input(1, weightsInput(name, layer,
                                     transB ? SmallVector<int64_t>{n, k}
                                            : SmallVector<int64_t>{k, n},
                                     transB, out));
      if (!layer.bias.empty()) {
        std::string cName = addInitializer(name + ".c", {n}, newC);
        if (copy.input_size() > 2)
          copy.set_input(2, cName);
        else
          copy.add_input(cName);
        copy.clear_attribute();
        for (const onnx::AttributeProto &a : node.attribute())
          if (a.name() != "beta")
            *copy.add_attribute() = a;
      }
      out.push_back(std::move(copy));
      return success();
    }
    if (intAttr("transA"))
      return error(layer) << "Gemm '" << name
                          << "' has transA = 1, which MatMulNBits cannot do";
    std::string product =
        alpha == 1 && newC.empty() ? node.output(0) : name + ".product";
    if (failed(matMulNBits(name, node.input(0), product, layer, {}, out)))
      return failure();
    std::string current = product;
    if (alpha != 1) {
      onnx::NodeProto mul;
      mul.set_op_type("Mul");
      mul.set_name(name + ".alpha");
      mul.add_input(current);
      mul.add_input(addInitializer(name + ".alpha_value", {}, {alpha}));
      current = newC.empty() ? node.output(0) : mul.name();
      mul.add_output(current);
      out.push_back(std::move(mul));
    }
    if (!newC.empty()) {
      onnx::NodeProto add;
      add.set_op_type("Add");
      add.set_name(name + ".c");
      add.add_input(current);
      add.add_input(addInitializer(name + ".c_value", {n}, newC));
      add.add_output(node.output(0));
      out.push_back(std::move(add));
    }
    return success();
  }

  // A ConvTranspose is imported as a convolution with its kernel flipped
  // and its channel dims swapped: its layer's rows are its M output
  // channels, its columns C x KH x KW flipped.
  bool transposed = node.op_type() == "ConvTranspose";
  if (node.op_type() == "Conv" || transposed) {
    const onnx::AttributeProto *group = findAttribute(node, "group");
    bool grouped = group && group->i() != 1;
    int64_t groups = grouped ? group->i() : 1;
    if (transposed && grouped && layer.kept)
      return error(layer) << "ConvTranspose '" << name
                          << "' is grouped and kept in int8 or f16, whose "
                             "scales the export cannot lay along one axis";

    // The bias: the original's when it is a constant (folded with the
    // layer's own), else the tensor the graph computes, added as it is.
    std::optional<std::vector<float>> b = existing(2);
    std::string computedBias = b ? std::string() : node.input(2);
    std::vector<float> bias = b ? *b : std::vector<float>();
    if (!layer.bias.empty()) {
      bias.resize(n, 0.0f);
      for (int64_t i = 0; i < n; ++i)
        bias[i] += layer.bias[i];
    }
    // The weights' shape, F x C x KH x KW (1-D: F x C x KW), from the
    // original initializer (a layer's K is C·KH·KW).
    SmallVector<int64_t> dims = {n, k, 1, 1};
    // Through Identity nodes (exporters put them on weights) to the
    // initializer or Constant.
    std::string weightsName = node.input(1);
    for (bool again = true; again && !constants.count(weightsName);) {
      again = false;
      for (const onnx::NodeProto &other : model.graph().node())
        if (other.op_type() == "Identity" && other.output_size() == 1 &&
            other.output(0) == weightsName && other.input_size() == 1) {
          weightsName = other.input(0);
          again = true;
          break;
        }
    }
    auto it = constants.find(weightsName);
    // Else the kernel_shape attribute says it (none: 1x1, as a layer of
    // unknown weights could only be before convolutions=all).
    if (const onnx::AttributeProto *kernel =
            findAttribute(node, "kernel_shape");
        it == constants.end() && kernel && kernel->ints_size() > 0) {
      int64_t window = 1;
      for (int64_t d : kernel->ints())
        window *= d;
      if (window <= 0 || k % window)
        return error(layer) << "Conv '" << name << "' has kernel_shape "
                            << "that does not divide its " << k
                            << " weights per output channel";
      dims = {n, k / window};
      dims.append(kernel->ints().begin(), kernel->ints().end());
    }
    if (it != constants.end()) {
      SmallVector<int64_t> original(it->second->dims().begin(),
                                    it->second->dims().end());
      // A ConvTranspose's are C x M/G x KH x KW.
      if (original.size() >= 3 &&
          (transposed ? original[1] * groups : original[0]) == n &&
          onnx_import::product(original) == n * k)
        dims = original;
    }
    if (transposed && (dims.size() != 4 || dims[1] * groups != n))
      return error(layer) << "ConvTranspose '" << name
                          << "' has weights whose shape the export cannot "
                             "find (not an initializer or Constant)";
    // MatMulNBits computes a matmul over each pixel's channels: 1x1, stride
    // 1, no padding. Other convolutions keep their Conv, on Ŵ.
    auto allOnes = [&](StringRef attr) {
      const onnx::AttributeProto *a = findAttribute(node, attr);
      return !a || llvm::all_of(a->ints(), [](int64_t v) { return v == 1; });
    };
    const onnx::AttributeProto *pads = findAttribute(node, "pads");
    const onnx::AttributeProto *autoPad = findAttribute(node, "auto_pad");
    bool pointwise =
        !grouped && !transposed && dims.size() == 4 && dims[2] == 1 &&
        dims[3] == 1 && allOnes("strides") &&
        (!pads ||
         llvm::all_of(pads->ints(), [](int64_t v) { return v == 0; })) &&
        (!autoPad || autoPad->s() == "NOTSET" || autoPad->s() == "VALID");
    if (format == ONNXWeightFormat::FakeQuant || !pointwise) {
      onnx::NodeProto copy = node;
      if (transposed) {
        // W[c, m, i, j] = Ŵ'[g·M/G + m, c - g·C/G, KH-1-i, KW-1-j] for c in
        // group g (the import's flip, undone).
        std::vector<int64_t> order(n * k);
        int64_t c = dims[0], mg = dims[1], kh = dims[2], kw = dims[3];
        int64_t cg = c / groups;
        for (int64_t ci = 0, o = 0; ci < c; ++ci)
          for (int64_t m = 0; m < mg; ++m)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j, ++o)
                order[o] = ((((ci / cg) * mg + m) * cg + ci % cg) * kh +
                            (kh - 1 - i)) *
                               kw +
                           (kw - 1 - j);
        if (layer.kept) {
          copy.set_input(1, keptInput(name, *layer.kept, dims, true, out, order,
                                      /*scaleAxis=*/1));
        } else {
          std::vector<float> flipped = dequantized(layer), values(n * k);
          for (int64_t o = 0; o < n * k; ++o)
            values[o] = flipped[order[o]];
          copy.set_input(1, addInitializer(name + ".weights", dims, values));
        }
      } else {
        copy.set_input(1, weightsInput(name, layer, dims, true, out));
      }
      if (!computedBias.empty() && !bias.empty()) {
        // Conv(x, Ŵ, computed) + the layer's bias, as [N, 1, 1].
        copy.set_output(0, name + ".conv");
        out.push_back(std::move(copy));
        addNode(
            "Add", name + ".bias",
            {name + ".conv", addInitializer(name + ".bias", {n, 1, 1}, bias)},
            node.output(0));
        return success();
      }
      if (!bias.empty()) {
        std::string bName = addInitializer(name + ".bias", {n}, bias);
        if (copy.input_size() > 2)
          copy.set_input(2, bName);
        else
          copy.add_input(bName);
      }
      out.push_back(std::move(copy));
      return success();
    }
    // NCHW -> NHWC, a matmul over channels, and back.
    auto transpose = [&](const std::string &from, const std::string &to,
                         ArrayRef<int64_t> perm) {
      onnx::NodeProto t;
      t.set_op_type("Transpose");
      t.set_name(to);
      t.add_input(from);
      t.add_output(to);
      onnx::AttributeProto *a = t.add_attribute();
      a->set_name("perm");
      a->set_type(onnx::AttributeProto::INTS);
      for (int64_t p : perm)
        a->add_ints(p);
      out.push_back(std::move(t));
    };
    transpose(node.input(0), name + ".nhwc", {0, 2, 3, 1});
    std::string product =
        computedBias.empty() ? name + ".nhwf" : name + ".nhwp";
    if (failed(matMulNBits(name, name + ".nhwc", product, layer, bias, out)))
      return failure();
    // A computed bias [N] broadcasts along the channels, last in NHWC.
    if (!computedBias.empty())
      addNode("Add", name + ".computed_bias", {product, computedBias},
              name + ".nhwf");
    transpose(name + ".nhwf", node.output(0), {0, 3, 1, 2});
    return success();
  }
  return error(layer) << "its ONNX node '" << name << "' is a "
                      << node.op_type()
                      << ", not MatMul, Gemm, Conv or ConvTranspose";
}

LogicalResult Exporter::run(llvm::StringMap<QuantizedLayer> &layers) {
  onnx::GraphProto *graph = model.mutable_graph();
  std::vector<onnx::NodeProto> nodes;
  llvm::StringSet<> done;
  std::vector<std::pair<const onnx::NodeProto *, QuantizedLayer *>> work;
  for (const onnx::NodeProto &node : graph->node()) {
    auto it = layers.find(node.name());
    work.emplace_back(&node, it == layers.end() ? nullptr : &it->second);
  }
  // The rewrites read biases from the original initializers while they
  // append new ones: they read a copy.
  std::vector<onnx::TensorProto> kept(graph->initializer().begin(),
                                      graph->initializer().end());
  for (const onnx::NodeProto &node : graph->node())
    if (node.op_type() == "Constant" && node.output_size() == 1)
      if (const onnx::AttributeProto *value = findAttribute(node, "value");
          value && value->has_t()) {
        kept.push_back(value->t());
        kept.back().set_name(node.output(0));
      }
  for (const onnx::TensorProto &tensor : kept)
    constants[tensor.name()] = &tensor;
  for (auto [node, layer] : work) {
    if (!layer) {
      nodes.push_back(*node);
      continue;
    }
    if (failed(rewrite(*node, *layer, nodes)))
      return failure();
    done.insert(node->name());
  }
  for (auto &entry : layers)
    if (!done.contains(entry.getKey()))
      return entry.getValue().op->emitError("export-onnx: layer '")
             << entry.getKey()
             << "' has no node of that name in the ONNX model";
  // Drop the float weights no node reads any more: initializers, and the
  // Constant nodes that held them and Identity nodes that passed them on
  // (until none is left whose output nothing reads).
  llvm::StringSet<> used;
  for (bool dropped = true; dropped;) {
    used.clear();
    for (const onnx::NodeProto &node : nodes)
      for (const std::string &input : node.input())
        used.insert(input);
    for (const onnx::ValueInfoProto &output : graph->output())
      used.insert(output.name());
    size_t before = nodes.size();
    llvm::erase_if(nodes, [&](const onnx::NodeProto &node) {
      return (node.op_type() == "Constant" || node.op_type() == "Identity") &&
             llvm::none_of(node.output(), [&](const std::string &o) {
               return used.contains(o);
             });
    });
    dropped = nodes.size() != before;
  }
  graph->clear_node();
  for (onnx::NodeProto &node : nodes)
    *graph->add_node() = std::move(node);
  google::protobuf::RepeatedPtrField<onnx::TensorProto> live;
  for (onnx::TensorProto &tensor : *graph->mutable_initializer())
    if (used.contains(tensor.name()))
      *live.Add() = std::move(tensor);
  graph->mutable_initializer()->Swap(&live);

  if (format == ONNXWeightFormat::MatMulNBits) {
    bool imported = false;
    for (const onnx::OperatorSetIdProto &opset : model.opset_import())
      imported |= opset.domain() == "com.microsoft";
    if (!imported) {
      onnx::OperatorSetIdProto *opset = model.add_opset_import();
      opset->set_domain("com.microsoft");
      opset->set_version(1);
    }
  }
  return success();
}

/// Moves every initializer of `model` with 1 KiB or more of raw data to
/// the file `path`, as ONNX external data located by the file's name.
LogicalResult writeExternalData(ModuleOp quantized, onnx::ModelProto &model,
                                StringRef path) {
  auto &initializers = *model.mutable_graph()->mutable_initializer();
  if (llvm::none_of(initializers, [](const onnx::TensorProto &tensor) {
        return tensor.raw_data().size() >= 1024;
      }))
    return success();
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec);
  if (ec)
    return quantized.emitError("export-onnx: cannot write external data '")
           << path << "': " << ec.message();
  std::string location = llvm::sys::path::filename(path).str();
  uint64_t offset = 0;
  for (onnx::TensorProto &tensor : initializers) {
    if (tensor.raw_data().size() < 1024)
      continue;
    // Offsets aligned to 64 bytes, for runtimes that map the file.
    uint64_t padding = llvm::alignTo(offset, 64) - offset;
    file.write_zeros(padding);
    offset += padding;
    uint64_t length = tensor.raw_data().size();
    file.write(tensor.raw_data().data(), length);
    tensor.clear_raw_data();
    tensor.set_data_location(onnx::TensorProto::EXTERNAL);
    for (auto [key, value] :
         {std::pair<const char *, std::string>{"location", location},
          {"offset", std::to_string(offset)},
          {"length", std::to_string(length)}}) {
      onnx::StringStringEntryProto *entry = tensor.add_external_data();
      entry->set_key(key);
      entry->set_value(value);
    }
    offset += length;
  }
  file.close();
  if (file.has_error())
    return quantized.emitError("export-onnx: cannot write external data '")
           << path << "': " << file.error().message();
  return success();
}

} // namespace

LogicalResult mlir::tern::exportQuantizedONNX(ModuleOp quantized,
                                              StringRef originalPath,
                                              const ONNXExportOptions &options,
                                              raw_ostream &os) {
  llvm::StringMap<QuantizedLayer> layers;
  if (failed(collectLayers(quantized, layers)))
    return failure();
  if (layers.empty())
    return quantized.emitError("export-onnx: the module has no tern.matmul "
                               "layer to export (run tern-ternarize first)");
  auto buffer = llvm::MemoryBuffer::getFile(originalPath, /*IsText=*/false);
  if (!buffer)
    return quantized.emitError("export-onnx: cannot open the ONNX model '")
           << originalPath << "': " << buffer.getError().message();
  onnx::ModelProto model;
  bool text = originalPath.ends_with(".onnxtxt");
  if (llvm::Error error =
          onnx_import::parseModel((*buffer)->getBuffer().str(), text, model))
    return quantized.emitError("export-onnx: '")
           << originalPath << "': " << llvm::toString(std::move(error));
  // Weights in external data are read from the original's folder: the
  // rewrites read biases, and the export writes its own.
  bool external = false;
  StringRef folder = llvm::sys::path::parent_path(originalPath);
  for (onnx::TensorProto &tensor :
       *model.mutable_graph()->mutable_initializer()) {
    if (tensor.data_location() != onnx::TensorProto::EXTERNAL)
      continue;
    external = true;
    FailureOr<std::string> bytes = onnx_import::readExternalData(
        tensor, folder.empty() ? "." : folder, quantized.getLoc());
    if (failed(bytes))
      return failure();
    tensor.set_raw_data(std::move(*bytes));
    tensor.clear_external_data();
    tensor.clear_data_location();
  }
  Exporter exporter(quantized, model, options.format);
  if (failed(exporter.run(layers)))
    return failure();
  bool tooLarge =
      model.ByteSizeLong() > uint64_t(std::numeric_limits<int32_t>::max());
  if (!options.externalDataPath.empty() && (external || tooLarge) &&
      failed(writeExternalData(quantized, model, options.externalDataPath)))
    return failure();
  if (model.ByteSizeLong() > uint64_t(std::numeric_limits<int32_t>::max()))
    return quantized.emitError("export-onnx: the model is ")
           << model.ByteSizeLong()
           << " bytes, more than protobuf's 2 GiB: write its weights as "
              "external data";
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return quantized.emitError("export-onnx: cannot serialize the model");
  os << bytes;
  return success();
}
