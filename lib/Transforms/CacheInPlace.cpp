//===- CacheInPlace.cpp - a decoder's key/value cache, in place -----------===//
//
// This file implements tern-cache-in-place: the Concat that appends a
// decoder's new keys and values to its past (and returns the whole cache as
// `present`) becomes an in-place insert into a buffer the caller owns, with
// the past's length as an argument.
//
//===----------------------------------------------------------------------===//

#include "tern/Support/Signature.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CACHEINPLACE
#include "tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The axis along which a cache grows: [batch, heads, past, head size].
constexpr int64_t kPastAxis = 2;

/// Whether `value` is `tensor.dim %source, dim`.
bool isDimOf(Value value, Value source, int64_t dim) {
  auto op = value.getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index = op ? op.getConstantIndex() : std::nullopt;
  return op && op.getSource() == source && index == dim;
}

bool isDimOf(OpFoldResult size, Value source, int64_t dim) {
  auto value = dyn_cast<Value>(size);
  return value && isDimOf(value, source, dim);
}

/// A cache argument, how the model appends to it, and the result that
/// returns it.
struct CacheUpdate {
  BlockArgument past;
  /// insert_slice %past into %empty at 0, then insert_slice %new into that
  /// at row dim(%past, 2).
  tensor::InsertSliceOp pastInsert, newInsert;
  unsigned result;
};

/// The name of the output that returns cache input `name`:
/// past_key_values.I.key -> present.I.key, past.I.key -> present.I.key.
std::string presentName(StringRef name) {
  for (StringRef prefix : {"past_key_values.", "past."})
    if (name.starts_with(prefix))
      return ("present." + name.drop_front(prefix.size())).str();
  return std::string();
}

/// Recognizes the importer's Concat(past, new, axis 2) returned as
/// `present`; explains in `why` when it is not there.
FailureOr<CacheUpdate> matchCacheUpdate(func::FuncOp func, BlockArgument past,
                                        std::string &why) {
  auto type = dyn_cast<RankedTensorType>(past.getType());
  if (!type || type.getRank() != 4)
    return why = "it is not a tensor [batch, heads, past, head size]",
           failure();
  CacheUpdate update;
  update.past = past;
  for (Operation *user : past.getUsers()) {
    if (isa<tensor::DimOp>(user))
      continue;
    auto insert = dyn_cast<tensor::InsertSliceOp>(user);
    if (!insert || insert.getSource() != past || update.pastInsert ||
        !insert.getDest().getDefiningOp<tensor::EmptyOp>() ||
        !llvm::all_of(insert.getMixedOffsets(), isZeroInteger) ||
        !insert.hasUnitStride())
      return why = "it is read other than by one concatenation at row 0 and "
                   "for its sizes",
             failure();
    update.pastInsert = insert;
  }
  if (!update.pastInsert || !update.pastInsert->hasOneUse())
    return why = "it is not concatenated with new rows", failure();
  auto next = dyn_cast<tensor::InsertSliceOp>(*update.pastInsert->user_begin());
  if (!next || next.getDest() != update.pastInsert.getResult() ||
      !next.hasUnitStride())
    return why = "it is not concatenated with new rows", failure();
  SmallVector<OpFoldResult> offsets = next.getMixedOffsets();
  for (int64_t d = 0; d < 4; ++d)
    if (d != kPastAxis && !isZeroInteger(offsets[d]))
      return why = "it is not concatenated along axis 2", failure();
  std::optional<int64_t> at = getConstantIntValue(offsets[kPastAxis]);
  bool afterPast = isDimOf(offsets[kPastAxis], past, kPastAxis) ||
                   (!type.isDynamicDim(kPastAxis) && at &&
                    *at == type.getDimSize(kPastAxis));
  if (!afterPast)
    return why = "the new rows are not inserted after the past ones", failure();
  update.newInsert = next;
  // The concatenation is returned, as `present`.
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  StringRef name =
      func.getArgAttrOfType<StringAttr>(past.getArgNumber(), kNameAttrName)
          .getValue();
  std::optional<unsigned> result;
  for (OpOperand &operand : ret->getOpOperands()) {
    auto resultName = func.getResultAttrOfType<StringAttr>(
        operand.getOperandNumber(), kNameAttrName);
    if (resultName && resultName.getValue() == presentName(name))
      result = operand.getOperandNumber();
  }
  if (!result || ret.getOperand(*result) != next.getResult())
    return why = "the concatenation is not returned as '" + presentName(name) +
                 "'",
           failure();
  update.result = *result;
  return update;
}

struct CacheInPlacePass
    : public mlir::tern::impl::CacheInPlaceBase<CacheInPlacePass> {
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!func || func.isExternal())
      return;
    // The cache inputs, by name; a model without them is left alone.
    SmallVector<CacheUpdate> updates;
    for (BlockArgument arg : func.getArguments()) {
      auto name =
          func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttrName);
      if (!name || presentName(name.getValue()).empty())
        continue;
      std::string why;
      FailureOr<CacheUpdate> update = matchCacheUpdate(func, arg, why);
      if (failed(update)) {
        // At the function's location, without printing the function.
        mlir::emitWarning(
            func.getLoc(),
            "tern-cache-in-place: the cache stays copied: input '")
            << name.getValue() << "': " << why;
        return;
      }
      updates.push_back(*update);
    }
    if (updates.empty())
      return;
    rewrite(func, updates);
  }

  void rewrite(func::FuncOp func, MutableArrayRef<CacheUpdate> updates) {
    MLIRContext *context = func.getContext();
    Block &entry = func.getBody().front();
    Location loc = func.getLoc();
    OpBuilder b(context);

    // past_length, as an index, at the top.
    auto lengthType = RankedTensorType::get({}, b.getI64Type());
    unsigned lengthIndex = func.getNumArguments();
    if (failed(func.insertArgument(
            lengthIndex, lengthType,
            b.getDictionaryAttr(
                b.getNamedAttr(kNameAttrName, b.getStringAttr("past_length"))),
            loc)))
      return signalPassFailure();
    b.setInsertionPointToStart(&entry);
    Value length = tensor::ExtractOp::create(
        b, loc, func.getArgument(lengthIndex), ValueRange());
    length = arith::IndexCastOp::create(b, loc, b.getIndexType(), length);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    cf::AssertOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, length, zero),
        "past_length is negative");

    llvm::BitVector removed(func.getNumResults());
    for (CacheUpdate &update : updates) {
      BlockArgument cache = update.past;
      unsigned index = cache.getArgNumber();
      StringRef name =
          func.getArgAttrOfType<StringAttr>(index, kNameAttrName).getValue();
      std::string cacheName =
          "cache." + presentName(name).substr(strlen("present."));
      // The past's size along axis 2 is past_length wherever it is read.
      for (Operation *user : llvm::make_early_inc_range(cache.getUsers()))
        if (isDimOf(user->getResult(0), cache, kPastAxis)) {
          user->getResult(0).replaceAllUsesWith(length);
          user->erase();
        }

      tensor::InsertSliceOp insert = update.newInsert;
      b.setInsertionPoint(insert);
      Location at = insert.getLoc();
      SmallVector<OpFoldResult> sizes = insert.getMixedSizes();
      Value rows = getValueOrCreateConstantIndexOp(b, at, sizes[kPastAxis]);
      Value total = arith::AddIOp::create(b, at, length, rows);
      Value capacity = tensor::DimOp::create(b, at, cache, kPastAxis);
      cf::AssertOp::create(b, at,
                           arith::CmpIOp::create(b, at,
                                                 arith::CmpIPredicate::ule,
                                                 total, capacity),
                           "cache '" + cacheName +
                               "' has no room for past_length + the new rows");
      SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0));
      offsets[kPastAxis] = length;
      SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
      Value written = tensor::InsertSliceOp::create(
          b, at, insert.getSource(), cache, offsets, sizes, strides);
      SmallVector<OpFoldResult> viewSizes = sizes;
      viewSizes[kPastAxis] = total;
      Value view = tensor::ExtractSliceOp::create(
          b, at, insert.getType(), written,
          SmallVector<OpFoldResult>(4, b.getIndexAttr(0)), viewSizes, strides);
      insert.getResult().replaceAllUsesWith(view);
      removed.set(update.result);
      insert.erase();
      Operation *empty = update.pastInsert.getDest().getDefiningOp();
      update.pastInsert.erase();
      if (empty->use_empty())
        empty->erase();

      // The buffer's axis 2 is its capacity, not the past.
      SmallVector<Attribute> dimNames(4, b.getStringAttr(""));
      if (auto names =
              func.getArgAttrOfType<ArrayAttr>(index, kDimNamesAttrName))
        if (names.size() == 4)
          dimNames.assign(names.begin(), names.end());
      dimNames[kPastAxis] = b.getStringAttr("capacity");
      func.setArgAttr(index, kNameAttrName, b.getStringAttr(cacheName));
      func.setArgAttr(index, kDimNamesAttrName, b.getArrayAttr(dimNames));
    }
    // The present results are the caller's buffers now.
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    ret->eraseOperands(removed);
    if (failed(func.eraseResults(removed)))
      return signalPassFailure();
  }
};

} // namespace
