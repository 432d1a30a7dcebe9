//===- PrefetchWeights.cpp - prefetch streamed constant weights -----------===//
//
// This file implements tern-prefetch-weights: a prefetch, a fixed distance
// ahead, of each vector read of constant data that an innermost loop
// streams through (a ternary kernel's codes, a float layer's weights), and
// of the rows of a caller's buffer that it reads a row a step (a decoder's
// key/value cache).
//
//===----------------------------------------------------------------------===//

#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::tern {
#define GEN_PASS_DEF_PREFETCHWEIGHTS
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;

namespace {

/// Bytes one prefetch brings in.
constexpr int64_t kCacheLineBytes = 64;

/// The buffer `value` views: what its chain of view ops starts from.
Value viewedBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// The constant buffer `value` views, or null.
memref::GetGlobalOp constantBuffer(Value value) {
  return viewedBuffer(value).getDefiningOp<memref::GetGlobalOp>();
}

/// Whether `value` views a buffer the function is given (a decoder's
/// key/value cache, which the caller owns and the model reads a row per
/// key).
bool isArgumentBuffer(Value value) {
  auto argument = dyn_cast<BlockArgument>(viewedBuffer(value));
  return argument &&
         isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
}

/// Whether `value` depends on `iv` through index arithmetic.
bool advancesWith(Value value, Value iv) {
  if (value == iv)
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || def->getNumRegions() != 0 ||
      !isa<arith::ArithDialect, affine::AffineDialect>(def->getDialect()))
    return false;
  return llvm::any_of(def->getOperands(),
                      [&](Value operand) { return advancesWith(operand, iv); });
}

/// How much `value` grows per unit of `iv` when it is a linear function of
/// it (sums, products by constants, affine maps of those), else nothing.
std::optional<int64_t> strideOf(Value value, Value iv);

/// The coefficient of operand `position` in the linear `expr` (dims, then
/// symbols), given each operand's stride; nothing if not linear.
std::optional<int64_t> strideOf(AffineExpr expr, ArrayRef<int64_t> strides,
                                unsigned numDims) {
  if (auto dim = dyn_cast<AffineDimExpr>(expr))
    return strides[dim.getPosition()];
  if (auto symbol = dyn_cast<AffineSymbolExpr>(expr))
    return strides[numDims + symbol.getPosition()];
  if (isa<AffineConstantExpr>(expr))
    return 0;
  auto binary = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!binary)
    return std::nullopt;
  std::optional<int64_t> lhs = strideOf(binary.getLHS(), strides, numDims);
  std::optional<int64_t> rhs = strideOf(binary.getRHS(), strides, numDims);
  if (!lhs || !rhs)
    return std::nullopt;
  if (expr.getKind() == AffineExprKind::Add)
    return *lhs + *rhs;
  if (expr.getKind() == AffineExprKind::Mul) {
    if (auto c = dyn_cast<AffineConstantExpr>(binary.getRHS()))
      return *lhs * c.getValue();
    if (auto c = dyn_cast<AffineConstantExpr>(binary.getLHS()))
      return *rhs * c.getValue();
  }
  // Divisions and remainders are linear only where nothing moves.
  if (*lhs == 0 && *rhs == 0)
    return 0;
  return std::nullopt;
}

std::optional<int64_t> strideOf(Value value, Value iv) {
  if (value == iv)
    return 1;
  if (!advancesWith(value, iv))
    return 0;
  Operation *def = value.getDefiningOp();
  SmallVector<int64_t> strides;
  for (Value operand : def->getOperands()) {
    std::optional<int64_t> stride = strideOf(operand, iv);
    if (!stride)
      return std::nullopt;
    strides.push_back(*stride);
  }
  if (isa<arith::AddIOp>(def))
    return strides[0] + strides[1];
  if (isa<arith::SubIOp>(def))
    return strides[0] - strides[1];
  if (isa<arith::MulIOp>(def)) {
    for (unsigned i = 0; i < 2; ++i)
      if (std::optional<int64_t> c = getConstantIntValue(def->getOperand(i)))
        return *c * strides[1 - i];
    return std::nullopt;
  }
  if (auto apply = dyn_cast<affine::AffineApplyOp>(def))
    return strideOf(apply.getAffineMap().getResult(0), strides,
                    apply.getAffineMap().getNumDims());
  return std::nullopt;
}

struct PrefetchWeights : tern::impl::PrefetchWeightsBase<PrefetchWeights> {
  using Base::Base;

  void runOnOperation() override {
    if (distance < 0) {
      getOperation().emitError()
          << "tern-prefetch-weights: distance must be >= 0";
      return signalPassFailure();
    }
    if (distance == 0)
      return;
    // Rows of a caller's buffer a key at a time: the innermost loop, or
    // the innermost dimension of a parallel loop (tern-parallel-outer-dims
    // makes it a loop in each thread).
    getOperation().walk([&](vector::TransferReadOp read) {
      Operation *parent = read->getParentOp();
      if (!isArgumentBuffer(read.getBase()) ||
          !isInnermost(dyn_cast<LoopLikeOpInterface>(parent)))
        return;
      if (auto loop = dyn_cast<scf::ForOp>(parent))
        prefetchRows(read, loop.getInductionVar());
      else if (auto loop = dyn_cast<scf::ParallelOp>(parent))
        prefetchRows(read, loop.getInductionVars().back());
    });
    getOperation().walk([&](vector::TransferReadOp read) {
      auto loop = dyn_cast<scf::ForOp>(read->getParentOp());
      if (!loop || read.getIndices().empty() ||
          !isa<MemRefType>(read.getBase().getType()) ||
          !constantBuffer(read.getBase()) ||
          read.getVectorType().getRank() == 0 ||
          !read.getPermutationMap().isMinorIdentity() ||
          !advancesWith(read.getIndices().back(), loop.getInductionVar()) ||
          // Only innermost loops: an outer loop's reads are not the stream.
          !isInnermost(loop))
        return;
      prefetch(read, loop);
    });
  }

  /// Whether `loop` (null: not a loop) has no loop inside.
  static bool isInnermost(LoopLikeOpInterface loop) {
    if (!loop)
      return false;
    bool innermost = true;
    loop->walk([&](LoopLikeOpInterface nested) {
      if (nested != loop)
        innermost = false;
    });
    return innermost;
  }

  /// A read of a caller's buffer that moves to further rows (an outer
  /// dimension of static stride) with the induction variable `iv`, as
  /// attention reads the key/value cache, a key a step: a prefetch of each
  /// cache line of the row `distance` bytes of rows ahead, kept in the
  /// caches (the query heads of a group read the same rows again).
  void prefetchRows(vector::TransferReadOp read, Value iv) {
    auto type = dyn_cast<MemRefType>(read.getBase().getType());
    VectorType vector = read.getVectorType();
    if (!type || vector.getRank() != 1 || read.getIndices().empty())
      return;
    SmallVector<int64_t> strides;
    int64_t offsetUnused;
    if (failed(type.getStridesAndOffset(strides, offsetUnused)))
      return;
    int64_t elementBytes =
        std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
    SmallVector<Value> ahead(read.getIndices());
    unsigned last = ahead.size() - 1;
    int64_t row = -1;
    for (unsigned d = 0; d < ahead.size(); ++d) {
      std::optional<int64_t> stride = strideOf(ahead[d], iv);
      if (!stride)
        return;
      if (*stride == 0)
        continue;
      if (row >= 0 || d == last || *stride < 0 ||
          ShapedType::isDynamic(strides[d]))
        return;
      row = d;
    }
    int64_t rowBytes = row >= 0 ? strides[row] * elementBytes : 0;
    if (row < 0 || rowBytes < kCacheLineBytes || rowBytes > distance)
      return;
    OpBuilder b(read);
    Location loc = read.getLoc();
    int64_t rows = (distance + rowBytes - 1) / rowBytes;
    ahead[row] = arith::AddIOp::create(
        b, loc, ahead[row], arith::ConstantIndexOp::create(b, loc, rows));
    prefetchLines(b, loc, read.getBase(), ahead, vector.getDimSize(0),
                  elementBytes, /*locality=*/3);
  }

  /// A prefetch of every cache line of the `elements` contiguous elements
  /// of `base` from `indices` on.
  static void prefetchLines(OpBuilder &b, Location loc, Value base,
                            ArrayRef<Value> indices, int64_t elements,
                            int64_t elementBytes, uint32_t locality) {
    int64_t lineElements = std::max<int64_t>(kCacheLineBytes / elementBytes, 1);
    for (int64_t e = 0; e < elements; e += lineElements) {
      SmallVector<Value> line(indices);
      if (e)
        line.back() = arith::AddIOp::create(
            b, loc, line.back(), arith::ConstantIndexOp::create(b, loc, e));
      memref::PrefetchOp::create(b, loc, base, line, /*isWrite=*/false,
                                 locality, /*isDataCache=*/true);
    }
  }

  /// Prefetches what `read`, streaming along its innermost index through
  /// `loop`, reads `distance` bytes of its stream later: one prefetch per
  /// cache line of each contiguous row of the vector.
  void prefetch(vector::TransferReadOp read, scf::ForOp loop) {
    auto type = cast<MemRefType>(read.getBase().getType());
    int64_t elementBytes =
        std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
    OpBuilder b(read);
    Location loc = read.getLoc();
    auto offset = [&](Value index, int64_t by) -> Value {
      return arith::AddIOp::create(b, loc, index,
                                   arith::ConstantIndexOp::create(b, loc, by));
    };
    SmallVector<Value> ahead(read.getIndices());
    unsigned last = ahead.size() - 1;
    // A short innermost loop (a block of a row) whose enclosing loop moves
    // to further rows: the rows that enclosing loop reads enough
    // iterations later; otherwise further along the same row.
    std::optional<APInt> trips = loop.getStaticTripCount();
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    std::optional<int64_t> stride =
        strideOf(ahead[last], loop.getInductionVar());
    auto outer = dyn_cast<scf::ForOp>(loop->getParentOp());
    std::optional<int64_t> outerStep =
        outer ? getConstantIntValue(outer.getStep()) : std::nullopt;
    // Bytes of the row the loop reads from start to end.
    int64_t run = trips && step && stride
                      ? trips->getSExtValue() * *step * *stride * elementBytes
                      : 0;
    // Only where the rows lie further apart than `distance`: rows that
    // follow each other closely (a kernel's bitmaps) are reached by reading
    // further along the row.
    SmallVector<int64_t> strides;
    int64_t offsetUnused;
    bool strided = succeeded(type.getStridesAndOffset(strides, offsetUnused));
    bool nextRows = false;
    if (strided && run > 0 && run <= distance && outerStep &&
        strideOf(ahead[last], outer.getInductionVar()) == 0) {
      for (unsigned d = 0; d < last && !nextRows; ++d) {
        std::optional<int64_t> rows =
            strideOf(ahead[d], outer.getInductionVar());
        if (!rows || *rows <= 0 || ShapedType::isDynamic(strides[d]) ||
            strides[d] * elementBytes <= distance)
          continue;
        int64_t iterations = (distance + run - 1) / run;
        ahead[d] = offset(ahead[d], iterations * *outerStep * *rows);
        nextRows = true;
      }
    }
    if (!nextRows)
      ahead[last] =
          offset(ahead[last], std::max<int64_t>(distance / elementBytes, 1));
    // Every row of the vector (its leading dimensions index the memref's
    // dimensions before the last), every cache line of each row.
    VectorType vector = read.getVectorType();
    ArrayRef<int64_t> shape = vector.getShape();
    int64_t rows = 1;
    for (int64_t size : shape.drop_back())
      rows *= size;
    unsigned rank = shape.size();
    for (int64_t row = 0; row < rows; ++row) {
      SmallVector<Value> indices(ahead);
      int64_t rest = row;
      for (unsigned i = rank - 1; i-- > 0;) {
        int64_t at = rest % shape[i];
        rest /= shape[i];
        if (at)
          indices[last - (rank - 1) + i] =
              offset(indices[last - (rank - 1) + i], at);
      }
      prefetchLines(b, loc, read.getBase(), indices, shape.back(), elementBytes,
                    /*locality=*/0);
    }
  }
};

} // namespace
