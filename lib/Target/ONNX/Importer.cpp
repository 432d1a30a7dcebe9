//===- Importer.cpp - ONNX models to MLIR ---------------------------------===//
//
// This file walks an ONNX graph: it checks the model (opsets, edges, cycles,
// types, shapes), turns initializers and Constant nodes into constants
// (resource blobs when large), calls the handler of each node in
// topological order, and returns the graph outputs from one func.func.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "ModelLoader.h"

#include "tern/Support/Signature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstring>
#include <deque>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// A node's name, or OpType_index for unnamed nodes.
std::string nodeName(const onnx::NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 21;
/// Deepest nesting of subgraphs (If branches, Loop and Scan bodies, their
/// type-learning imports included) the importer follows.
constexpr size_t kMaxSubgraphDepth = 12;

/// Longest string attribute read (ONNX's are modes and names: auto_pad,
/// direction, ...); a longer one is corrupt or hostile.
constexpr size_t kMaxStringAttr = 1 << 16;

/// The op types whose handlers build with the dynamic-dimension builders
/// (Importer.h): elementwise maps, matrix products, transposes,
/// normalizations. Add an op here when its handler and a test take `?`
/// dimensions.
const llvm::StringSet<> &dynamicShapeOps() {
  static const llvm::StringSet<> ops = {
      // Elementwise (lowerElementwise, broadcastMap).
      "Abs", "Add", "And", "Cast", "Ceil", "Clip", "Cos", "Div", "Equal", "Erf",
      "Exp", "Floor", "Gelu", "Greater", "GreaterOrEqual", "HardSigmoid",
      "HardSwish", "Identity", "LeakyRelu", "Less", "LessOrEqual", "Log", "Max",
      "Mean", "Min", "Mul", "Neg", "Not", "Or", "Pow", "Reciprocal", "Relu",
      "Sigmoid", "Sin", "Sqrt", "Sub", "Sum", "Tanh", "Where", "Xor", "Celu",
      "Elu", "IsNaN", "Mish", "Mod", "PRelu", "Round", "Selu", "Sign",
      "Softplus", "ArgMax", "ArgMin", "CumSum", "TopK",
      // ONNX Runtime's contributed ops (com.microsoft) built the same way.
      "com.microsoft::BiasGelu", "com.microsoft::FastGelu",
      "com.microsoft::QuickGelu", "com.microsoft::MatMulNBits",
      "com.microsoft::SimplifiedLayerNormalization",
      "com.microsoft::SkipLayerNormalization",
      "com.microsoft::SkipSimplifiedLayerNormalization",
      "SimplifiedLayerNormalization",
      // Attention (OpsAttention.cpp): batch and sequences dynamic.
      "com.microsoft::RotaryEmbedding", "com.microsoft::MultiHeadAttention",
      "com.microsoft::GroupQueryAttention",
      // Recurrent layers (OpsRecurrent.cpp): steps and batch dynamic.
      "GRU", "LSTM", "RNN",
      // Control flow (OpsControlFlow.cpp): subgraphs take what they are
      // given.
      "If", "Loop", "Scan",
      // Matrix products, convolutions, pooling, layout, normalization,
      // reductions (channels and weights stay static).
      "AveragePool", "BatchNormalization", "Conv", "ConvTranspose",
      "GlobalAveragePool", "GlobalMaxPool", "MaxPool", "Resize", "Gemm",
      "LayerNormalization", "InstanceNormalization", "GroupNormalization",
      "LogSoftmax", "MatMul", "ReduceMax", "ReduceMean", "ReduceMin",
      "ReduceProd", "ReduceSum", "ReduceSumSquare", "ReduceL1", "ReduceL2",
      "ReduceLogSum", "ReduceLogSumExp", "Softmax", "Transpose",
      // Shapes and data movement: sizes known only when the model runs are
      // carried through shape arithmetic (HostTensor::symbols).
      "Concat", "ConstantOfShape", "Expand", "Gather", "Pad", "Range",
      "Reshape", "Shape", "Slice", "Split", "Squeeze", "Trilu", "Unsqueeze"};
  return ops;
}

const HandlerTable &handlers() {
  static const HandlerTable table = [] {
    HandlerTable t;
    registerElementwiseOps(t);
    registerTensorOps(t);
    registerNNOps(t);
    registerIndexingOps(t);
    registerAttentionOps(t);
    registerRecurrentOps(t);
    registerControlFlowOps(t);
    return t;
  }();
  return table;
}

/// Bytes per element of an ONNX data type in raw_data.
int64_t byteWidth(int32_t type) {
  switch (type) {
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return 1;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  default:
    return 0;
  }
}

/// Adds to `reads` the names `graph` (or a subgraph in it) reads from the
/// graphs around it: what its nodes read that it does not define.
void outerReads(const onnx::GraphProto &graph, llvm::StringSet<> &reads) {
  llvm::StringSet<> defined, inner;
  for (const onnx::ValueInfoProto &input : graph.input())
    defined.insert(input.name());
  for (const onnx::TensorProto &init : graph.initializer())
    defined.insert(init.name());
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &out : node.output())
      defined.insert(out);
    for (const std::string &in : node.input())
      if (!in.empty())
        inner.insert(in);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        outerReads(attr.g(), inner);
      for (const onnx::GraphProto &sub : attr.graphs())
        outerReads(sub, inner);
    }
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    inner.insert(output.name());
  for (const auto &name : inner)
    if (!defined.count(name.getKey()))
      reads.insert(name.getKey());
}

/// What `node` reads: its inputs, and what its subgraphs read from around
/// them (an If's branches read values no input names).
SmallVector<std::string> readsOf(const onnx::NodeProto &node) {
  SmallVector<std::string> reads(node.input().begin(), node.input().end());
  llvm::StringSet<> captured;
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.has_g())
      outerReads(attr.g(), captured);
    for (const onnx::GraphProto &sub : attr.graphs())
      outerReads(sub, captured);
  }
  for (const auto &name : captured)
    if (!llvm::is_contained(reads, name.getKey()))
      reads.push_back(name.getKey().str());
  return reads;
}

} // namespace

//===----------------------------------------------------------------------===//
// Types and constants
//===----------------------------------------------------------------------===//

Type onnx_import::elementTypeOf(MLIRContext *context, int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::INT16:
    return b.getI16Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return Type();
  }
}

std::string onnx_import::onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        onnx::TensorProto::DataType(onnxType));
  return "data type " + std::to_string(onnxType);
}

HostTensor onnx_import::makeHost(Type elementType, ArrayRef<int64_t> shape,
                                 std::vector<double> values) {
  HostTensor host;
  host.elementType = elementType;
  host.shape.assign(shape.begin(), shape.end());
  host.values = std::move(values);
  return host;
}

namespace {

/// Raw little-endian bytes of `host` in its element type.
std::string hostBytes(const HostTensor &host) {
  Type type = host.elementType;
  std::string bytes;
  auto append = [&](const void *p, size_t n) {
    bytes.append(static_cast<const char *>(p), n);
  };
  for (double v : host.values) {
    if (type.isF32()) {
      float f = float(v);
      append(&f, 4);
    } else if (type.isF64()) {
      append(&v, 8);
    } else if (type.isF16() || type.isBF16()) {
      APFloat f(v);
      bool lost;
      f.convert(cast<FloatType>(type).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      uint16_t bits = uint16_t(f.bitcastToAPInt().getZExtValue());
      append(&bits, 2);
    } else {
      int64_t i = toInt64(v);
      append(&i, size_t(type.getIntOrFloatBitWidth() + 7) / 8);
    }
  }
  return bytes;
}

} // namespace

Value HostTensor::element(OpBuilder &b, Location loc, int64_t i) const {
  if (isSymbolic() && symbols[i])
    return symbols[i];
  return scalar(b, loc, elementType, values[i]);
}

Value onnx_import::materialize(OpBuilder &b, Location loc,
                               const HostTensor &host) {
  auto type = RankedTensorType::get(host.shape, host.elementType);
  if (host.isSymbolic()) {
    SmallVector<Value> elements;
    for (int64_t i = 0; i < host.size(); ++i)
      elements.push_back(host.element(b, loc, i));
    return tensor::FromElementsOp::create(b, loc, type, elements);
  }
  SmallVector<Attribute> elements;
  elements.reserve(host.values.size());
  for (double v : host.values) {
    if (auto f = dyn_cast<FloatType>(host.elementType))
      elements.push_back(b.getFloatAttr(f, v));
    else
      elements.push_back(b.getIntegerAttr(
          host.elementType, APInt(host.elementType.getIntOrFloatBitWidth(),
                                  toInt64(v), /*isSigned=*/true)));
  }
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, elements));
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

namespace mlir::tern::onnx_import {

class Importer {
public:
  Importer(MLIRContext *context, const ONNXImportOptions &options,
           StringRef fileName, StringRef baseDirectory)
      : context(context), options(options), fileName(fileName.str()),
        baseDirectory(baseDirectory.str()), builder(context) {}

  OwningOpRef<ModuleOp> import(const onnx::ModelProto &model);

  Tensor *lookup(const std::string &name) {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  }
  void define(const std::string &name, Tensor tensor) {
    if (!scopes.empty()) {
      auto it = values.find(name);
      scopes.back().emplace_back(
          name, it == values.end() ? std::nullopt : std::optional(it->second));
    }
    values[name] = std::move(tensor);
  }
  /// Imports `graph`, a subgraph of the node `ctx` lowers, at the builder's
  /// insertion point (see importSubgraph in Importer.h).
  FailureOr<SmallVector<Tensor>> importSubgraph(NodeContext &ctx,
                                                const onnx::GraphProto &graph,
                                                ArrayRef<Value> inputs);
  /// Materializes, at the builder's insertion point, the values of
  /// enclosing graphs that `graph` (or a subgraph in it) reads.
  void materializeCaptures(const onnx::GraphProto &graph, Location loc);
  Value materialize(Tensor &tensor, Location loc);
  /// A constant from a TensorProto (initializer, Constant node, attribute).
  FailureOr<Tensor> constantFrom(const onnx::TensorProto &proto, Location loc);

  MLIRContext *context;
  const ONNXImportOptions &options;

private:
  LogicalResult checkOpsets(const onnx::ModelProto &model, Location loc);
  /// Defines graph input `input` as the constant `value` (--input-value).
  LogicalResult defineInputValue(const onnx::ValueInfoProto &input,
                                 double value, Location loc);
  /// Imports the nodes of `graph` in `order` (sortNodes).
  LogicalResult importNodes(const onnx::GraphProto &graph, ArrayRef<int> order,
                            Location fileLoc);
  /// The nodes of `graph` in an order that defines each value before its
  /// uses. `known` holds what the graph defines besides its nodes (inputs,
  /// initializers), `outer` what the graphs around it define (which its
  /// nodes may read, or define anew for themselves).
  FailureOr<std::vector<int>> sortNodes(const onnx::GraphProto &graph,
                                        const llvm::StringSet<> &known,
                                        const llvm::StringSet<> &outer,
                                        Location loc);

  std::string fileName;
  std::string baseDirectory;
  OpBuilder builder;
  std::unordered_map<std::string, Tensor> values;
  /// The names each subgraph being imported has defined, with what they
  /// named before (nothing, or a value they shadow), to forget them after.
  std::vector<std::vector<std::pair<std::string, std::optional<Tensor>>>>
      scopes;
  llvm::StringMap<int64_t> opsets;
};

} // namespace mlir::tern::onnx_import

Value Importer::materialize(Tensor &tensor, Location loc) {
  if (tensor.value)
    return tensor.value;
  OpBuilder::InsertionGuard guard(builder);
  if (!tensor.name.empty())
    loc = NameLoc::get(StringAttr::get(context, tensor.name),
                       FileLineColLoc::get(context, fileName, 0, 0));
  int64_t count = tensor.type.getNumElements();
  if (tensor.host && (count <= options.inlineConstantLimit ||
                      tensor.type.getElementType().isInteger(1))) {
    tensor.value = onnx_import::materialize(builder, loc, *tensor.host);
    return tensor.value;
  }
  std::string hostCopy;
  ArrayRef<char> bytes;
  if (tensor.raw) {
    bytes = ArrayRef<char>(tensor.raw->data(), tensor.raw->size());
  } else {
    hostCopy = hostBytes(*tensor.host);
    bytes = ArrayRef<char>(hostCopy.data(), hostCopy.size());
  }
  std::string name = tensor.name;
  if (name.empty()) {
    name = "onnx_constant";
    if (auto named = dyn_cast<NameLoc>(loc))
      name = named.getName().str();
  }
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes);
  auto attr =
      DenseResourceElementsAttr::get(tensor.type, name, std::move(blob));
  tensor.value = arith::ConstantOp::create(builder, loc, attr);
  // The blob holds the bytes now (Tensor::rawBytes reads them there): a
  // model's weights are never held twice.
  tensor.raw.reset();
  return tensor.value;
}

ArrayRef<char> Tensor::rawBytes() const {
  if (raw)
    return ArrayRef<char>(raw->data(), raw->size());
  auto constant = value ? value.getDefiningOp<arith::ConstantOp>() : nullptr;
  auto resource = constant
                      ? dyn_cast<DenseResourceElementsAttr>(constant.getValue())
                      : nullptr;
  if (!resource)
    return {};
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  return blob ? blob->getData() : ArrayRef<char>();
}

FailureOr<std::string>
onnx_import::readExternalData(const onnx::TensorProto &proto,
                              StringRef baseDirectory, Location loc) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : proto.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" || entry.key() == "length") {
      int64_t value = 0;
      if (StringRef(entry.value()).getAsInteger(10, value) || value < 0)
        return emitError(loc)
                   << "tensor '" << proto.name() << "' has an invalid "
                   << entry.key() << " '" << entry.value() << "'",
               failure();
      (entry.key() == "offset" ? offset : length) = value;
    }
  }
  if (baseDirectory.empty())
    return emitError(loc) << "tensor '" << proto.name()
                          << "' uses external data, which needs a model file "
                             "(not a buffer)",
           failure();
  // The location must stay inside the model's folder: no absolute paths, no
  // '..', and no symlink that leads out of it.
  if (location.empty() || llvm::sys::path::is_absolute(location) ||
      llvm::any_of(llvm::make_range(llvm::sys::path::begin(location),
                                    llvm::sys::path::end(location)),
                   [](StringRef part) { return part == ".."; }))
    return emitError(loc) << "tensor '" << proto.name()
                          << "' has external data location '" << location
                          << "' outside the model's folder",
           failure();
  SmallString<256> path(baseDirectory), real, realBase;
  llvm::sys::path::append(path, location);
  if (llvm::sys::fs::real_path(path, real) ||
      llvm::sys::fs::real_path(baseDirectory, realBase))
    return emitError(loc) << "cannot open external data '" << location
                          << "' of tensor '" << proto.name() << "'",
           failure();
  StringRef realRef(real);
  if (!realRef.starts_with(realBase) ||
      (realRef.size() > realBase.size() &&
       !llvm::sys::path::is_separator(realRef[realBase.size()])))
    return emitError(loc) << "tensor '" << proto.name()
                          << "' has external data location '" << location
                          << "' outside the model's folder",
           failure();
  // Only regular files: a FIFO or device would block or never end.
  uint64_t fileSize = 0;
  if (!llvm::sys::fs::is_regular_file(real))
    return emitError(loc) << "external data '" << location << "' of tensor '"
                          << proto.name() << "' is not a regular file",
           failure();
  if (llvm::sys::fs::file_size(real, fileSize))
    return emitError(loc) << "cannot open external data '" << location << "'",
           failure();
  if (length < 0)
    length = int64_t(fileSize) - offset;
  if (offset > int64_t(fileSize) || length > int64_t(fileSize) - offset)
    return emitError(loc) << "external data of tensor '" << proto.name()
                          << "' (offset " << offset << ", length " << length
                          << ") is past the end of '" << location << "'",
           failure();
  auto buffer = llvm::MemoryBuffer::getFileSlice(real, length, offset);
  if (!buffer)
    return emitError(loc) << "cannot read external data '" << location << "'",
           failure();
  return (*buffer)->getBuffer().str();
}

FailureOr<Tensor> Importer::constantFrom(const onnx::TensorProto &proto,
                                         Location loc) {
  // uint8 constants are read (ui8) for the ops that take packed codes
  // (MatMulNBits); every other op refuses an unsigned input (see
  // readsUnsigned).
  Type elementType =
      proto.data_type() == onnx::TensorProto::UINT8
          ? Type(IntegerType::get(context, 8, IntegerType::Unsigned))
          : elementTypeOf(context, proto.data_type());
  if (!elementType)
    return emitError(loc) << "tensor '" << proto.name() << "' has unsupported "
                          << onnxTypeName(proto.data_type()),
           failure();
  SmallVector<int64_t> shape(proto.dims().begin(), proto.dims().end());
  if (failed(checkShape(shape, "tensor '" + proto.name() + "'",
                        [&] { return emitError(loc); })))
    return failure();
  int64_t count = product(shape);
  int64_t width = byteWidth(proto.data_type());
  std::string raw;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<std::string> bytes = readExternalData(proto, baseDirectory, loc);
    if (failed(bytes))
      return failure();
    raw = std::move(*bytes);
  } else if (proto.has_raw_data()) {
    raw = proto.raw_data();
  } else {
    // Typed fields: f16/bf16 bits, small ints and bools live in int32_data.
    auto put = [&](auto v) {
      raw.append(reinterpret_cast<const char *>(&v), sizeof(v));
    };
    switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT:
      for (float v : proto.float_data())
        put(v);
      break;
    case onnx::TensorProto::DOUBLE:
      for (double v : proto.double_data())
        put(v);
      break;
    case onnx::TensorProto::INT64:
      for (int64_t v : proto.int64_data())
        put(v);
      break;
    case onnx::TensorProto::INT32:
      for (int32_t v : proto.int32_data())
        put(v);
      break;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      for (int32_t v : proto.int32_data())
        put(uint16_t(v));
      break;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      for (int32_t v : proto.int32_data())
        put(uint8_t(v));
      break;
    default:
      break;
    }
  }
  if (int64_t(raw.size()) != count * width)
    return emitError(loc) << "tensor '" << proto.name() << "' holds "
                          << raw.size() << " bytes, its shape needs "
                          << count * width,
           failure();

  Tensor tensor;
  tensor.type = RankedTensorType::get(shape, elementType);
  tensor.name = proto.name();
  if (count > kFoldLimit) {
    tensor.raw = std::make_shared<std::string>(std::move(raw));
    return tensor;
  }
  std::vector<double> values(count);
  const char *p = raw.data();
  for (int64_t i = 0; i < count; ++i, p += width) {
    double v = 0;
    switch (proto.data_type()) {
    case onnx::TensorProto::FLOAT: {
      float f;
      std::memcpy(&f, p, 4);
      v = f;
      break;
    }
    case onnx::TensorProto::DOUBLE:
      std::memcpy(&v, p, 8);
      break;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: {
      uint16_t bits;
      std::memcpy(&bits, p, 2);
      APFloat f(cast<FloatType>(elementType).getFloatSemantics(),
                APInt(16, bits));
      v = f.convertToDouble();
      break;
    }
    case onnx::TensorProto::INT64: {
      int64_t x;
      std::memcpy(&x, p, 8);
      v = double(x);
      break;
    }
    case onnx::TensorProto::INT32: {
      int32_t x;
      std::memcpy(&x, p, 4);
      v = x;
      break;
    }
    case onnx::TensorProto::INT16: {
      int16_t x;
      std::memcpy(&x, p, 2);
      v = x;
      break;
    }
    case onnx::TensorProto::INT8:
      v = double(int8_t(*p));
      break;
    case onnx::TensorProto::UINT8:
      v = double(uint8_t(*p));
      break;
    case onnx::TensorProto::BOOL:
      v = *p ? 1 : 0;
      break;
    default:
      break;
    }
    values[i] = v;
  }
  tensor.host = std::make_shared<HostTensor>(
      makeHost(elementType, shape, std::move(values)));
  return tensor;
}

LogicalResult Importer::checkOpsets(const onnx::ModelProto &model,
                                    Location loc) {
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    std::string domain = opset.domain() == "ai.onnx" ? "" : opset.domain();
    opsets[domain] = opset.version();
  }
  if (!opsets.count("")) {
    // A graph of other domains' ops only (training ops, say): name the
    // first op tern does not read.
    const onnx::GraphProto &graph = model.graph();
    for (int i = 0; i < graph.node_size(); ++i) {
      std::string domain = graph.node(i).domain();
      if (domain.empty() || domain == "ai.onnx")
        continue;
      auto opset = opsets.find(domain);
      return emitError(loc)
             << "node '" << nodeName(graph.node(i), i) << "': unsupported op "
             << graph.node(i).op_type() << " (domain '" << domain << "', opset "
             << (opset == opsets.end() ? std::string("none")
                                       : std::to_string(opset->second))
             << ")";
    }
    return emitError(loc) << "the model imports no version of the default "
                             "ONNX opset";
  }
  int64_t version = opsets[""];
  if (version < kMinOpset || version > kMaxOpset)
    return emitError(loc) << "ONNX opset " << version
                          << " is not supported (tern reads opsets "
                          << kMinOpset << " to " << kMaxOpset << ")";
  return success();
}

FailureOr<std::vector<int>> Importer::sortNodes(const onnx::GraphProto &graph,
                                                const llvm::StringSet<> &known,
                                                const llvm::StringSet<> &outer,
                                                Location loc) {
  // Kahn's algorithm over value names; ties keep the file's order.
  llvm::StringMap<int> producer;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &out : graph.node(i).output())
      if (!out.empty()) {
        if (known.count(out) || !producer.try_emplace(out, i).second)
          return emitError(loc)
                     << "value '" << out << "' is defined more than once",
                 failure();
      }
  std::vector<int> pending(graph.node_size(), 0);
  std::vector<std::vector<int>> users(graph.node_size());
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (const std::string &in : readsOf(node)) {
      if (in.empty() || known.count(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end() && outer.count(in))
        continue;
      if (it == producer.end())
        return emitError(loc) << "node '" << nodeName(node, i) << "' ("
                              << node.op_type() << ") reads '" << in
                              << "', which no node, input or initializer "
                                 "defines",
               failure();
      users[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::vector<int> order;
  std::deque<int> ready;
  for (int i = 0; i < graph.node_size(); ++i)
    if (!pending[i])
      ready.push_back(i);
  while (!ready.empty()) {
    int i = ready.front();
    ready.pop_front();
    order.push_back(i);
    for (int user : users[i])
      if (--pending[user] == 0)
        ready.push_back(user);
  }
  if (int64_t(order.size()) != graph.node_size()) {
    for (int i = 0; i < graph.node_size(); ++i)
      if (pending[i])
        return emitError(loc) << "the graph has a cycle through node '"
                              << nodeName(graph.node(i), i) << "' ("
                              << graph.node(i).op_type() << ")",
               failure();
  }
  return order;
}

LogicalResult Importer::defineInputValue(const onnx::ValueInfoProto &input,
                                         double value, Location loc) {
  const onnx::TypeProto::Tensor &tensorType = input.type().tensor_type();
  Type elementType = input.type().has_tensor_type()
                         ? elementTypeOf(context, tensorType.elem_type())
                         : Type();
  if (!elementType)
    return emitError(loc) << "--input-value gives input '" << input.name()
                          << "', which is not a tensor of a type tern reads";
  // A scalar, or a tensor of one element ([1], [1, 1]).
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() != 1)
      return emitError(loc)
             << "--input-value gives input '" << input.name()
             << "' one value; the model gives it dimension " << dim.dim_value();
    shape.push_back(1);
  }
  auto integer = dyn_cast<IntegerType>(elementType);
  bool fits = std::isfinite(value);
  if (integer && integer.getWidth() == 1)
    fits = value == 0 || value == 1;
  else if (integer)
    fits = value == std::trunc(value) &&
           value >= -std::ldexp(1.0, int(integer.getWidth()) - 1) &&
           value < std::ldexp(1.0, int(integer.getWidth()) - 1);
  if (!fits)
    return emitError(loc) << "--input-value gives input '" << input.name()
                          << "' (" << elementType << ") the value " << value;
  Tensor tensor;
  tensor.type = RankedTensorType::get(shape, elementType);
  tensor.host =
      std::make_shared<HostTensor>(makeHost(elementType, shape, {value}));
  tensor.name = input.name();
  define(input.name(), std::move(tensor));
  return success();
}

LogicalResult Importer::importNodes(const onnx::GraphProto &graph,
                                    ArrayRef<int> order, Location fileLoc) {
  for (int index : order) {
    const onnx::NodeProto *node = &graph.node(index);
    std::string name = nodeName(*node, index);
    Location loc = NameLoc::get(StringAttr::get(context, name), fileLoc);
    std::string domain = node->domain() == "ai.onnx" ? "" : node->domain();
    auto opset = opsets.find(domain);
    // Default-domain ops by type, others as DOMAIN::Type.
    std::string key =
        domain.empty() ? node->op_type() : domain + "::" + node->op_type();
    auto handler = handlers().find(key);
    if (opset == opsets.end() || handler == handlers().end()) {
      emitError(loc) << "node '" << name << "': unsupported op "
                     << node->op_type() << " (domain '" << domain << "', opset "
                     << (opset == opsets.end() ? std::string("none")
                                               : std::to_string(opset->second))
                     << ")";
      return failure();
    }
    NodeContext ctx(*this, *node, opset->second, loc, builder);
    for (int i = 0; i < ctx.numInputs(); ++i)
      if (Tensor *in = ctx.input(i);
          in && in->type.getElementType().isUnsignedInteger() &&
          !readsUnsigned(key, i)) {
        ctx.error() << "input '" << node->input(i) << "' has unsupported UINT8";
        return failure();
      }
    if (!acceptsDynamicShapes(key))
      for (int i = 0; i < ctx.numInputs(); ++i)
        if (Tensor *in = ctx.input(i); in && !in->type.hasStaticShape()) {
          ctx.error() << "input '" << node->input(i) << "' has shape "
                      << shapeString(in->type.getShape())
                      << ", and tern does not import " << node->op_type()
                      << " with dynamic dimensions yet; fix them with "
                         "--input-shape";
          return failure();
        }
    for (const onnx::AttributeProto &attr : node->attribute()) {
      size_t longest = attr.s().size();
      for (const std::string &str : attr.strings())
        longest = std::max(longest, str.size());
      if (longest > kMaxStringAttr) {
        ctx.error() << "attribute '" << attr.name() << "' holds a string of "
                    << longest << " bytes; tern reads at most "
                    << kMaxStringAttr;
        return failure();
      }
    }
    // An attribute of the wrong type has been reported (typedAttr): the
    // handler went on with its default, which must not stand.
    if (failed(handler->second(ctx)) || ctx.attributeError)
      return failure();
    for (const std::string &out : node->output()) {
      if (out.empty())
        continue;
      Tensor *tensor = lookup(out);
      if (!tensor) {
        emitError(loc) << "node '" << name << "' (" << node->op_type()
                       << "): output '" << out << "' was not produced";
        return failure();
      }
      if (failed(checkShape(tensor->type.getShape(), "output '" + out + "'",
                            [&] { return ctx.error(); })))
        return failure();
    }
  }
  return success();
}

FailureOr<SmallVector<Tensor>>
Importer::importSubgraph(NodeContext &ctx, const onnx::GraphProto &graph,
                         ArrayRef<Value> inputs) {
  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  // A loop body is imported twice (once to learn its types): nesting is
  // bounded, so that a small model cannot make the import exponential.
  if (scopes.size() >= kMaxSubgraphDepth)
    return ctx.error() << "nests subgraphs more than " << kMaxSubgraphDepth
                       << " deep",
           failure();
  if (graph.input_size() != int64_t(inputs.size()))
    return ctx.error() << "has a subgraph '" << graph.name() << "' of "
                       << graph.input_size() << " inputs; "
                       << ctx.node.op_type() << " gives it " << inputs.size(),
           failure();
  // The names of the enclosing graphs may be read, or defined anew (ONNX
  // lets a subgraph shadow them); what this graph defines is forgotten
  // when it is imported.
  llvm::StringSet<> outer, known;
  for (const auto &entry : values)
    outer.insert(entry.first);
  scopes.emplace_back();
  llvm::scope_exit forget([&] {
    for (auto &[name, old] : llvm::reverse(scopes.back())) {
      if (old)
        values[name] = std::move(*old);
      else
        values.erase(name);
    }
    scopes.pop_back();
  });
  for (const onnx::TensorProto &init : graph.initializer()) {
    Location loc = NameLoc::get(StringAttr::get(context, init.name()), fileLoc);
    if (!known.insert(init.name()).second)
      return emitError(loc)
                 << "initializer '" << init.name() << "' of subgraph '"
                 << graph.name() << "' is defined more than once",
             failure();
    FailureOr<Tensor> tensor = constantFrom(init, loc);
    if (failed(tensor))
      return failure();
    define(init.name(), std::move(*tensor));
  }
  for (auto [input, value] : llvm::zip(graph.input(), inputs)) {
    if (!known.insert(input.name()).second)
      return ctx.error() << "has a subgraph '" << graph.name()
                         << "' whose input '" << input.name()
                         << "' is defined more than once",
             failure();
    Tensor tensor;
    tensor.type = cast<RankedTensorType>(value.getType());
    tensor.value = value;
    define(input.name(), std::move(tensor));
  }
  FailureOr<std::vector<int>> order = sortNodes(graph, known, outer, ctx.loc);
  if (failed(order) || failed(importNodes(graph, *order, fileLoc)))
    return failure();
  SmallVector<Tensor> outputs;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Tensor *tensor = lookup(output.name());
    if (!tensor)
      return ctx.error() << "has a subgraph '" << graph.name()
                         << "' whose output '" << output.name()
                         << "' is not defined by any node",
             failure();
    outputs.push_back(*tensor);
  }
  return outputs;
}

void Importer::materializeCaptures(const onnx::GraphProto &graph,
                                   Location loc) {
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &name : node.input())
      if (Tensor *tensor = name.empty() ? nullptr : lookup(name))
        materialize(*tensor, loc);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        materializeCaptures(attr.g(), loc);
      for (const onnx::GraphProto &sub : attr.graphs())
        materializeCaptures(sub, loc);
    }
  }
  for (const onnx::ValueInfoProto &output : graph.output())
    if (Tensor *tensor = lookup(output.name()))
      materialize(*tensor, loc);
}

FailureOr<SmallVector<Tensor>>
onnx_import::importSubgraph(NodeContext &ctx, const onnx::GraphProto &graph,
                            ArrayRef<Value> inputs) {
  return ctx.importer.importSubgraph(ctx, graph, inputs);
}

void onnx_import::materializeCaptures(NodeContext &ctx,
                                      const onnx::GraphProto &graph) {
  ctx.importer.materializeCaptures(graph, ctx.loc);
}

OwningOpRef<ModuleOp> Importer::import(const onnx::ModelProto &model) {
  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  if (failed(checkOpsets(model, fileLoc)))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  // Initializers first: a graph input with an initializer is a constant.
  llvm::StringSet<> known;
  for (const onnx::TensorProto &init : graph.initializer()) {
    Location loc = NameLoc::get(StringAttr::get(context, init.name()), fileLoc);
    if (!known.insert(init.name()).second)
      return emitError(loc) << "initializer '" << init.name()
                            << "' is defined more than once",
             nullptr;
    FailureOr<Tensor> tensor = constantFrom(init, loc);
    if (failed(tensor))
      return nullptr;
    define(init.name(), std::move(*tensor));
  }

  // Function arguments: the inputs that are not initializers.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  SmallVector<SmallVector<std::string>> dimNames;
  llvm::StringSet<> inputNames, valued;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    Location loc =
        NameLoc::get(StringAttr::get(context, input.name()), fileLoc);
    if (!inputNames.insert(input.name()).second)
      return emitError(loc)
                 << "input '" << input.name() << "' is listed more than once",
             nullptr;
    if (known.count(input.name()))
      continue;
    if (auto given = options.inputValues.find(input.name());
        given != options.inputValues.end()) {
      if (failed(defineInputValue(input, given->second, loc)))
        return nullptr;
      known.insert(input.name());
      valued.insert(input.name());
      continue;
    }
    if (!input.type().has_tensor_type())
      return emitError(loc) << "input '" << input.name() << "' is not a tensor",
             nullptr;
    const onnx::TypeProto::Tensor &tensorType = input.type().tensor_type();
    Type elementType = elementTypeOf(context, tensorType.elem_type());
    if (!elementType)
      return emitError(loc) << "input '" << input.name() << "' has unsupported "
                            << onnxTypeName(tensorType.elem_type()),
             nullptr;
    SmallVector<int64_t> shape;
    dimNames.emplace_back();
    auto fixed = options.inputShapes.find(input.name());
    if (fixed != options.inputShapes.end()) {
      shape.assign(fixed->second.begin(), fixed->second.end());
      if (tensorType.has_shape() &&
          tensorType.shape().dim_size() != int64_t(shape.size()))
        return emitError(loc)
                   << "--input-shape gives input '" << input.name() << "' rank "
                   << shape.size() << ", the model says rank "
                   << tensorType.shape().dim_size(),
               nullptr;
      for (auto [i, dim] : llvm::enumerate(tensorType.shape().dim()))
        if (dim.has_dim_value() && dim.dim_value() != shape[i])
          return emitError(loc)
                     << "--input-shape gives input '" << input.name()
                     << "' dimension " << i << " = " << shape[i]
                     << ", the model fixes it to " << dim.dim_value(),
                 nullptr;
    } else {
      if (!tensorType.has_shape())
        return emitError(loc) << "input '" << input.name()
                              << "' has no shape; give it with --input-shape "
                              << input.name() << "=...",
               nullptr;
      // A dimension the model leaves open is dynamic; its dim_param names
      // it, so that inputs sharing it are checked to agree.
      for (const auto &dim : tensorType.shape().dim()) {
        shape.push_back(dim.has_dim_value() ? dim.dim_value()
                                            : ShapedType::kDynamic);
        dimNames.back().push_back(dim.has_dim_value() ? std::string()
                                                      : dim.dim_param());
      }
    }
    if (failed(checkShape(shape, "input '" + input.name() + "'",
                          [&] { return emitError(loc); })))
      return nullptr;
    argTypes.push_back(RankedTensorType::get(shape, elementType));
    argNames.push_back(input.name());
    known.insert(input.name());
  }
  for (const auto &entry : options.inputValues)
    if (!valued.count(entry.getKey()))
      return emitError(fileLoc)
                 << "--input-value names '" << entry.getKey() << "', "
                 << (!inputNames.count(entry.getKey())
                         ? "which is not an input of the model"
                         : "which has an initializer (a value already)"),
             nullptr;
  for (const auto &entry : options.inputShapes)
    if (!llvm::is_contained(argNames, entry.getKey().str()))
      return emitError(fileLoc) << "--input-shape names '" << entry.getKey()
                                << "', which is not an input of the model",
             nullptr;

  auto func = func::FuncOp::create(builder, fileLoc, options.functionName,
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    Tensor tensor;
    tensor.type = cast<RankedTensorType>(argTypes[i]);
    tensor.value = entry->getArgument(i);
    define(name, tensor);
  }

  FailureOr<std::vector<int>> order = sortNodes(graph, known, {}, fileLoc);
  if (failed(order))
    return nullptr;

  if (failed(importNodes(graph, *order, fileLoc)))
    return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Tensor *tensor = lookup(output.name());
    Location loc =
        NameLoc::get(StringAttr::get(context, output.name()), fileLoc);
    if (!tensor)
      return emitError(loc) << "graph output '" << output.name()
                            << "' is not defined by any node",
             nullptr;
    results.push_back(materialize(*tensor, loc));
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  // The ONNX names of inputs and outputs, for tools that bind them by name.
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, kNameAttrName, builder.getStringAttr(name));
    if (cast<RankedTensorType>(argTypes[i]).hasStaticShape())
      continue;
    SmallVector<Attribute> names;
    for (const std::string &dim : dimNames[i])
      names.push_back(builder.getStringAttr(dim));
    func.setArgAttr(i, kDimNamesAttrName, builder.getArrayAttr(names));
  }
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, kNameAttrName, builder.getStringAttr(output.name()));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

bool onnx_import::readsUnsigned(StringRef opType, int input) {
  // MatMulNBits' packed codes and zero points.
  return opType == "com.microsoft::MatMulNBits" && (input == 1 || input == 3);
}

bool onnx_import::acceptsDynamicShapes(StringRef opType) {
  return dynamicShapeOps().contains(opType);
}

int64_t onnx_import::product(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim == 0)
      return 0;
    if (count > std::numeric_limits<int64_t>::max() / dim)
      count = std::numeric_limits<int64_t>::max();
    else
      count *= dim;
  }
  return count;
}

LogicalResult
onnx_import::checkShape(ArrayRef<int64_t> shape, StringRef what,
                        function_ref<InFlightDiagnostic()> error) {
  SmallVector<int64_t> known;
  for (int64_t dim : shape) {
    if (ShapedType::isDynamic(dim))
      continue;
    if (dim < 0 || dim > kMaxElements)
      return error() << what << " has an invalid dimension " << dim, failure();
    known.push_back(dim);
  }
  int64_t count = product(known);
  if (count > kMaxElements) {
    std::string dims;
    llvm::raw_string_ostream os(dims);
    llvm::interleave(shape, os, "x");
    return error() << what << " has " << count << " elements (" << dims
                   << "); tern handles at most " << kMaxElements
                   << " per tensor",
           failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(Importer &importer, const onnx::NodeProto &node,
                         int64_t opset, Location loc, OpBuilder &builder)
    : node(node), opset(opset), loc(loc), b(builder), importer(importer) {}

Tensor *NodeContext::input(int i) {
  if (i >= node.input_size() || node.input(i).empty())
    return nullptr;
  return importer.lookup(node.input(i));
}

Value NodeContext::value(int i) {
  Tensor *tensor = input(i);
  return tensor ? importer.materialize(*tensor, loc) : Value();
}

const HostTensor *NodeContext::host(int i) {
  Tensor *tensor = input(i);
  return tensor ? tensor->host.get() : nullptr;
}

const HostTensor *NodeContext::hostOrSymbolic(int i) {
  Tensor *tensor = input(i);
  if (!tensor)
    return nullptr;
  return tensor->host ? tensor->host.get() : tensor->symbolic.get();
}

std::optional<SmallVector<int64_t>> NodeContext::ints(int i) {
  const HostTensor *h = host(i);
  if (!h)
    return std::nullopt;
  SmallVector<int64_t> result;
  for (double v : h->values)
    result.push_back(toInt64(v));
  return result;
}

std::optional<SmallVector<OpFoldResult>> NodeContext::sizes(int i) {
  const HostTensor *h = hostOrSymbolic(i);
  if (!h || isa<FloatType>(h->elementType))
    return std::nullopt;
  SmallVector<OpFoldResult> result;
  for (int64_t e = 0; e < h->size(); ++e) {
    if (h->isSymbolic() && h->symbols[e])
      result.push_back(
          arith::IndexCastOp::create(b, loc, b.getIndexType(), h->symbols[e])
              .getResult());
    else
      result.push_back(b.getIndexAttr(toInt64(h->values[e])));
  }
  return result;
}

std::optional<SmallVector<OpFoldResult>> NodeContext::indices(int i) {
  if (std::optional<SmallVector<OpFoldResult>> known = sizes(i))
    return known;
  Tensor *tensor = input(i);
  if (!tensor || !isa<IntegerType>(tensor->type.getElementType()) ||
      tensor->type.getRank() > 1 || !tensor->type.hasStaticShape())
    return std::nullopt;
  Value v = value(i);
  SmallVector<OpFoldResult> result;
  for (int64_t e = 0; e < tensor->type.getNumElements(); ++e) {
    SmallVector<Value> at;
    if (tensor->type.getRank() == 1)
      at.push_back(arith::ConstantIndexOp::create(b, loc, e));
    Value element = tensor::ExtractOp::create(b, loc, v, at);
    result.push_back(
        arith::IndexCastOp::create(b, loc, b.getIndexType(), element)
            .getResult());
  }
  return result;
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool NodeContext::hasAttr(StringRef name) const { return attr(name); }

const onnx::AttributeProto *
NodeContext::typedAttr(StringRef name,
                       onnx::AttributeProto::AttributeType type) const {
  const onnx::AttributeProto *a = attr(name);
  // Models of old IR versions may leave the type out.
  if (!a || a->type() == type || a->type() == onnx::AttributeProto::UNDEFINED)
    return a;
  if (!attributeError) {
    attributeError = true;
    const_cast<NodeContext *>(this)->error()
        << "has attribute '" << name << "' of type "
        << onnx::AttributeProto::AttributeType_Name(a->type())
        << "; ONNX defines it as "
        << onnx::AttributeProto::AttributeType_Name(type);
  }
  return nullptr;
}

int64_t NodeContext::attrInt(StringRef name, int64_t otherwise) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::INT);
  return a ? a->i() : otherwise;
}

float NodeContext::attrFloat(StringRef name, float otherwise) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : otherwise;
}

std::string NodeContext::attrString(StringRef name, StringRef otherwise) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::STRING);
  return a ? a->s() : otherwise.str();
}

SmallVector<int64_t> NodeContext::attrInts(StringRef name) const {
  SmallVector<int64_t> result;
  if (const onnx::AttributeProto *a =
          typedAttr(name, onnx::AttributeProto::INTS))
    result.assign(a->ints().begin(), a->ints().end());
  return result;
}

std::vector<float> NodeContext::attrFloats(StringRef name) const {
  std::vector<float> result;
  if (const onnx::AttributeProto *a =
          typedAttr(name, onnx::AttributeProto::FLOATS))
    result.assign(a->floats().begin(), a->floats().end());
  return result;
}

FailureOr<std::optional<SmallVector<int64_t>>>
NodeContext::intsAttrOrInput(StringRef name, int index, int64_t sinceOpset) {
  if (opset < sinceOpset) {
    if (!hasAttr(name))
      return std::optional<SmallVector<int64_t>>();
    return std::optional<SmallVector<int64_t>>(attrInts(name));
  }
  if (!input(index))
    return std::optional<SmallVector<int64_t>>();
  std::optional<SmallVector<int64_t>> values = ints(index);
  if (!values) {
    error() << "input " << index << " ('" << name
            << "') must be a constant known at import time";
    return failure();
  }
  return values;
}

FailureOr<int64_t> NodeContext::axisAttr(int64_t rank, int64_t otherwise) {
  int64_t given = attrInt("axis", otherwise);
  std::optional<int64_t> axis = normalizeAxis(given, rank);
  if (!axis)
    return LogicalResult(error() << "has axis " << given
                                 << " out of range for rank " << rank);
  return *axis;
}

InFlightDiagnostic NodeContext::error() {
  std::string name = node.name().empty() ? "" : node.name();
  if (auto named = dyn_cast<NameLoc>(loc))
    name = named.getName().str();
  return emitError(loc) << "node '" << name << "' (" << node.op_type() << "): ";
}

void NodeContext::setOutput(int i, Value value) {
  Tensor tensor;
  tensor.type = cast<RankedTensorType>(value.getType());
  tensor.value = value;
  setOutput(i, std::move(tensor));
}

void NodeContext::setOutput(int i, HostTensor host) {
  Tensor tensor;
  tensor.type = RankedTensorType::get(host.shape, host.elementType);
  if (host.isSymbolic()) {
    tensor.value = materialize(b, loc, host);
    tensor.symbolic = std::make_shared<HostTensor>(std::move(host));
  } else {
    tensor.host = std::make_shared<HostTensor>(std::move(host));
  }
  setOutput(i, std::move(tensor));
}

void NodeContext::setOutput(int i, Tensor tensor) {
  if (i < node.output_size() && !node.output(i).empty())
    importer.define(node.output(i), std::move(tensor));
}

Value onnx_import::materializeConstant(NodeContext &ctx, Tensor &tensor) {
  return ctx.importer.materialize(tensor, ctx.loc);
}

FailureOr<Tensor>
onnx_import::constantFromProto(NodeContext &ctx,
                               const onnx::TensorProto &proto) {
  return ctx.importer.constantFrom(proto, ctx.loc);
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Error mlir::tern::parseONNXInputShapes(StringRef spec,
                                             ONNXImportOptions &options) {
  SmallVector<StringRef> entries;
  spec.split(entries, ',', -1, /*KeepEmpty=*/false);
  for (StringRef entry : entries) {
    auto [name, dims] = entry.split('=');
    name = name.trim();
    if (name.empty() || dims.empty())
      return llvm::createStringError(
          "expected NAME=DxDx... in --input-shape, got '" + entry + "'");
    SmallVector<int64_t> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef part : parts) {
      int64_t dim;
      if (part.trim().getAsInteger(10, dim) || dim < 1 || dim > kMaxElements)
        return llvm::createStringError("invalid dimension '" + part +
                                       "' for input '" + name +
                                       "' in --input-shape");
      shape.push_back(dim);
    }
    options.inputShapes[name] = shape;
  }
  return llvm::Error::success();
}

llvm::Error mlir::tern::parseONNXInputValues(StringRef spec,
                                             ONNXImportOptions &options) {
  SmallVector<StringRef> entries;
  spec.split(entries, ',', -1, /*KeepEmpty=*/false);
  for (StringRef entry : entries) {
    auto [name, text] = entry.split('=');
    name = name.trim();
    double value;
    if (name.empty() || text.trim().getAsDouble(value))
      return llvm::createStringError(
          "expected NAME=VALUE (a number) in --input-value, got '" + entry +
          "'");
    options.inputValues[name] = value;
  }
  return llvm::Error::success();
}

bool mlir::tern::looksLikeONNX(StringRef fileName) {
  return fileName.ends_with(".onnx") || fileName.ends_with(".onnxtxt");
}

OwningOpRef<ModuleOp>
mlir::tern::importONNXBuffer(StringRef bytes, StringRef bufferName,
                             StringRef baseDirectory, MLIRContext *context,
                             const ONNXImportOptions &options) {
  context
      ->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                    func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                    scf::SCFDialect, tensor::TensorDialect>();
  // The text syntax starts with '<' (the model header), possibly after
  // '#' comments; binary protobufs start with a field tag.
  StringRef trimmed = bytes.ltrim();
  while (trimmed.starts_with("#"))
    trimmed = trimmed.drop_until([](char c) { return c == '\n'; }).ltrim();
  bool text = bufferName.ends_with(".onnxtxt") || trimmed.starts_with("<");
  onnx::ModelProto model;
  if (llvm::Error error = onnx_import::parseModel(bytes.str(), text, model)) {
    emitError(FileLineColLoc::get(context, bufferName, 0, 0))
        << llvm::toString(std::move(error));
    return nullptr;
  }
  Importer importer(context, options, bufferName, baseDirectory);
  return importer.import(model);
}

OwningOpRef<ModuleOp>
mlir::tern::importONNXFile(StringRef path, MLIRContext *context,
                           const ONNXImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(context))
        << "cannot open '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  if (directory.empty())
    directory = ".";
  return importONNXBuffer((*buffer)->getBuffer(), path, directory, context,
                          options);
}

void mlir::tern::registerONNXImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
                  scf::SCFDialect, tensor::TensorDialect>();
}

namespace {
/// The command-line options of ONNX import, created on registration.
struct ImportCLOptions {
  llvm::cl::opt<std::string> inputShapes{
      "input-shape",
      llvm::cl::desc("For ONNX models: static input shapes, "
                     "NAME=DxDx...[,NAME=...] (fixes dynamic dimensions)"),
      llvm::cl::init("")};
  llvm::cl::opt<std::string> inputValues{
      "input-value",
      llvm::cl::desc("For ONNX models: values of scalar inputs, "
                     "NAME=V[,NAME=V] (each becomes a constant, and what "
                     "depends on it folds: an If on it imports only the "
                     "branch taken)"),
      llvm::cl::init("")};
};
} // namespace

static llvm::ManagedStatic<ImportCLOptions> importCLOptions;

void mlir::tern::registerONNXImportCLOptions(
    llvm::cl::OptionCategory *category) {
  // Construct the options (ManagedStatic does on first use).
  ImportCLOptions &options = *importCLOptions;
  if (category) {
    options.inputShapes.addCategory(*category);
    options.inputValues.addCategory(*category);
  }
}

llvm::Expected<ONNXImportOptions> mlir::tern::onnxImportOptionsFromCL() {
  ONNXImportOptions options;
  if (importCLOptions.isConstructed())
    if (llvm::Error error =
            parseONNXInputShapes(importCLOptions->inputShapes, options))
      return std::move(error);
  if (importCLOptions.isConstructed())
    if (llvm::Error error =
            parseONNXInputValues(importCLOptions->inputValues, options))
      return std::move(error);
  return options;
}
