//===- OpsControlFlow.cpp - If, Loop and Scan -----------------------------===//
//
// ONNX's control flow, whose subgraphs read values of the graphs around
// them. If is scf.if, or only the branch taken when its condition is known
// at import time (shapes of static models usually decide it), which keeps
// the branch's contents foldable. Loop and Scan are scf.while. A
// loop-carried value whose shape changes from one iteration to the next
// gets `?` where it changes: the body is imported once to learn what it
// yields, then again on the types that hold for every iteration.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// A rank-0 tensor holding `scalar`.
Value rank0(OpBuilder &b, Location loc, Value scalar) {
  return tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({}, scalar.getType()), scalar);
}

/// The type both `a` and `b` are: their shape where they agree, `?` where
/// they differ. Null when their ranks or element types differ.
RankedTensorType join(RankedTensorType a, RankedTensorType b) {
  if (a.getRank() != b.getRank() || a.getElementType() != b.getElementType())
    return nullptr;
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(a.getShape(), b.getShape()))
    shape.push_back(x == y ? x : ShapedType::kDynamic);
  return RankedTensorType::get(shape, a.getElementType());
}

/// `value` as `type` (a cast to `?` dimensions, or back).
Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// The subgraph attribute `name` of the node, or an error.
FailureOr<const onnx::GraphProto *> subgraph(NodeContext &ctx, StringRef name) {
  const onnx::AttributeProto *attr = ctx.attr(name);
  if (!attr || !attr->has_g())
    return ctx.error() << "has no subgraph attribute '" << name << "'",
           failure();
  return &attr->g();
}

/// The values of `tensors`, materialized.
SmallVector<Value> valuesOf(NodeContext &ctx, MutableArrayRef<Tensor> tensors) {
  SmallVector<Value> result;
  for (Tensor &t : tensors)
    result.push_back(materializeConstant(ctx, t));
  return result;
}

/// The types `graph` outputs when its inputs have `inputTypes`: the body
/// imported into a scratch region, then erased.
FailureOr<SmallVector<RankedTensorType>>
outputTypes(NodeContext &ctx, const onnx::GraphProto &graph,
            ArrayRef<Type> inputTypes) {
  OpBuilder &b = ctx.b;
  auto scratch = scf::ExecuteRegionOp::create(b, ctx.loc, TypeRange{});
  FailureOr<SmallVector<Tensor>> outputs;
  Block *block;
  {
    OpBuilder::InsertionGuard guard(b);
    block = b.createBlock(&scratch.getRegion());
    SmallVector<Value> inputs;
    for (Type type : inputTypes)
      inputs.push_back(block->addArgument(type, ctx.loc));
    outputs = importSubgraph(ctx, graph, inputs);
  }
  SmallVector<RankedTensorType> types;
  if (succeeded(outputs))
    for (const Tensor &t : *outputs)
      types.push_back(t.type);
  // Arguments are replaced by nothing: drop every use before erasing.
  for (Operation &op : llvm::reverse(*block))
    op.dropAllReferences();
  block->dropAllDefinedValueUses();
  scratch.erase();
  if (failed(outputs))
    return failure();
  return types;
}

/// The type of `element`s stacked on a new first dimension.
RankedTensorType stackType(RankedTensorType element) {
  SmallVector<int64_t> shape = {ShapedType::kDynamic};
  llvm::append_range(shape, element.getShape());
  return RankedTensorType::get(shape, element.getElementType());
}

/// An empty stack of `type` (stackType): its dynamic dimensions are 0 until
/// the first row replaces it (appendRow). Loops that carry it are
/// scf.while, whose carried types canonicalization leaves alone.
Value emptyStack(OpBuilder &b, Location loc, RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t &dim : shape)
    if (ShapedType::isDynamic(dim))
      dim = 0;
  return castTo(b, loc, filled(b, loc, shape, type.getElementType(), 0.0),
                type);
}

/// `stacked` (of `type`) with `element` appended as a row; at `iteration`
/// 0 (an integer), `element` alone. One copy of the stack a row: loops
/// that stack many rows pay for it.
Value appendRow(OpBuilder &b, Location loc, Value stacked, Value element,
                Value iteration, RankedTensorType type) {
  SmallVector<OpFoldResult> rowSizes = {b.getIndexAttr(1)};
  llvm::append_range(rowSizes, sizesOf(b, loc, element));
  Value first = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, iteration,
      arith::ConstantOp::create(b, loc, b.getZeroAttr(iteration.getType())));
  auto grow = scf::IfOp::create(b, loc, TypeRange{type}, first,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(grow.thenBlock());
  Value alone = reshapeTo(b, loc, element, rowSizes);
  scf::YieldOp::create(b, loc, castTo(b, loc, alone, type));
  b.setInsertionPointToStart(grow.elseBlock());
  Value appended =
      concatOf(b, loc, {stacked, reshapeTo(b, loc, element, rowSizes)}, 0);
  scf::YieldOp::create(b, loc, castTo(b, loc, appended, type));
  return grow.getResult(0);
}

//===----------------------------------------------------------------------===//
// If
//===----------------------------------------------------------------------===//

LogicalResult lowerIf(NodeContext &ctx) {
  Tensor *cond = ctx.input(0);
  if (!cond || !cond->type.getElementType().isInteger(1) ||
      !cond->type.hasStaticShape() || cond->type.getNumElements() != 1)
    return ctx.error() << "expects a condition of one bool";
  FailureOr<const onnx::GraphProto *> thenGraph = subgraph(ctx, "then_branch");
  FailureOr<const onnx::GraphProto *> elseGraph = subgraph(ctx, "else_branch");
  if (failed(thenGraph) || failed(elseGraph))
    return failure();
  int outputs = ctx.node.output_size();
  auto countOutputs = [&](const onnx::GraphProto &graph,
                          StringRef which) -> LogicalResult {
    if (graph.output_size() == outputs)
      return success();
    return ctx.error() << "has " << outputs << " outputs and a " << which
                       << " of " << graph.output_size();
  };
  if (failed(countOutputs(**thenGraph, "then_branch")) ||
      failed(countOutputs(**elseGraph, "else_branch")))
    return failure();

  // Known at import time: only the branch taken, its contents foldable.
  if (const HostTensor *known = ctx.host(0)) {
    const onnx::GraphProto &taken =
        known->values[0] != 0 ? **thenGraph : **elseGraph;
    FailureOr<SmallVector<Tensor>> results = importSubgraph(ctx, taken, {});
    if (failed(results))
      return failure();
    for (auto [i, t] : llvm::enumerate(*results))
      ctx.setOutput(i, t);
    return success();
  }

  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  materializeCaptures(ctx, **thenGraph);
  materializeCaptures(ctx, **elseGraph);
  Value condition = onlyElement(b, loc, ctx.value(0));
  // The branches are imported into an scf.if without results, which tells
  // their types; the final scf.if takes their regions.
  auto draft = scf::IfOp::create(b, loc, TypeRange{}, condition,
                                 /*withElseRegion=*/true);
  SmallVector<SmallVector<Value>> yielded;
  for (auto [graph, block, which] :
       {std::tuple(*thenGraph, draft.thenBlock(), "then_branch"),
        std::tuple(*elseGraph, draft.elseBlock(), "else_branch")}) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(block->getTerminator());
    FailureOr<SmallVector<Tensor>> results = importSubgraph(ctx, *graph, {});
    if (failed(results)) {
      draft.erase();
      // Both branches are imported when the condition is known only when
      // the model runs, the one not taken included.
      return ctx.error() << "could not import its " << which
                         << ", which is imported because the condition is "
                            "known only when the model runs (fix the "
                            "inputs it depends on with --input-value or "
                            "--input-shape)";
    }
    yielded.push_back(valuesOf(ctx, *results));
  }
  SmallVector<Type> types;
  for (int i = 0; i < outputs; ++i) {
    auto a = cast<RankedTensorType>(yielded[0][i].getType());
    auto e = cast<RankedTensorType>(yielded[1][i].getType());
    RankedTensorType type = join(a, e);
    if (!type) {
      ctx.error() << "has branches whose output " << i << " differ: " << a
                  << " and " << e
                  << "; tern imports an If whose condition is known only "
                     "when the model runs when its branches agree in rank "
                     "and element type (fix the input shapes with "
                     "--input-shape if they decide the condition)";
      draft.erase();
      return failure();
    }
    types.push_back(type);
  }
  auto result = scf::IfOp::create(b, loc, types, condition,
                                  /*withElseRegion=*/true);
  result.getThenRegion().takeBody(draft.getThenRegion());
  result.getElseRegion().takeBody(draft.getElseRegion());
  draft.erase();
  for (auto [block, values] : {std::pair(result.thenBlock(), yielded[0]),
                               std::pair(result.elseBlock(), yielded[1])}) {
    Operation *terminator = block->getTerminator();
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(terminator);
    SmallVector<Value> cast;
    for (auto [v, type] : llvm::zip(values, types))
      cast.push_back(castTo(b, loc, v, type));
    scf::YieldOp::create(b, loc, cast);
    terminator->erase();
  }
  for (int i = 0; i < outputs; ++i)
    ctx.setOutput(i, result.getResult(i));
  return success();
}

//===----------------------------------------------------------------------===//
// Loop
//===----------------------------------------------------------------------===//

/// The types of a loop's carried values that hold for every iteration:
/// starting from `carried`, joined with what the body yields until they no
/// longer change. The body's inputs are `prefix`, the carried values and
/// `suffix`; its outputs from `outputOffset` on are the carried values.
/// `bodyOutputs` receives the types of all its outputs.
FailureOr<SmallVector<RankedTensorType>>
carriedTypes(NodeContext &ctx, const onnx::GraphProto &body,
             ArrayRef<Type> prefix, SmallVector<RankedTensorType> carried,
             ArrayRef<Type> suffix, int64_t outputOffset, StringRef noun,
             SmallVectorImpl<RankedTensorType> &bodyOutputs) {
  for (int round = 0; round <= int(carried.size()); ++round) {
    SmallVector<Type> inputs(prefix.begin(), prefix.end());
    inputs.append(carried.begin(), carried.end());
    inputs.append(suffix.begin(), suffix.end());
    FailureOr<SmallVector<RankedTensorType>> outputs =
        outputTypes(ctx, body, inputs);
    if (failed(outputs))
      return failure();
    if (int64_t(outputs->size()) < outputOffset + int64_t(carried.size()))
      return ctx.error() << "has a body of " << outputs->size()
                         << " outputs; it carries " << carried.size()
                         << " values",
             failure();
    bool stable = true;
    for (auto [i, type] : llvm::enumerate(carried)) {
      RankedTensorType yielded = (*outputs)[outputOffset + i];
      RankedTensorType joined = join(type, yielded);
      if (!joined)
        return ctx.error() << "carries " << noun << " " << i << " as " << type
                           << " into its body, which yields " << yielded,
               failure();
      stable &= joined == type;
      type = joined;
    }
    if (stable) {
      bodyOutputs.assign(outputs->begin(), outputs->end());
      return carried;
    }
  }
  return ctx.error() << "has carried " << noun << "s whose types do not settle",
         failure();
}

LogicalResult lowerLoop(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  FailureOr<const onnx::GraphProto *> bodyGraph = subgraph(ctx, "body");
  if (failed(bodyGraph))
    return failure();
  const onnx::GraphProto &body = **bodyGraph;
  Tensor *trips = ctx.input(0), *cond = ctx.input(1);
  if (trips &&
      (!trips->type.getElementType().isInteger(64) ||
       !trips->type.hasStaticShape() || trips->type.getNumElements() != 1))
    return ctx.error() << "expects a trip count M of one int64";
  if (cond &&
      (!cond->type.getElementType().isInteger(1) ||
       !cond->type.hasStaticShape() || cond->type.getNumElements() != 1))
    return ctx.error() << "expects a condition of one bool";
  int64_t numCarried = ctx.numInputs() - 2;
  if (numCarried < 0)
    numCarried = 0;
  if (body.input_size() != numCarried + 2)
    return ctx.error() << "has a body of " << body.input_size()
                       << " inputs; it takes the iteration number, the "
                          "condition and its "
                       << numCarried << " carried values",
           failure();
  int64_t numScans = body.output_size() - 1 - numCarried;
  if (numScans < 0 || ctx.node.output_size() > numCarried + numScans)
    return ctx.error() << "has a body of " << body.output_size()
                       << " outputs and " << ctx.node.output_size()
                       << " outputs for its " << numCarried
                       << " carried values",
           failure();
  SmallVector<Value> initial;
  SmallVector<RankedTensorType> initialTypes;
  for (int64_t i = 0; i < numCarried; ++i) {
    if (!ctx.input(2 + i))
      return ctx.error() << "has no value for carried input " << i;
    initial.push_back(ctx.value(2 + i));
    initialTypes.push_back(ctx.input(2 + i)->type);
  }
  materializeCaptures(ctx, body);

  Type i64 = b.getI64Type(), i1 = b.getI1Type();
  SmallVector<Type> prefix = {RankedTensorType::get({}, i64),
                              RankedTensorType::get({}, i1)};
  SmallVector<RankedTensorType> bodyOutputs;
  FailureOr<SmallVector<RankedTensorType>> carried = carriedTypes(
      ctx, body, prefix, initialTypes, {}, 1, "value", bodyOutputs);
  if (failed(carried))
    return failure();
  if (!bodyOutputs[0].getElementType().isInteger(1) ||
      !bodyOutputs[0].hasStaticShape() || bodyOutputs[0].getNumElements() != 1)
    return ctx.error() << "has a body whose condition output is "
                       << bodyOutputs[0] << ", not one bool";
  // Scan outputs: the body's per-iteration values stacked on a new first
  // dimension, grown by one row an iteration (the first row replaces the
  // empty start, whose other dimensions are 0 where they are dynamic).
  SmallVector<RankedTensorType> scanTypes;
  for (int64_t k = 0; k < numScans; ++k)
    scanTypes.push_back(stackType(bodyOutputs[1 + numCarried + k]));

  // scf.while over (iteration, condition, carried..., stacked...).
  Value limit = trips ? onlyElement(b, loc, ctx.value(0)) : Value();
  SmallVector<Value> init = {
      arith::ConstantIntOp::create(b, loc, i64, 0),
      cond ? onlyElement(b, loc, ctx.value(1))
           : arith::ConstantIntOp::create(b, loc, i1, 1).getResult()};
  for (auto [v, type] : llvm::zip(initial, *carried))
    init.push_back(castTo(b, loc, v, type));
  for (RankedTensorType type : scanTypes)
    init.push_back(emptyStack(b, loc, type));
  SmallVector<Type> types = llvm::to_vector(ValueRange(init).getTypes());
  SmallVector<Location> locs(types.size(), loc);
  auto loop = scf::WhileOp::create(b, loc, types, init);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *before = b.createBlock(&loop.getBefore(), {}, types, locs);
    Value go = before->getArgument(1);
    if (limit) {
      Value within = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                           before->getArgument(0), limit);
      go = arith::AndIOp::create(b, loc, go, within);
    }
    scf::ConditionOp::create(b, loc, go, before->getArguments());

    Block *after = b.createBlock(&loop.getAfter(), {}, types, locs);
    SmallVector<Value> inputs = {rank0(b, loc, after->getArgument(0)),
                                 rank0(b, loc, after->getArgument(1))};
    for (int64_t i = 0; i < numCarried; ++i)
      inputs.push_back(after->getArgument(2 + i));
    FailureOr<SmallVector<Tensor>> results = importSubgraph(ctx, body, inputs);
    if (failed(results))
      return failure();
    SmallVector<Value> out = valuesOf(ctx, *results);
    // Without a condition input the body's condition is ignored (ONNX's
    // "for loop"; ONNX Runtime stops on it all the same).
    SmallVector<Value> next = {
        arith::AddIOp::create(b, loc, after->getArgument(0),
                              arith::ConstantIntOp::create(b, loc, i64, 1)),
        cond ? onlyElement(b, loc, out[0]) : after->getArgument(1)};
    for (int64_t i = 0; i < numCarried; ++i)
      next.push_back(castTo(b, loc, out[1 + i], (*carried)[i]));
    for (int64_t k = 0; k < numScans; ++k) {
      Value element = out[1 + numCarried + k];
      Value stacked = after->getArgument(2 + numCarried + k);
      next.push_back(appendRow(b, loc, stacked, element, after->getArgument(0),
                               scanTypes[k]));
    }
    scf::YieldOp::create(b, loc, next);
  }
  for (int64_t i = 0; i < numCarried; ++i)
    ctx.setOutput(i, loop.getResult(2 + i));
  // A trip count known at import time and no condition: M rows.
  const HostTensor *knownTrips = trips && !cond ? ctx.host(0) : nullptr;
  for (int64_t k = 0; k < numScans; ++k) {
    Value stacked = loop.getResult(2 + numCarried + k);
    if (knownTrips) {
      SmallVector<int64_t> shape(scanTypes[k].getShape());
      shape[0] = std::max<int64_t>(0, toInt64(knownTrips->values[0]));
      stacked =
          castTo(b, loc, stacked,
                 RankedTensorType::get(shape, scanTypes[k].getElementType()));
    }
    ctx.setOutput(numCarried + k, stacked);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

LogicalResult lowerScan(NodeContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  if (ctx.opset < 9)
    return ctx.error() << "is Scan of opset " << ctx.opset
                       << ", whose batch dimension and sequence_lens are not "
                          "supported; tern reads Scan from opset 9";
  FailureOr<const onnx::GraphProto *> bodyGraph = subgraph(ctx, "body");
  if (failed(bodyGraph))
    return failure();
  const onnx::GraphProto &body = **bodyGraph;
  if (!ctx.hasAttr("num_scan_inputs"))
    return ctx.error() << "needs the attribute num_scan_inputs";
  int64_t numScanInputs = ctx.attrInt("num_scan_inputs", -1);
  int64_t numStates = ctx.numInputs() - numScanInputs;
  if (numScanInputs < 1 || numStates < 0)
    return ctx.error() << "has num_scan_inputs " << numScanInputs << " and "
                       << ctx.numInputs() << " inputs";
  int64_t numScanOutputs = body.output_size() - numStates;
  if (body.input_size() != ctx.numInputs() || numScanOutputs < 0 ||
      ctx.node.output_size() > body.output_size())
    return ctx.error() << "has a body of " << body.input_size()
                       << " inputs and " << body.output_size()
                       << " outputs for " << numStates << " states and "
                       << numScanInputs << " scan inputs";
  auto listAttr = [&](StringRef name, int64_t size,
                      SmallVectorImpl<int64_t> &out) -> LogicalResult {
    out = ctx.attrInts(name);
    if (out.empty())
      out.assign(size, 0);
    if (int64_t(out.size()) != size)
      return ctx.error() << "has " << out.size() << " " << name << " for "
                         << size << " values";
    return success();
  };
  SmallVector<int64_t> inAxes, inDirs, outAxes, outDirs;
  if (failed(listAttr("scan_input_axes", numScanInputs, inAxes)) ||
      failed(listAttr("scan_input_directions", numScanInputs, inDirs)) ||
      failed(listAttr("scan_output_axes", numScanOutputs, outAxes)) ||
      failed(listAttr("scan_output_directions", numScanOutputs, outDirs)))
    return failure();
  for (int64_t d : llvm::concat<int64_t>(inDirs, outDirs))
    if (d != 0 && d != 1)
      return ctx.error() << "has a scan direction " << d
                         << "; ONNX defines 0 (forward) and 1 (reverse)";

  // Scan inputs with their scanned axis first.
  SmallVector<Value> states, scans;
  for (int64_t i = 0; i < numStates; ++i) {
    if (!ctx.input(i))
      return ctx.error() << "has no value for state " << i;
    states.push_back(ctx.value(i));
  }
  SmallVector<Type> sliceTypes;
  for (int64_t k = 0; k < numScanInputs; ++k) {
    Tensor *in = ctx.input(numStates + k);
    if (!in)
      return ctx.error() << "has no value for scan input " << k;
    int64_t rank = in->type.getRank();
    std::optional<int64_t> axis = normalizeAxis(inAxes[k], rank);
    if (!axis)
      return ctx.error() << "has scan_input_axes " << inAxes[k]
                         << " for scan input " << k << " of rank " << rank;
    SmallVector<int64_t> perm = {*axis};
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis)
        perm.push_back(d);
    Value v = ctx.value(numStates + k);
    if (*axis != 0)
      v = transpose(b, loc, v, perm);
    scans.push_back(v);
    auto type = cast<RankedTensorType>(v.getType());
    sliceTypes.push_back(RankedTensorType::get(type.getShape().drop_front(),
                                               type.getElementType()));
  }
  materializeCaptures(ctx, body);

  SmallVector<RankedTensorType> initialTypes;
  for (Value v : states)
    initialTypes.push_back(cast<RankedTensorType>(v.getType()));
  SmallVector<RankedTensorType> bodyOutputs;
  FailureOr<SmallVector<RankedTensorType>> stateTypes = carriedTypes(
      ctx, body, {}, initialTypes, sliceTypes, 0, "state", bodyOutputs);
  if (failed(stateTypes))
    return failure();

  // The number of steps: the scanned length of the first scan input; the
  // others must agree (at import time when both are known, else when the
  // model runs).
  Value steps = tensor::DimOp::create(b, loc, scans[0], 0);
  int64_t knownSteps = cast<RankedTensorType>(scans[0].getType()).getDimSize(0);
  for (auto [k, v] : llvm::enumerate(scans)) {
    int64_t length = cast<RankedTensorType>(v.getType()).getDimSize(0);
    if (length == knownSteps && !ShapedType::isDynamic(length))
      continue;
    if (!ShapedType::isDynamic(length) && !ShapedType::isDynamic(knownSteps))
      return ctx.error() << "scans " << knownSteps << " steps of scan input 0 "
                         << "and " << length << " of scan input " << k;
    cf::AssertOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                              tensor::DimOp::create(b, loc, v, 0), steps),
        "node '" + ctx.name() + "': its scan inputs differ in length");
  }
  SmallVector<Value> init;
  for (auto [v, type] : llvm::zip(states, *stateTypes))
    init.push_back(castTo(b, loc, v, type));
  SmallVector<RankedTensorType> stackTypes;
  for (int64_t k = 0; k < numScanOutputs; ++k) {
    stackTypes.push_back(stackType(bodyOutputs[numStates + k]));
    init.push_back(emptyStack(b, loc, stackTypes.back()));
  }
  // scf.while over (step, states..., stacks...): scf.for would take the
  // empty stacks' static zeros into its carried types (its cast folding).
  init.insert(init.begin(), indexConstant(b, loc, 0));
  SmallVector<Type> types = llvm::to_vector(ValueRange(init).getTypes());
  SmallVector<Location> locs(types.size(), loc);
  auto loop = scf::WhileOp::create(b, loc, types, init);
  {
    OpBuilder::InsertionGuard guard(b);
    Block *before = b.createBlock(&loop.getBefore(), {}, types, locs);
    Value go = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                     before->getArgument(0), steps);
    scf::ConditionOp::create(b, loc, go, before->getArguments());

    Block *after = b.createBlock(&loop.getAfter(), {}, types, locs);
    Value t = after->getArgument(0);
    Value last = arith::SubIOp::create(b, loc, steps, indexConstant(b, loc, 1));
    Value mirrored = arith::SubIOp::create(b, loc, last, t);
    SmallVector<Value> inputs(after->getArguments().slice(1, numStates));
    for (auto [k, v] : llvm::enumerate(scans)) {
      Value at = inDirs[k] ? mirrored : t;
      SmallVector<OpFoldResult> sizes = sizesOf(b, loc, v);
      sizes[0] = b.getIndexAttr(1);
      SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
      offsets[0] = at;
      SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
      inputs.push_back(tensor::ExtractSliceOp::create(
          b, loc, cast<RankedTensorType>(sliceTypes[k]), v, offsets, sizes,
          strides));
    }
    FailureOr<SmallVector<Tensor>> results = importSubgraph(ctx, body, inputs);
    if (failed(results))
      return failure();
    SmallVector<Value> out = valuesOf(ctx, *results);
    SmallVector<Value> next = {
        arith::AddIOp::create(b, loc, t, indexConstant(b, loc, 1))};
    for (int64_t i = 0; i < numStates; ++i)
      next.push_back(castTo(b, loc, out[i], (*stateTypes)[i]));
    // Rows in the order of the steps; reverse outputs are turned after.
    for (int64_t k = 0; k < numScanOutputs; ++k)
      next.push_back(appendRow(b, loc, after->getArgument(1 + numStates + k),
                               out[numStates + k], t, stackTypes[k]));
    scf::YieldOp::create(b, loc, next);
  }
  for (int64_t i = 0; i < numStates; ++i)
    ctx.setOutput(i, loop.getResult(1 + i));
  for (int64_t k = 0; k < numScanOutputs; ++k) {
    Value stacked = loop.getResult(1 + numStates + k);
    // As many rows as steps, when that is known at import time.
    if (!ShapedType::isDynamic(knownSteps)) {
      SmallVector<int64_t> shape(stackTypes[k].getShape());
      shape[0] = knownSteps;
      stacked =
          castTo(b, loc, stacked,
                 RankedTensorType::get(shape, stackTypes[k].getElementType()));
    }
    if (outDirs[k])
      stacked = reverseLeading(b, loc, stacked);
    int64_t rank = stackTypes[k].getRank();
    std::optional<int64_t> axis = normalizeAxis(outAxes[k], rank);
    if (!axis)
      return ctx.error() << "has scan_output_axes " << outAxes[k]
                         << " for scan output " << k << " of rank " << rank;
    if (*axis != 0) {
      // Dimension 0 (the steps) moves to `axis`.
      SmallVector<int64_t> perm;
      for (int64_t d = 1; d < rank; ++d) {
        if (int64_t(perm.size()) == *axis)
          perm.push_back(0);
        perm.push_back(d);
      }
      if (int64_t(perm.size()) == *axis)
        perm.push_back(0);
      stacked = transpose(b, loc, stacked, perm);
    }
    ctx.setOutput(numStates + k, stacked);
  }
  return success();
}

} // namespace

void onnx_import::registerControlFlowOps(HandlerTable &t) {
  t["If"] = lowerIf;
  t["Loop"] = lowerLoop;
  t["Scan"] = lowerScan;
}
