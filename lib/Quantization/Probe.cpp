//===- Probe.cpp - a model compiled with layer weights as arguments -------===//
//
// This file implements the probe model: layers rebuilt around float
// matmuls on argument weights, one compile, runs with any weights.
//
//===----------------------------------------------------------------------===//

#include "tern/Quantization/Probe.h"

#include "tern/Quantization/Layers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"

#include <cstring>
#include <utility>

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;
using ::tern::support::DType;

void ProbeWeights::set(int64_t n, ArrayRef<float> nk, ArrayRef<float> values) {
  int64_t k = n ? int64_t(nk.size()) / n : 0;
  weights.type = bias.type = DType::F32;
  weights.shape = {k, n};
  bias.shape = {n};
  weights.data.resize(nk.size() * sizeof(float));
  bias.data.assign(n * sizeof(float), 0);
  auto *kn = reinterpret_cast<float *>(weights.data.data());
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      kn[c * n + r] = nk[r * k + c];
  if (!values.empty())
    std::copy(values.begin(), values.end(),
              reinterpret_cast<float *>(bias.data.data()));
}

namespace {
/// Whether `generic`'s body is one addf of its two inputs.
bool addsInputs(linalg::GenericOp generic) {
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  return add && &body.front() == add.getOperation() &&
         ((add.getLhs() == body.getArgument(0) &&
           add.getRhs() == body.getArgument(1)) ||
          (add.getLhs() == body.getArgument(1) &&
           add.getRhs() == body.getArgument(0)));
}

/// Whether `op` adds its two inputs elementwise: linalg.add, or a
/// linalg.generic with identity maps, parallel loops and an addf body,
/// over operands and a result of one type.
bool isElementwiseAdd(Operation *op) {
  if (isa<linalg::AddOp>(op))
    return op->getOperand(0).getType() == op->getResult(0).getType() &&
           op->getOperand(1).getType() == op->getResult(0).getType();
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic->getNumResults() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return false;
  Type type = generic->getResult(0).getType();
  return generic.getDpsInputs()[0].getType() == type &&
         generic.getDpsInputs()[1].getType() == type && addsInputs(generic);
}

/// Whether `op` adds a constant (a bias, broadcast) to `value`, read
/// elementwise into a result of its type: the same in every run, so the
/// sum is still `value`'s stream.
bool addsConstant(Operation *op, Value value) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic->getNumResults() != 1 ||
      generic->getResult(0).getType() != value.getType() ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !addsInputs(generic))
    return false;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (input->get() == value) {
      if (!generic.getMatchingIndexingMap(input).isIdentity())
        return false;
    } else if (!matchPattern(input->get(), m_Constant())) {
      return false;
    }
  return true;
}

/// The value a layer's result is added to (its residual stream):
/// following its only reader through additions of a constant (a bias the
/// importer kept apart) and, `throughReshapes`, reshapes (which keep the
/// elements in row-major order), to an elementwise addition, the other
/// operand. Null when there is none.
Value residualOperand(Value result, bool throughReshapes) {
  Value value = result;
  // The one user that reads the elements (tensor.dim only asks the sizes,
  // as the importer's dynamic reshapes do).
  auto soleUser = [](Value value) -> Operation * {
    Operation *sole = nullptr;
    for (Operation *user : value.getUsers()) {
      if (isa<tensor::DimOp>(user))
        continue;
      if (sole)
        return nullptr;
      sole = user;
    }
    return sole;
  };
  while (Operation *user = soleUser(value)) {
    if ((throughReshapes &&
         isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ReshapeOp>(
             user) &&
         user->getOperand(0) == value) ||
        addsConstant(user, value)) {
      value = user->getResult(0);
      continue;
    }
    if (!isElementwiseAdd(user))
      return {};
    Value lhs = user->getOperand(0), rhs = user->getOperand(1);
    if (lhs == rhs)
      return {};
    return lhs == value ? rhs : lhs;
  }
  return {};
}

/// `value` (of `rows` x `n` elements in all) as a rows x n matrix, in
/// row-major order; an NCHW `value` (`image`, a convolution's result) as
/// its B·H·W pixels x C channels, the rows of the convolution's products.
Value asMatrix(OpBuilder &b, Location loc, Value value, Value rows, int64_t n,
               bool image) {
  auto type = cast<RankedTensorType>(value.getType());
  if (image) {
    SmallVector<int64_t> nhwc = {0, 2, 3, 1};
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
    Value init = tensor::EmptyOp::create(b, loc, applyPermutation(sizes, nhwc),
                                         type.getElementType());
    value =
        linalg::TransposeOp::create(b, loc, value, init, nhwc).getResult()[0];
    type = cast<RankedTensorType>(value.getType());
  }
  if (type.getRank() != 1) {
    ReassociationIndices all =
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
    value = tensor::CollapseShapeOp::create(
        b, loc, value, ArrayRef<ReassociationIndices>{all});
  }
  // Expanded into a dynamic dimension, the source's must be dynamic too.
  value = tensor::CastOp::create(
      b, loc,
      RankedTensorType::get({ShapedType::kDynamic}, type.getElementType()),
      value);
  auto matrix =
      RankedTensorType::get({ShapedType::kDynamic, n}, type.getElementType());
  return tensor::ExpandShapeOp::create(
      b, loc, matrix, value, ArrayRef<ReassociationIndices>{{0, 1}},
      ArrayRef<OpFoldResult>{rows, b.getIndexAttr(n)});
}
} // namespace

ProbeModel::ProbeModel() = default;
ProbeModel::~ProbeModel() = default;

FailureOr<std::unique_ptr<ProbeModel>>
ProbeModel::create(ModelEvaluator &evaluator, ModuleOp module,
                   ArrayRef<std::string> names, Results results,
                   StringRef inputs, const TargetCPU &cpu,
                   llvm::function_ref<InFlightDiagnostic()> emitError) {
  std::unique_ptr<ProbeModel> probe(new ProbeModel());
  // Lowering loads dialects and the JIT registers translations: the copy
  // lives in a context of its own, whose errors are reported as ours.
  probe->context_ =
      std::make_unique<MLIRContext>(module->getContext()->getDialectRegistry());
  // The activation results are selected by scf.if, whatever the module
  // holds.
  probe->context_->loadDialect<scf::SCFDialect>();
  ForwardDiagnostics forward(*probe->context_, emitError);
  OwningOpRef<ModuleOp> copy = copyForExecution(module, *probe->context_);
  if (!copy)
    return emitError() << "cannot copy the module";
  auto main = copy->lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return emitError() << "the module has no function @main to run";
  // The layers are looked up by name: every kind is a candidate.
  std::vector<Layer> layers =
      findLayers(*copy, /*readWeights=*/true, nullptr, ConvolutionLayers::All);
  llvm::StringMap<Layer *> byName;
  for (Layer &layer : layers)
    byName[layer.name] = &layer;

  // Each probed layer: x (M x K) -> x W + bias with W (K x N) and bias (N)
  // the next two arguments of @main.
  unsigned modelInputs = main.getNumArguments();
  SmallVector<Value> activations;
  // Per probed layer with ActivationsAndResiduals, its result (or null for
  // one in another layout), whose residual stream is looked for once every
  // layer is rebuilt (the stream may be another layer's).
  SmallVector<Value> layerResults;
  OpBuilder b(probe->context_.get());
  Type f32 = b.getF32Type();
  for (const std::string &name : names) {
    Layer *layer = byName.lookup(name);
    if (!layer || layer->op->getParentOfType<func::FuncOp>() != main)
      return emitError() << "layer '" << name << "' is not in @main";
    Location loc = layer->op->getLoc();
    int64_t n = layer->rows, k = layer->cols;
    unsigned index = main.getNumArguments();
    if (failed(main.insertArgument(index, RankedTensorType::get({k, n}, f32),
                                   {}, loc)) ||
        failed(main.insertArgument(index + 1, RankedTensorType::get({n}, f32),
                                   {}, loc)))
      return emitError() << "cannot make the weights of '" << name
                         << "' arguments";
    Value weights = main.getArgument(index), bias = main.getArgument(index + 1);
    Value replacement;
    if (layer->groups > 1) {
      // The convolution itself, on the weights transposed back to N x K.
      b.setInsertionPoint(layer->op);
      activations.push_back(layer->activations(b));
      Value nk =
          linalg::TransposeOp::create(
              b, loc, weights,
              tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n, k}, f32),
              ArrayRef<int64_t>{1, 0})
              .getResult()[0];
      replacement = buildGroupedLayer(b, *layer, nk, bias);
    } else {
      replacement = buildLayer(b, *layer, [&](OpBuilder &b, Value x) -> Value {
        activations.push_back(x);
        return buildFloatProducts(b, loc, x, weights, bias);
      });
    }
    layer->op->getResult(0).replaceAllUsesWith(replacement);
    layer->op->erase();
    if (results == Results::ActivationsAndResiduals) {
      // Results laid out as the products (M x N, a matmul's) or as their
      // NCHW image (an ungrouped convolution's; a grouped one's products
      // are not built), in f32 as the observations are.
      auto type = cast<RankedTensorType>(replacement.getType());
      bool known = layer->groups == 1 && type.getElementType().isF32() &&
                   ((type.getRank() == 2 && type.getDimSize(1) == n) ||
                    (type.getRank() == 4 && type.getDimSize(1) == n));
      layerResults.push_back(known ? replacement : Value());
    }
    probe->rows_.push_back(
        cast<RankedTensorType>(activations.back().getType()).getDimSize(0));
    probe->channels_.push_back(k * layer->groups);
    probe->outputs_.push_back(n);
    probe->groups_.push_back(layer->groups);
    probe->initial_.emplace_back();
    probe->initial_.back().set(n, layer->weights, {});
  }
  if (results != Results::Model) {
    // Result i is layer i's activations when the selector (a last i64
    // argument) is i or negative, else 0 x K: the observations a run does
    // not need are neither copied out nor, for layers that compute them
    // only to be observed (grouped ones), computed. The model past the last
    // probed layer is dead and lowering drops it.
    Operation *terminator = main.getBody().back().getTerminator();
    Location loc = main.getLoc();
    probe->selector_ = main.getNumArguments();
    Type i64 = b.getI64Type();
    if (failed(main.insertArgument(probe->selector_,
                                   RankedTensorType::get({}, i64), {}, loc)))
      return emitError() << "cannot add the layer selector argument";
    b.setInsertionPoint(terminator);
    Value selector = tensor::ExtractOp::create(
        b, loc, main.getArgument(probe->selector_), ValueRange{});
    Value zero = arith::ConstantIntOp::create(b, loc, i64, 0);
    Value all = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                      selector, zero);
    // What is observed, and which layer's selector returns it: the
    // activations, then the residuals as M x N matrices.
    SmallVector<std::pair<Value, int64_t>> observed;
    for (auto [i, x] : llvm::enumerate(activations))
      observed.emplace_back(x, int64_t(i));
    probe->residuals_.assign(activations.size(), -1);
    for (auto [i, result] : llvm::enumerate(layerResults)) {
      if (!result)
        continue;
      // An image is matched only where it is added as it is: reshaped, its
      // elements would not follow the pixels any more.
      bool image = cast<RankedTensorType>(result.getType()).getRank() == 4;
      Value other = residualOperand(result, /*throughReshapes=*/!image);
      if (!other)
        continue;
      Value rows = tensor::DimOp::create(b, loc, activations[i], 0);
      probe->residuals_[i] = int64_t(observed.size());
      observed.emplace_back(
          asMatrix(b, loc, other, rows, probe->outputs_[i], image), int64_t(i));
    }
    SmallVector<Value> selected;
    for (auto [x, layerIndex] : observed) {
      auto type = cast<RankedTensorType>(x.getType());
      auto dynamic = RankedTensorType::get(
          {ShapedType::kDynamic, type.getDimSize(1)}, type.getElementType());
      Value index = arith::ConstantIntOp::create(b, loc, i64, layerIndex);
      Value wanted = arith::OrIOp::create(
          b, loc, all,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, selector,
                                index));
      auto choice = scf::IfOp::create(b, loc, TypeRange{dynamic}, wanted,
                                      /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&choice.getThenRegion().front());
      scf::YieldOp::create(
          b, loc, ValueRange{tensor::CastOp::create(b, loc, dynamic, x)});
      b.setInsertionPointToStart(&choice.getElseRegion().front());
      Value none = tensor::EmptyOp::create(
          b, loc, dynamic.getShape(), dynamic.getElementType(),
          ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
      scf::YieldOp::create(b, loc, ValueRange{none});
      selected.push_back(choice.getResult(0));
    }
    terminator->setOperands(selected);
    main.setType(FunctionType::get(probe->context_.get(),
                                   main.getArgumentTypes(),
                                   ValueRange(selected).getTypes()));
    main.removeResAttrsAttr();
    // What only a branch reads (a grouped layer's receptive fields) moves
    // into it.
    PassManager sink(probe->context_.get());
    sink.addPass(createControlFlowSinkPass());
    if (failed(sink.run(*copy)))
      return emitError() << "cannot sink the observations into their branches";
  }

  FailureOr<std::unique_ptr<EvaluableModel>> model =
      evaluator.prepare(*copy, cpu);
  if (failed(model))
    return failure();
  probe->model_ = std::move(*model);
  ArrayRef<TensorSignature> signature =
      ArrayRef<TensorSignature>(probe->model_->signature().inputs)
          .take_front(modelInputs);
  llvm::Expected<std::vector<InputEntry>> entries = listInputEntries(inputs);
  if (!entries)
    return emitError() << llvm::toString(entries.takeError());
  for (const InputEntry &entry : *entries)
    if (llvm::Error error = readInputEntry(entry, signature, probe->sets_))
      return emitError() << llvm::toString(std::move(error));
  // Every set is checked once, with the initial weights in place.
  probe->arguments_.resize(probe->model_->signature().inputs.size());
  for (auto [i, weights] : llvm::enumerate(probe->initial_)) {
    probe->arguments_[modelInputs + 2 * i] = weights.weights;
    probe->arguments_[modelInputs + 2 * i + 1] = weights.bias;
  }
  if (probe->selector_ >= 0) {
    Array &selector = probe->arguments_[probe->selector_];
    selector.type = DType::I64;
    selector.data.assign(sizeof(int64_t), 0);
    int64_t everyLayer = -1;
    std::memcpy(selector.data.data(), &everyLayer, sizeof(everyLayer));
  }
  for (InputSet &set : probe->sets_) {
    for (auto [i, array] : llvm::enumerate(set.arrays))
      std::swap(probe->arguments_[i], array);
    llvm::Error error =
        checkInputs(probe->model_->signature(), probe->arguments_, set.sources);
    for (auto [i, array] : llvm::enumerate(set.arrays))
      std::swap(probe->arguments_[i], array);
    if (error)
      return emitError() << llvm::toString(std::move(error));
  }
  return probe;
}

llvm::Error ProbeModel::run(size_t set, std::vector<ProbeWeights> &weights,
                            std::vector<Array> &outputs, int64_t only) {
  if (selector_ >= 0)
    std::memcpy(arguments_[selector_].data.data(), &only, sizeof(only));
  std::vector<Array> &inputs = sets_[set].arrays;
  size_t modelInputs = inputs.size();
  // Swapped in and out: no array is copied.
  auto exchange = [&] {
    for (size_t i = 0; i < modelInputs; ++i)
      std::swap(arguments_[i], inputs[i]);
    for (size_t i = 0; i < weights.size(); ++i) {
      std::swap(arguments_[modelInputs + 2 * i], weights[i].weights);
      std::swap(arguments_[modelInputs + 2 * i + 1], weights[i].bias);
    }
  };
  exchange();
  llvm::Error error = model_->run(arguments_, &outputs);
  exchange();
  return error;
}
