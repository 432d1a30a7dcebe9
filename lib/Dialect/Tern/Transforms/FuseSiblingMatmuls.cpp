//===- FuseSiblingMatmuls.cpp - one kernel for matmuls of one input -------===//
//
// This file implements tern-fuse-sibling-matmuls: the tern.matmul ops of a
// block that read the same activations (a decoder's q, k and v projections,
// its gate and up projections) become one over their concatenated rows,
// each replaced by a slice of the merged result.
//
//===----------------------------------------------------------------------===//

#include "tern/Dialect/Tern/Transforms/Passes.h"

#include "tern/Dialect/Tern/IR/TernOps.h"
#include "tern/Dialect/Tern/IR/TernTypes.h"
#include "tern/Dialect/Tern/Utils/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_FUSESIBLINGMATMULS
#include "tern/Dialect/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The element type of `value`'s tensor type, or null for no value.
Type elementTypeOf(Value value) {
  return value ? cast<ShapedType>(value.getType()).getElementType() : Type();
}

/// Whether `type` is a float type readConstantWeights reads exactly.
bool isReadableFloat(Type type) {
  return type && (type.isF32() || type.isF16() || type.isBF16());
}

/// What the kernel of a tern.matmul is compiled for, besides its rows: ops
/// that agree on all of it can share one kernel.
struct KernelKey {
  int64_t groupSize;
  int64_t planes;
  Type codeType;
  PackingKind packing;
  Type scaleType;
  Type resultType;

  bool operator==(const KernelKey &other) const {
    return groupSize == other.groupSize && planes == other.planes &&
           codeType == other.codeType && packing == other.packing &&
           scaleType == other.scaleType && resultType == other.resultType;
  }
};

/// The key of `op` if it can be merged at all: its weights are constants
/// the pass can read back (a tern.constant with its blob, float scales,
/// shifts of the scales' type, a float bias).
std::optional<KernelKey> kernelKeyOf(MatmulOp op) {
  auto codes = op.getWeights().getDefiningOp<ConstantOp>();
  if (!codes || !hasConstantWeights(op))
    return std::nullopt;
  auto blob = dyn_cast<DenseResourceElementsAttr>(codes.getValue());
  if (!blob || !blob.getRawHandle().getBlob())
    return std::nullopt;
  Type scaleType = elementTypeOf(op.getScales());
  if (!isReadableFloat(scaleType) ||
      (op.getShifts() && elementTypeOf(op.getShifts()) != scaleType) ||
      (op.getBias() && !isReadableFloat(elementTypeOf(op.getBias()))))
    return std::nullopt;
  RankedTensorType weights = op.getWeights().getType();
  return KernelKey{int64_t(op.getGroupSize()),
                   weights.getRank() == 3 ? weights.getDimSize(0) : 1,
                   weights.getElementType(),
                   codes.getPacking(),
                   scaleType,
                   op.getResult().getType().getElementType()};
}

/// The rows (output columns) of `op`'s weights.
int64_t rowsOf(MatmulOp op) {
  RankedTensorType weights = op.getWeights().getType();
  return weights.getDimSize(weights.getRank() - 2);
}

/// The key of the blob that holds `op`'s codes.
StringRef blobKeyOf(MatmulOp op) {
  auto codes = op.getWeights().getDefiningOp<ConstantOp>();
  return cast<DenseResourceElementsAttr>(codes.getValue())
      .getRawHandle()
      .getKey();
}

/// Which values are the same activations: a value computed by a pure op
/// without regions from the same operands as an earlier one (the
/// `tensor.collapse_shape` of a normalized row that tern-ternarize builds
/// for each of its layers) is the earlier one.
class SameValues {
public:
  Value canonical(Value value) {
    if (auto found = canonicalOf.find(value); found != canonicalOf.end())
      return found->second;
    Value result = value;
    Operation *def = value.getDefiningOp();
    if (def && def->getNumRegions() == 0 && isPure(def)) {
      auto sameOperand = [&](Value lhs, Value rhs) {
        return success(canonical(lhs) == canonical(rhs));
      };
      SmallVector<Operation *> &earlier = byName[def->getName()];
      for (Operation *candidate : earlier) {
        if (OperationEquivalence::isEquivalentTo(
                def, candidate, sameOperand, /*markEquivalent=*/nullptr,
                OperationEquivalence::IgnoreLocations)) {
          result =
              candidate->getResult(cast<OpResult>(value).getResultNumber());
          break;
        }
      }
      if (result == value)
        earlier.push_back(def);
    }
    canonicalOf[value] = result;
    return result;
  }

private:
  DenseMap<Value, Value> canonicalOf;
  DenseMap<OperationName, SmallVector<Operation *>> byName;
};

/// Rewrites the `tensor.reshape` users of `part` (columns [offset, offset +
/// n) of every row of `merged`, a contiguous tensor whose last dimension is
/// the merged rows) that only regroup its leading dimensions into slices of
/// `merged` reshaped the same way. A reshape needs a contiguous source, so
/// reshaping the slice would copy it (a decoder's gate and up projections,
/// brought back to [batch, sequence, N] for SwiGLU, would be copied for
/// every token of a prompt); reshaping `merged` is a view of it. Users of
/// the rewritten reshapes are rewritten in turn.
void sliceAfterReshapes(OpBuilder &b, Value part, Value merged, int64_t offset,
                        int64_t n) {
  int64_t width = cast<RankedTensorType>(merged.getType()).getShape().back();
  SmallVector<tensor::ReshapeOp> reshapes;
  for (Operation *user : part.getUsers())
    if (auto reshape = dyn_cast<tensor::ReshapeOp>(user))
      if (reshape.getSource() == part)
        reshapes.push_back(reshape);
  for (tensor::ReshapeOp reshape : reshapes) {
    auto shape = reshape.getShape().getDefiningOp<tensor::FromElementsOp>();
    auto type = cast<RankedTensorType>(reshape.getResult().getType());
    if (!shape || type.getRank() < 1 || type.getShape().back() != n ||
        getConstantIntValue(shape.getElements().back()) != n)
      continue;
    b.setInsertionPoint(reshape);
    Location loc = reshape.getLoc();
    SmallVector<Value> elements(shape.getElements());
    elements.back() = arith::ConstantIndexOp::create(b, loc, width);
    Value wholeShape = tensor::FromElementsOp::create(b, loc, elements);
    SmallVector<int64_t> wholeDims(type.getShape());
    wholeDims.back() = width;
    Value whole = tensor::ReshapeOp::create(
        b, loc, RankedTensorType::get(wholeDims, type.getElementType()), merged,
        wholeShape);
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes,
        strides(rank, b.getIndexAttr(1));
    offsets.back() = b.getIndexAttr(offset);
    for (Value element : ArrayRef(elements).drop_back())
      sizes.push_back(getAsOpFoldResult(element));
    sizes.push_back(b.getIndexAttr(n));
    Value slice =
        tensor::ExtractSliceOp::create(b, loc, whole, offsets, sizes, strides);
    if (slice.getType() != type)
      slice = tensor::CastOp::create(b, loc, type, slice);
    reshape.getResult().replaceAllUsesWith(slice);
    reshape.erase();
    sliceAfterReshapes(b, slice, whole, offset, n);
  }
}

/// Replaces `ops` (two or more, of one block, in program order, with equal
/// kernel keys and the same activations) by one tern.matmul over their rows,
/// reading the first one's input, and a slice of its result each.
LogicalResult fuse(ArrayRef<MatmulOp> ops) {
  namespace q = ::tern::quant;
  MatmulOp first = ops.front();
  MLIRContext *ctx = first.getContext();
  SmallVector<MatmulWeights> read;
  SmallVector<Location> locs;
  std::string blobName;
  int64_t rows = 0;
  bool withShifts = false;
  Type biasType;
  for (MatmulOp op : ops) {
    FailureOr<MatmulWeights> weights = readConstantWeights(op);
    if (failed(weights))
      return failure();
    read.push_back(std::move(*weights));
    locs.push_back(op.getLoc());
    blobName += (blobName.empty() ? "" : "+") + blobKeyOf(op).str();
    rows += rowsOf(op);
    withShifts |= bool(op.getShifts());
    if (op.getBias())
      biasType = elementTypeOf(op.getBias());
  }

  const q::TernaryWeights &shape = read.front().weights;
  q::TernaryWeights merged(shape.planes, rows, shape.cols, shape.groupSize,
                           withShifts);
  std::vector<float> bias(biasType ? rows : 0, 0.0f);
  int64_t groups = merged.groups(), cols = merged.cols, offset = 0;
  for (const MatmulWeights &part : read) {
    const q::TernaryWeights &w = part.weights;
    for (int64_t p = 0; p < w.planes; ++p) {
      std::copy_n(&w.codes[p * w.rows * cols], w.rows * cols,
                  &merged.code(p, offset, 0));
      std::copy_n(&w.scales[p * w.rows * groups], w.rows * groups,
                  &merged.scale(p, offset, 0));
    }
    if (!w.shifts.empty())
      std::copy(w.shifts.begin(), w.shifts.end(),
                merged.shifts.begin() + offset * groups);
    std::copy(part.bias.begin(), part.bias.end(), bias.begin() + offset);
    offset += w.rows;
  }

  OpBuilder b(first);
  Location loc = FusedLoc::get(ctx, locs);
  auto scaleType = cast<FloatType>(elementTypeOf(first.getScales()));
  llvm::Expected<TernaryConstants> constants = buildTernaryConstants(
      b, loc, merged, first.getWeights().getType().getElementType(),
      first.getWeights().getDefiningOp<ConstantOp>().getPacking(), blobName,
      scaleType);
  if (!constants)
    return first.emitOpError("tern-fuse-sibling-matmuls: ")
           << llvm::toString(constants.takeError());
  Value biasValue;
  if (biasType)
    biasValue = floatConstant(b, loc, {rows}, bias, cast<FloatType>(biasType));
  RankedTensorType firstResult = first.getResult().getType();
  auto resultType = RankedTensorType::get({firstResult.getDimSize(0), rows},
                                          firstResult.getElementType());
  auto fused = MatmulOp::create(
      b, loc, resultType, first.getInput(), constants->codes, constants->scales,
      constants->shifts, biasValue, first.getGroupSizeAttr());
  OpFoldResult m = tensor::getMixedSize(b, loc, fused.getResult(), 0);
  SmallVector<Value> slices;
  offset = 0;
  for (MatmulOp op : ops) {
    int64_t n = rowsOf(op);
    slices.push_back(tensor::ExtractSliceOp::create(
        b, op.getLoc(), op.getResult().getType(), fused.getResult(),
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
        ArrayRef<OpFoldResult>{m, b.getIndexAttr(n)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)}));
    offset += n;
  }
  offset = 0;
  for (auto [index, slice] : llvm::enumerate(slices)) {
    MatmulOp op = ops[index];
    int64_t n = rowsOf(op);
    llvm::SetVector<Operation *> defs;
    for (Value operand : op->getOperands().drop_front())
      if (Operation *def = operand.getDefiningOp())
        defs.insert(def);
    op.getResult().replaceAllUsesWith(slice);
    op.erase();
    sliceAfterReshapes(b, slice, fused.getResult(), offset, n);
    offset += n;
    // The separate weights are dead now unless something else reads them.
    for (Operation *def : defs)
      if (def->use_empty())
        def->erase();
  }
  return success();
}

struct FuseSiblingMatmulsPass
    : mlir::tern::impl::FuseSiblingMatmulsBase<FuseSiblingMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxRows < 0) {
      getOperation().emitError("tern-fuse-sibling-matmuls: max-rows must be "
                               "0 (no limit) or positive, got ")
          << static_cast<int64_t>(maxRows);
      return signalPassFailure();
    }
    // The mergeable ops of each block and input, in program order.
    SameValues same;
    llvm::MapVector<std::pair<Block *, Value>,
                    SmallVector<std::pair<MatmulOp, KernelKey>>>
        byInput;
    getOperation().walk([&](MatmulOp op) {
      if (std::optional<KernelKey> key = kernelKeyOf(op))
        byInput[{op->getBlock(), same.canonical(op.getInput())}].push_back(
            {op, *key});
    });
    for (auto &[where, ops] : byInput) {
      // Greedily, each op joins the first group it agrees with.
      SmallVector<std::pair<KernelKey, SmallVector<MatmulOp>>> groups;
      SmallVector<int64_t> groupRows;
      for (const auto &entry : ops) {
        MatmulOp op = entry.first;
        const KernelKey &key = entry.second;
        int64_t n = rowsOf(op);
        auto *group = llvm::find_if(groups, [&](auto &candidate) {
          int64_t index = &candidate - groups.data();
          return candidate.first == key &&
                 (maxRows == 0 || groupRows[index] + n <= maxRows);
        });
        if (group == groups.end()) {
          groups.push_back({key, {}});
          groupRows.push_back(0);
          group = &groups.back();
        }
        group->second.push_back(op);
        groupRows[group - groups.data()] += n;
      }
      for (auto &[key, members] : groups)
        if (members.size() > 1 && failed(fuse(members)))
          return signalPassFailure();
    }
  }
};

} // namespace
