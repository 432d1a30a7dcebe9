//===- Importer.h - ONNX importer internals ---------------------*- C++ -*-===//
//
// This file declares what the op handlers share: the state of one ONNX
// value during import (an IR value, and its contents when they are known at
// import time), the view a handler has of its node, and the IR builders the
// handlers have in common. One handler per ONNX op type, registered in a
// table by op family (OpsElementwise.cpp, OpsTensor.cpp, OpsNN.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TERN_LIB_TARGET_ONNX_IMPORTER_H
#define TERN_LIB_TARGET_ONNX_IMPORTER_H

#include "tern/Target/ONNX/Import.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tern::onnx_import {

/// Contents of a tensor known at import time. Every element type is held as
/// double (integers are exact up to 2^53, which covers shapes and indices).
struct HostTensor {
  Type elementType;
  SmallVector<int64_t> shape;
  std::vector<double> values;
  /// Elements known only when the model runs: a scalar of `elementType`
  /// per element, null where `values` holds it. Empty when every element is
  /// known. Shape arithmetic on dynamic dimensions (Shape -> Gather ->
  /// Concat -> Reshape) is carried this way, so that the sizes known at
  /// import time stay static.
  std::vector<Value> symbols;

  int64_t size() const { return int64_t(values.size()); }
  bool isSymbolic() const { return !symbols.empty(); }
  /// Element `i` as a scalar value of `elementType` (a constant when known).
  Value element(OpBuilder &b, Location loc, int64_t i) const;
};

/// A host value as an integer. Values are held as doubles, so int64's
/// extremes (ONNX's "to the end" sentinels INT64_MAX and INT64_MIN) round
/// to +-2^63, which no int64 holds: they saturate instead of overflowing.
inline int64_t toInt64(double v) {
  constexpr double limit = 9223372036854775808.0; // 2^63
  if (v >= limit)
    return std::numeric_limits<int64_t>::max();
  if (v <= -limit)
    return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

/// Largest constant folded on the host (shape computations, small tables).
constexpr int64_t kFoldLimit = 1 << 16;

/// Most elements of one tensor (16 GiB of f32, far above any layer of a
/// model a CPU runs): larger shapes are corrupt or hostile, and are refused
/// before anything is allocated for them.
constexpr int64_t kMaxElements = int64_t(1) << 32;

/// The number of elements of `shape` (non-negative dims), saturating at
/// INT64_MAX instead of overflowing.
int64_t product(ArrayRef<int64_t> shape);

/// Checks that `shape` is static, non-negative and holds at most
/// kMaxElements elements; otherwise reports "<what> has ..." through
/// `error` and fails.
/// The bytes of a tensor stored as external data, in a file of the model's
/// folder `baseDirectory` (locations outside it are refused). Errors are
/// reported at `loc`.
FailureOr<std::string> readExternalData(const onnx::TensorProto &proto,
                                        StringRef baseDirectory, Location loc);

LogicalResult checkShape(ArrayRef<int64_t> shape, StringRef what,
                         function_ref<InFlightDiagnostic()> error);

/// An ONNX value during import: an IR value, or a constant not yet
/// materialized, or both.
struct Tensor {
  RankedTensorType type;
  Value value;
  /// Known contents, for constants of at most kFoldLimit elements.
  std::shared_ptr<HostTensor> host;
  /// Contents known in part (HostTensor::symbols): small integer tensors
  /// computed from dynamic sizes. `value` holds them too, so handlers that
  /// do not look here compute with the IR value.
  std::shared_ptr<HostTensor> symbolic;
  /// Little-endian raw contents of a larger constant, until it is
  /// materialized (then its blob holds them).
  std::shared_ptr<std::string> raw;
  /// The ONNX name of a constant (initializer or Constant output): its blob
  /// and location are named after it.
  std::string name;

  /// The little-endian contents of a large constant: `raw`, or once it is
  /// materialized, its resource blob. Empty for other values.
  ArrayRef<char> rawBytes() const;
  bool isConstant() const { return host || !rawBytes().empty(); }
};

class Importer;

/// The node a handler lowers, with its inputs, attributes and outputs.
class NodeContext {
public:
  NodeContext(Importer &importer, const onnx::NodeProto &node, int64_t opset,
              Location loc, OpBuilder &builder);

  const onnx::NodeProto &node;
  int64_t opset;
  Location loc;
  OpBuilder &b;

  /// The node's name as diagnostics give it: its ONNX name, or the one the
  /// importer made for an unnamed node (`Conv_3`), held by `loc`.
  std::string name() const {
    auto named = dyn_cast<NameLoc>(loc);
    return named ? named.getName().str() : node.name();
  }

  /// Input i, or null when absent (missing or empty name).
  Tensor *input(int i);
  int numInputs() const { return node.input_size(); }
  /// Input i as an IR value (constants are materialized).
  Value value(int i);
  /// Input i's contents when known at import time.
  const HostTensor *host(int i);
  /// Input i's contents when known at import time, in full or in part
  /// (symbolic: some elements known only when the model runs).
  const HostTensor *hostOrSymbolic(int i);
  /// Input i as integers, when its contents are known.
  std::optional<SmallVector<int64_t>> ints(int i);
  /// Input i (integers) as sizes: attributes for the elements known at
  /// import time, index values for the others; nothing when the input is
  /// neither known nor symbolic.
  std::optional<SmallVector<OpFoldResult>> sizes(int i);
  /// Input i (an integer tensor of rank 0 or 1 and static length) as index
  /// values: sizes(i) when known or symbolic, otherwise its elements read
  /// when the model runs. For inputs whose every value is valid (Slice's
  /// bounds, resolved as ONNX says); sizes that a negative value would
  /// make wrong use sizes(i).
  std::optional<SmallVector<OpFoldResult>> indices(int i);

  bool hasAttr(StringRef name) const;
  /// Attribute `name` if it has `type` (or none, as old models leave it);
  /// otherwise reports the mismatch once and returns null.
  const onnx::AttributeProto *
  typedAttr(StringRef name, onnx::AttributeProto::AttributeType type) const;
  const onnx::AttributeProto *attr(StringRef name) const;
  int64_t attrInt(StringRef name, int64_t otherwise) const;
  float attrFloat(StringRef name, float otherwise) const;
  std::string attrString(StringRef name, StringRef otherwise) const;
  SmallVector<int64_t> attrInts(StringRef name) const;
  std::vector<float> attrFloats(StringRef name) const;

  /// An integer list given as attribute `name` before `sinceOpset` and as
  /// input `index` from then on (Squeeze axes, Pad pads, ...). Null when
  /// absent; an error (and failure) when the input is not a constant.
  FailureOr<std::optional<SmallVector<int64_t>>>
  intsAttrOrInput(StringRef name, int index, int64_t sinceOpset);

  /// The `axis` attribute (`otherwise` when absent) of a node on a tensor
  /// of `rank`, normalized to [0, rank); an error naming it when it is out
  /// of range.
  FailureOr<int64_t> axisAttr(int64_t rank, int64_t otherwise);

  /// Reports an error at this node: "node 'n' (Op): message".
  InFlightDiagnostic error();

  /// Set when an attribute was asked for as a type it does not have (an
  /// error already reported): the node fails whatever its handler did.
  mutable bool attributeError = false;

  void setOutput(int i, Value value);
  void setOutput(int i, HostTensor host);
  void setOutput(int i, Tensor tensor);

  Importer &importer;
};

/// A constant from a TensorProto (the value of a Constant node).
FailureOr<Tensor> constantFromProto(NodeContext &ctx,
                                    const onnx::TensorProto &proto);

/// A subgraph of the node `ctx` lowers (If's branches, the bodies of Loop
/// and Scan), imported at the builder's insertion point as a graph is: its
/// inputs bound to `inputs` in order, the values of the enclosing graphs it
/// reads used where they are. Returns its outputs (with their contents when
/// known at import time); the names it defines are forgotten after.
FailureOr<SmallVector<Tensor>> importSubgraph(NodeContext &ctx,
                                              const onnx::GraphProto &graph,
                                              ArrayRef<Value> inputs);

/// Materializes, at the builder's insertion point, the constants of the
/// enclosing graphs that `graph` (or a subgraph in it) reads: a region
/// built after (scf.if, scf.for, scf.while) may use them, as it may not
/// use a constant first materialized inside it.
void materializeCaptures(NodeContext &ctx, const onnx::GraphProto &graph);

/// The IR value of a constant tensor (materialized once).
Value materializeConstant(NodeContext &ctx, Tensor &tensor);

using Handler = std::function<LogicalResult(NodeContext &)>;
/// Handlers by op type; ops of another domain than the default one are
/// keyed "DOMAIN::Type" (contribOp).
using HandlerTable = llvm::StringMap<Handler>;

/// The handler key of op `type` in ONNX Runtime's contributed domain.
inline std::string contribOp(StringRef type) {
  return ("com.microsoft::" + type).str();
}

void registerElementwiseOps(HandlerTable &table);
void registerTensorOps(HandlerTable &table);
void registerNNOps(HandlerTable &table);
void registerIndexingOps(HandlerTable &table);
void registerAttentionOps(HandlerTable &table);
void registerRecurrentOps(HandlerTable &table);
void registerControlFlowOps(HandlerTable &table);

//===----------------------------------------------------------------------===//
// Types and constants
//===----------------------------------------------------------------------===//

/// The MLIR element type of an ONNX data type, or null if unsupported.
Type elementTypeOf(MLIRContext *context, int32_t onnxType);
/// The ONNX name of a data type, for messages.
std::string onnxTypeName(int32_t onnxType);

/// An IR constant with `host`'s contents (tensor.from_elements when some
/// are symbolic).
Value materialize(OpBuilder &b, Location loc, const HostTensor &host);
/// A host tensor of `type` holding `values`.
HostTensor makeHost(Type elementType, ArrayRef<int64_t> shape,
                    std::vector<double> values);

//===----------------------------------------------------------------------===//
// IR builders
//===----------------------------------------------------------------------===//

/// The scalar constant `value` of `type` (float, integer or i1).
Value scalar(OpBuilder &b, Location loc, Type type, double value);
/// Converts a scalar between element types with ONNX Cast semantics.
Value convertScalar(OpBuilder &b, Location loc, Value value, Type to);
/// tensor.empty of the static `shape`.
Value empty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type type);
/// A tensor of the static `shape` filled with `value`.
Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type type,
             double value);

//===----------------------------------------------------------------------===//
// Dynamic dimensions
//
// A dimension ONNX leaves open (a dim_param such as "batch" or "seq") is a
// `?` dimension of the tensor types, and its size an index value computed
// when the model runs. The builders below take shapes as OpFoldResults: an
// attribute for a static size, a value for a dynamic one. Handlers that
// build with them are listed in dynamicShapeOps(); the importer refuses a
// node of any other op whose inputs have `?` dimensions.
//===----------------------------------------------------------------------===//

/// The ops whose handlers accept inputs with dynamic dimensions.
bool acceptsDynamicShapes(StringRef opType);

/// Whether input `input` of op `opType` (a handler key) may be an unsigned
/// integer constant (uint8 codes); every other input refuses one.
bool readsUnsigned(StringRef opType, int input);

/// The sizes of `value`: constants for its static dimensions, tensor.dim
/// for its dynamic ones.
SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value value);
/// `sizes` as a shape: the static sizes, kDynamic for the values.
SmallVector<int64_t> staticShapeOf(ArrayRef<OpFoldResult> sizes);
/// The product of `sizes` (a constant when they all are).
OpFoldResult productOf(OpBuilder &b, Location loc,
                       ArrayRef<OpFoldResult> sizes);
/// tensor.empty of `sizes`.
Value emptyOf(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
              Type type);
/// A tensor of `sizes` filled with `value`.
Value filledOf(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
               Type type, double value);
/// `value` reshaped to `sizes` (same element count at run time).
Value reshapeTo(OpBuilder &b, Location loc, Value value,
                ArrayRef<OpFoldResult> sizes);

/// numpy broadcasting of `shapes`; fails if they are incompatible. A
/// dynamic dimension broadcasts with 1 and with its own kind; against a
/// static size n > 1 it must be n when the model runs (broadcastMap checks).
std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes);

using ScalarBody =
    function_ref<Value(OpBuilder &, Location, ValueRange scalars)>;

/// One linalg.generic applying `body` elementwise to `inputs` broadcast to
/// `shape` (broadcastShapes of theirs), with result element type
/// `resultType`. Dynamic dimensions of the result take their size from an
/// input; every other input's dynamic dimension there is checked at run
/// time (cf.assert) to have that size, since a size-1 dimension known only
/// at run time is not broadcast.
Value broadcastMap(OpBuilder &b, Location loc, ValueRange inputs,
                   ArrayRef<int64_t> shape, Type resultType, ScalarBody body);

/// A tensor of `shape` whose every element is what `body` computes from the
/// loop indices (linalg.index): a linalg.generic without inputs, for ops
/// that compute where to read (Gather, Pad, Resize).
Value generate(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type type,
               function_ref<Value(OpBuilder &, Location)> body);
/// generate with run-time sizes.
Value generateOf(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                 Type type, function_ref<Value(OpBuilder &, Location)> body);

/// `value` reshaped to `shape` (same element count).
Value reshape(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape);
/// `value` with dimensions permuted: result dim i is input dim perm[i].
Value transpose(OpBuilder &b, Location loc, Value value,
                ArrayRef<int64_t> perm);
/// `value` broadcast to `shape` (numpy rules).
Value broadcastTo(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int64_t> shape);

/// Reduces `value` over `axes` (sorted, non-negative) starting from `init`
/// with `combine(accumulator, element)`; keeps reduced dims as 1 if asked.
Value reduce(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> axes,
             bool keepDims, double init,
             function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// Pads the trailing dims of `value` with `low`/`high` (one per padded dim,
/// aligned to the last dims) filled with `padValue`.
Value padConstant(OpBuilder &b, Location loc, Value value,
                  ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                  double padValue);

/// `source` written into `dest` at `offsets` with `strides`.
Value insertSlice(OpBuilder &b, Location loc, Value source, Value dest,
                  ArrayRef<int64_t> offsets, ArrayRef<int64_t> strides);
/// The strided slice of `source` at `offsets` of `sizes`.
Value extractSlice(OpBuilder &b, Location loc, Value source,
                   ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
                   ArrayRef<int64_t> strides);

/// numpy matmul of a and b (rank >= 1 each, float). Batch dimensions may be
/// dynamic when both operands have them alike (or b has none). Errors name
/// the node.
FailureOr<Value> numpyMatmul(NodeContext &ctx, Value a, Value b);

/// The parts of a softmax of `v` (of `shape`, dynamic dimensions kDynamic)
/// along `axis`: m, its max there (or max(m, sink) with a `sink`), exp(v -
/// m), and their sum (plus exp(sink - m) with a sink: an attention sink,
/// a logit that joins the denominator only); max and sum keep `axis` as 1,
/// and `sink` broadcasts to their shape.
struct SoftmaxParts {
  Value max, exp, sum;
};
SoftmaxParts softmaxParts(OpBuilder &b, Location loc, Value v,
                          ArrayRef<int64_t> shape, int64_t axis,
                          Value sink = nullptr);

/// `pieces` (same rank and element type, equal sizes but along `axis`,
/// any of them dynamic) concatenated along `axis`.
Value concatOf(OpBuilder &b, Location loc, ArrayRef<Value> pieces,
               int64_t axis);

/// The index constant `value`.
Value indexConstant(OpBuilder &b, Location loc, int64_t value);

/// The one element of a rank-0 or one-element tensor.
Value onlyElement(OpBuilder &b, Location loc, Value tensor);

/// `value` with its first dimension in reverse order; with `lengths` (an
/// integer tensor along dimension 1: a batch's steps), only the first
/// lengths[b] entries of each b, the others left where they are (ONNX
/// Runtime's reverse direction of a recurrent layer). Applying it twice
/// gives `value` back.
Value reverseLeading(OpBuilder &b, Location loc, Value value,
                     Value lengths = nullptr);

/// Asserts when the model runs that every element of the integer tensor
/// `values` lies in [low, high) (index values); the message is "node 'n':
/// `what`".
void assertAllInRange(NodeContext &ctx, Value values, Value low, Value high,
                      const std::string &what);

/// Normalizes an axis in [-rank, rank) to [0, rank); fails out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Row-major strides of `shape`.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape);

/// A host result of `shape` whose element at each index is
/// `source(index)`, an offset into `input`.
HostTensor gatherHost(const HostTensor &input, ArrayRef<int64_t> shape,
                      function_ref<int64_t(ArrayRef<int64_t>)> source);

/// Asserts when the model runs that every element of the integer tensor
/// `indices` lies in [-dim, dim), as ONNX requires of the indices of
/// dimension `axis` (Gather, GatherElements): the message names the node.
void assertIndicesInRange(NodeContext &ctx, Value indices, int64_t dim,
                          int64_t axis);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_TARGET_ONNX_IMPORTER_H
