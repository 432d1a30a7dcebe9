//===- OpsRecurrent.cpp - RNN, GRU and LSTM -------------------------------===//
//
// ONNX's recurrent layers (opsets 7 to 14), every direction, activation,
// layout and optional input ONNX defines. Each direction is one scf.for
// over the time steps, carrying the hidden state (and the LSTM's cell) and
// the output being written: the input projections of all steps are one
// matmul before the loop (X W^T with both biases), each step one matmul of
// the state (H R^T) and one elementwise map for the cell's equations.
// Sequence lengths follow ONNX Runtime: a batch's steps past its length
// leave its state alone and write zeros to Y; a reverse direction reads
// each batch's own steps backwards; Y_h (Y_c) of a length-0 batch is zero.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "tern/Support/Signature.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

enum class Cell { RNN, GRU, LSTM };

/// An activation function of a recurrent cell, with its alpha and beta.
struct Activation {
  std::string name;
  double alpha = 0, beta = 0;
};

/// The activation functions ONNX defines for recurrent cells: whether each
/// reads alpha and beta, and their defaults (NaN: none, the node must give
/// it).
struct ActivationKind {
  bool alpha, beta;
  double defaultAlpha, defaultBeta;
};

std::optional<ActivationKind> activationKind(StringRef name) {
  constexpr double none = std::numeric_limits<double>::quiet_NaN();
  return llvm::StringSwitch<std::optional<ActivationKind>>(name)
      .Case("Relu", ActivationKind{false, false, 0, 0})
      .Case("Tanh", ActivationKind{false, false, 0, 0})
      .Case("Sigmoid", ActivationKind{false, false, 0, 0})
      .Case("Softsign", ActivationKind{false, false, 0, 0})
      .Case("Softplus", ActivationKind{false, false, 0, 0})
      .Case("Affine", ActivationKind{true, true, none, none})
      .Case("LeakyRelu", ActivationKind{true, false, 0.01, 0})
      .Case("ThresholdedRelu", ActivationKind{true, false, 1.0, 0})
      .Case("ScaledTanh", ActivationKind{true, true, none, none})
      .Case("HardSigmoid", ActivationKind{true, true, 0.2, 0.5})
      .Case("Elu", ActivationKind{true, false, 1.0, 0})
      .Default(std::nullopt);
}

/// f(x) for the scalar x.
Value activate(OpBuilder &b, Location loc, const Activation &f, Value x) {
  Type type = x.getType();
  auto c = [&](double v) { return scalar(b, loc, type, v); };
  auto mul = [&](Value p, Value q) -> Value {
    return arith::MulFOp::create(b, loc, p, q);
  };
  auto add = [&](Value p, Value q) -> Value {
    return arith::AddFOp::create(b, loc, p, q);
  };
  auto less = [&](Value p, Value q) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, p, q);
  };
  StringRef name = f.name;
  if (name == "Relu")
    return arith::MaximumFOp::create(b, loc, x, c(0));
  if (name == "Tanh")
    return math::TanhOp::create(b, loc, x);
  if (name == "Sigmoid")
    return arith::DivFOp::create(
        b, loc, c(1),
        add(c(1),
            math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x))));
  if (name == "Softsign")
    return arith::DivFOp::create(b, loc, x,
                                 add(c(1), math::AbsFOp::create(b, loc, x)));
  if (name == "Softplus") {
    // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
    Value e = math::ExpOp::create(
        b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x)));
    return add(arith::MaximumFOp::create(b, loc, x, c(0)),
               math::Log1pOp::create(b, loc, e));
  }
  if (name == "Affine")
    return add(mul(x, c(f.alpha)), c(f.beta));
  if (name == "LeakyRelu")
    return arith::SelectOp::create(b, loc, less(x, c(0)), mul(x, c(f.alpha)),
                                   x);
  if (name == "ThresholdedRelu")
    return arith::SelectOp::create(b, loc, less(c(f.alpha), x), x, c(0));
  if (name == "ScaledTanh")
    return mul(c(f.alpha), math::TanhOp::create(b, loc, mul(x, c(f.beta))));
  if (name == "HardSigmoid") {
    Value y = add(mul(x, c(f.alpha)), c(f.beta));
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, y, c(0)), c(1));
  }
  assert(name == "Elu" && "activations are checked when read");
  Value curve =
      mul(c(f.alpha),
          arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x), c(1)));
  return arith::SelectOp::create(b, loc, less(x, c(0)), curve, x);
}

/// The activations of a node: `perDirection` functions for each of
/// `directions`, `defaults` when the node gives none. alpha and beta are
/// consumed in order by the functions that read them (as ONNX Runtime
/// does); a function that reads one the node does not give takes its
/// default, and has to be given when it has none.
FailureOr<SmallVector<Activation>> activationsOf(NodeContext &ctx,
                                                 ArrayRef<StringRef> defaults,
                                                 int64_t directions) {
  SmallVector<Activation> result;
  const onnx::AttributeProto *names = ctx.attr("activations");
  int64_t perDirection = defaults.size();
  if (!names || names->strings_size() == 0) {
    for (int64_t d = 0; d < directions; ++d)
      for (StringRef name : defaults)
        result.push_back({name.str()});
    return result;
  }
  if (names->strings_size() != perDirection * directions)
    return ctx.error() << "has " << names->strings_size() << " activations; a "
                       << directions << "-direction node takes "
                       << perDirection * directions,
           failure();
  std::vector<float> alphas = ctx.attrFloats("activation_alpha");
  std::vector<float> betas = ctx.attrFloats("activation_beta");
  size_t nextAlpha = 0, nextBeta = 0;
  for (const std::string &given : names->strings()) {
    // ONNX names them like its ops; ONNX Runtime also takes any case.
    std::optional<ActivationKind> kind;
    std::string name;
    for (StringRef known :
         {"Relu", "Tanh", "Sigmoid", "Softsign", "Softplus", "Affine",
          "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu"})
      if (StringRef(given).equals_insensitive(known)) {
        name = known.str();
        kind = activationKind(known);
      }
    if (!kind)
      return ctx.error() << "has activation '" << given
                         << "', which ONNX does not define for recurrent "
                            "layers",
             failure();
    Activation f{name, kind->defaultAlpha, kind->defaultBeta};
    if (kind->alpha && nextAlpha < alphas.size())
      f.alpha = alphas[nextAlpha++];
    if (kind->beta && nextBeta < betas.size())
      f.beta = betas[nextBeta++];
    if ((kind->alpha && std::isnan(f.alpha)) ||
        (kind->beta && std::isnan(f.beta)))
      return ctx.error() << "activation " << name
                         << " needs activation_alpha and activation_beta",
             failure();
    result.push_back(f);
  }
  if (nextAlpha != alphas.size() || nextBeta != betas.size())
    return ctx.error() << "gives more activation_alpha or activation_beta "
                          "values than its activations read",
           failure();
  return result;
}

/// Rows [offset, offset + size) of the last dimension of the 2-D `value`.
Value columns(OpBuilder &b, Location loc, Value value, int64_t offset,
              int64_t size) {
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, value);
  sizes.back() = b.getIndexAttr(size);
  SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
  offsets.back() = b.getIndexAttr(offset);
  SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes, strides);
}

/// Entry `index` (of dimension 0) of `value`, without that dimension.
Value entry(OpBuilder &b, Location loc, Value value, OpFoldResult index) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, value);
  sizes[0] = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
  offsets[0] = index;
  SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
  auto resultType = RankedTensorType::get(type.getShape().drop_front(),
                                          type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, resultType, value, offsets,
                                        sizes, strides);
}

/// `slice` written as entry `index` (of dimension 0) of `into`.
Value setEntry(OpBuilder &b, Location loc, Value slice, Value into,
               OpFoldResult index) {
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, into);
  sizes[0] = b.getIndexAttr(1);
  SmallVector<OpFoldResult> offsets(sizes.size(), b.getIndexAttr(0));
  offsets[0] = index;
  SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, slice, into, offsets, sizes,
                                       strides);
}

/// A recurrent layer's inputs and attributes, checked.
struct Recurrent {
  Cell cell;
  int64_t gates, hidden, directions, layout;
  bool reverseOnly, linearBeforeReset, inputForget;
  std::optional<double> clip;
  SmallVector<Activation> activations; // per direction, in ONNX's order
  Type element;
};

FailureOr<Recurrent> readRecurrent(NodeContext &ctx, Cell cell) {
  Recurrent r;
  r.cell = cell;
  r.gates = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4;
  Tensor *x = ctx.input(0), *w = ctx.input(1), *rec = ctx.input(2);
  if (!x || !w || !rec)
    return ctx.error() << "expects inputs X, W and R", failure();
  r.element = x->type.getElementType();
  if (!isa<FloatType>(r.element))
    return ctx.error() << "has input X of " << r.element
                       << "; tern reads float recurrent layers",
           failure();
  // Inputs: X, W, R, B, sequence_lens, initial_h, and the LSTM's initial_c
  // and P.
  int last = cell == Cell::LSTM ? 7 : 5;
  for (int i = 0; i <= last; ++i) {
    Tensor *in = ctx.input(i);
    if (!in || i == 4)
      continue;
    if (in->type.getElementType() != r.element)
      return ctx.error() << "has input " << i << " of "
                         << in->type.getElementType() << " and X of "
                         << r.element << "; they must agree",
             failure();
  }
  if (ctx.numInputs() > last + 1)
    return ctx.error() << "has " << ctx.numInputs()
                       << " inputs; it takes at most " << last + 1,
           failure();
  std::string direction = ctx.attrString("direction", "forward");
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return ctx.error() << "has direction '" << direction
                       << "'; ONNX defines forward, reverse and bidirectional",
           failure();
  r.directions = direction == "bidirectional" ? 2 : 1;
  r.reverseOnly = direction == "reverse";
  r.layout = ctx.attrInt("layout", 0);
  if (r.layout != 0 && r.layout != 1)
    return ctx.error() << "has layout " << r.layout << "; ONNX defines 0 and 1",
           failure();
  if (x->type.getRank() != 3)
    return ctx.error() << "has X of rank " << x->type.getRank()
                       << "; it takes [seq_length, batch_size, input_size]"
                       << (r.layout ? " in layout 0" : ""),
           failure();
  int64_t inputSize = x->type.getDimSize(2);
  if (!w->type.hasStaticShape() || !rec->type.hasStaticShape() ||
      w->type.getRank() != 3 || rec->type.getRank() != 3)
    return ctx.error() << "has W " << w->type << " and R " << rec->type
                       << "; they must be 3-D with static shapes",
           failure();
  r.hidden = ctx.attrInt("hidden_size", rec->type.getDimSize(2));
  auto expect = [&](Tensor *t, StringRef what,
                    ArrayRef<int64_t> shape) -> LogicalResult {
    if (!t)
      return success();
    ArrayRef<int64_t> got = t->type.getShape();
    bool fits = got.size() == shape.size();
    for (size_t i = 0; fits && i < got.size(); ++i)
      fits = ShapedType::isDynamic(shape[i]) || ShapedType::isDynamic(got[i]) ||
             got[i] == shape[i];
    if (fits)
      return success();
    return ctx.error() << "has " << what << " of shape " << shapeString(got)
                       << ", expected " << shapeString(shape);
  };
  int64_t d = r.directions, g = r.gates, h = r.hidden;
  int64_t batch = x->type.getDimSize(r.layout ? 0 : 1);
  SmallVector<int64_t> stateShape = r.layout
                                        ? SmallVector<int64_t>{batch, d, h}
                                        : SmallVector<int64_t>{d, batch, h};
  if (ShapedType::isDynamic(inputSize))
    return ctx.error() << "has X " << x->type
                       << "; its input size must be static",
           failure();
  if (r.hidden <= 0 || failed(expect(w, "W", {d, g * h, inputSize})) ||
      failed(expect(rec, "R", {d, g * h, h})) ||
      failed(expect(ctx.input(3), "B", {d, 2 * g * h})) ||
      failed(expect(ctx.input(4), "sequence_lens", {batch})) ||
      failed(expect(ctx.input(5), "initial_h", stateShape)) ||
      (cell == Cell::LSTM &&
       (failed(expect(ctx.input(6), "initial_c", stateShape)) ||
        failed(expect(ctx.input(7), "P", {d, 3 * h})))))
    return failure();
  for (auto [i, what] : {std::pair(3, "B"), std::pair(7, "P")})
    if (Tensor *t = ctx.input(i); t && !t->type.hasStaticShape())
      return ctx.error() << "has " << what << " of shape "
                         << shapeString(t->type.getShape())
                         << "; it must be static",
             failure();
  for (auto [i, what] : {std::pair(5, "initial_h"), std::pair(6, "initial_c")})
    if (Tensor *t = i == 6 && cell != Cell::LSTM ? nullptr : ctx.input(i);
        t &&
        (t->type.getRank() != 3 || t->type.isDynamicDim(r.layout ? 1 : 0) ||
         t->type.isDynamicDim(2)))
      return ctx.error() << "has " << what << " of shape "
                         << shapeString(t->type.getShape())
                         << "; only its batch size may be dynamic",
             failure();
  if (Tensor *lengths = ctx.input(4);
      lengths && !lengths->type.getElementType().isInteger(32))
    return ctx.error() << "has sequence_lens of "
                       << lengths->type.getElementType()
                       << "; ONNX takes int32",
           failure();
  r.linearBeforeReset =
      cell == Cell::GRU && ctx.attrInt("linear_before_reset", 0) != 0;
  r.inputForget = cell == Cell::LSTM && ctx.attrInt("input_forget", 0) != 0;
  if (ctx.hasAttr("clip")) {
    double clip = ctx.attrFloat("clip", 0);
    if (!(clip > 0))
      return ctx.error() << "has clip " << clip << "; it must be positive",
             failure();
    r.clip = clip;
  }
  SmallVector<StringRef> defaults;
  if (cell == Cell::RNN)
    defaults = {"Tanh"};
  else if (cell == Cell::GRU)
    defaults = {"Sigmoid", "Tanh"};
  else
    defaults = {"Sigmoid", "Tanh", "Tanh"};
  FailureOr<SmallVector<Activation>> activations =
      activationsOf(ctx, defaults, d);
  if (failed(activations))
    return failure();
  r.activations = std::move(*activations);
  return r;
}

/// Entry `index` of the constant or value input `i` (dimension 0), or null
/// when the input is absent.
Value directionOf(NodeContext &ctx, int i, int64_t index) {
  if (!ctx.input(i))
    return nullptr;
  return entry(ctx.b, ctx.loc, ctx.value(i), ctx.b.getIndexAttr(index));
}

/// The states one direction ends with.
struct Run {
  Value y, h, c; // Y [S, B, H]; Y_h, Y_c [B, H]
};

/// Runs direction `d` of the layer over x [S, B, I] from the states h0
/// (and c0) [B, H].
FailureOr<Run> runDirection(NodeContext &ctx, const Recurrent &r, int64_t d,
                            bool reverse, Value x, Value h0, Value c0,
                            Value lengths) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  int64_t g = r.gates, h = r.hidden;
  // f (and g, h) of this direction.
  int64_t perDirection = int64_t(r.activations.size()) / r.directions;
  ArrayRef<Activation> fs =
      ArrayRef(r.activations).slice(d * perDirection, perDirection);
  Type element = r.element;

  // Input projections of every step, with the biases that add outside the
  // cell's nonlinearity: X W^T + Wb + Rb (all but the GRU's Rbh with
  // linear_before_reset, which the reset gate scales).
  Value weights = transpose(b, loc, directionOf(ctx, 1, d), {1, 0});
  FailureOr<Value> projected = numpyMatmul(ctx, x, weights);
  if (failed(projected))
    return failure();
  Value xw = *projected;
  Value hiddenBias; // the GRU's Rbh with linear_before_reset
  if (Value bias = directionOf(ctx, 3, d)) {
    SmallVector<int64_t> shape = {g * h};
    Value wb = extractSlice(b, loc, bias, {0}, {g * h}, {1});
    Value rb = extractSlice(b, loc, bias, {g * h}, {g * h}, {1});
    if (r.linearBeforeReset) {
      hiddenBias = extractSlice(b, loc, rb, {2 * h}, {h}, {1});
      rb = padConstant(b, loc, extractSlice(b, loc, rb, {0}, {2 * h}, {1}), {0},
                       {h}, 0.0);
    }
    Value sum =
        broadcastMap(b, loc, {wb, rb}, shape, element,
                     [](OpBuilder &nb, Location l, ValueRange v) -> Value {
                       return arith::AddFOp::create(nb, l, v[0], v[1]);
                     });
    auto xwType = cast<RankedTensorType>(xw.getType());
    xw = broadcastMap(b, loc, {xw, sum}, xwType.getShape(), element,
                      [](OpBuilder &nb, Location l, ValueRange v) -> Value {
                        return arith::AddFOp::create(nb, l, v[0], v[1]);
                      });
  }
  if (reverse)
    xw = reverseLeading(b, loc, xw, lengths);

  // R^T, split where the GRU without linear_before_reset multiplies the
  // reset state by Rh alone.
  Value recurrence = transpose(b, loc, directionOf(ctx, 2, d), {1, 0});
  Value recurrenceH;
  bool resetFirst = r.cell == Cell::GRU && !r.linearBeforeReset;
  if (resetFirst) {
    recurrenceH = extractSlice(b, loc, recurrence, {0, 2 * h}, {h, h}, {1, 1});
    recurrence = extractSlice(b, loc, recurrence, {0, 0}, {h, 2 * h}, {1, 1});
  }
  Value peephole = r.cell == Cell::LSTM ? directionOf(ctx, 7, d) : Value();

  SmallVector<OpFoldResult> xs = sizesOf(b, loc, x);
  OpFoldResult batch = xs[1];
  Value steps = getValueOrCreateConstantIndexOp(b, loc, xs[0]);
  Value y = filledOf(b, loc, {xs[0], batch, b.getIndexAttr(h)}, element, 0.0);
  // lengths as a column [B, 1], to broadcast over the hidden units.
  Value lengthColumn =
      lengths ? reshapeTo(b, loc, lengths, {batch, b.getIndexAttr(1)})
              : Value();

  // The states start as copies, contiguous as the states each step makes:
  // a loop whose carried buffer may be a view of one kind or the other is
  // read through unknown strides, element by element.
  auto contiguous = [&](Value state) -> Value {
    Value into =
        emptyOf(b, loc, sizesOf(b, loc, state),
                cast<RankedTensorType>(state.getType()).getElementType());
    return linalg::CopyOp::create(b, loc, state, into).getResult(0);
  };
  SmallVector<Value> init = {contiguous(h0)};
  if (c0)
    init.push_back(contiguous(c0));
  init.push_back(y);
  auto loop = scf::ForOp::create(b, loc, indexConstant(b, loc, 0), steps,
                                 indexConstant(b, loc, 1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    Value hPrev = loop.getRegionIterArgs()[0];
    Value cPrev = c0 ? loop.getRegionIterArgs()[1] : Value();
    Value yPrev = loop.getRegionIterArgs().back();
    Value step = entry(b, loc, xw, t); // [B, G*H]
    FailureOr<Value> product = numpyMatmul(ctx, hPrev, recurrence);
    if (failed(product))
      return failure();
    Value hr = *product;
    SmallVector<int64_t> shape(
        cast<RankedTensorType>(hPrev.getType()).getShape());
    auto gate = [&](Value all, int64_t k) {
      return columns(b, loc, all, k * h, h);
    };
    auto clipped = [&](OpBuilder &nb, Location l, Value v) -> Value {
      if (!r.clip)
        return v;
      Value bound = scalar(nb, l, v.getType(), *r.clip);
      Value low = arith::NegFOp::create(nb, l, bound);
      return arith::MinimumFOp::create(
          nb, l, arith::MaximumFOp::create(nb, l, v, low), bound);
    };
    auto addf = [](OpBuilder &nb, Location l, Value p, Value q) -> Value {
      return arith::AddFOp::create(nb, l, p, q);
    };
    auto mulf = [](OpBuilder &nb, Location l, Value p, Value q) -> Value {
      return arith::MulFOp::create(nb, l, p, q);
    };
    auto one = [](OpBuilder &nb, Location l, Value like) {
      return scalar(nb, l, like.getType(), 1.0);
    };

    Value hNew, cNew;
    if (r.cell == Cell::RNN) {
      hNew = broadcastMap(b, loc, {step, hr}, shape, element,
                          [&](OpBuilder &nb, Location l, ValueRange v) {
                            return activate(
                                nb, l, fs[0],
                                clipped(nb, l, addf(nb, l, v[0], v[1])));
                          });
    } else if (r.cell == Cell::GRU) {
      // z and r from the step's projections and H R^T; then h~.
      auto sigma = [&](Value pre, Value rec) {
        return broadcastMap(b, loc, {pre, rec}, shape, element,
                            [&](OpBuilder &nb, Location l, ValueRange v) {
                              return activate(
                                  nb, l, fs[0],
                                  clipped(nb, l, addf(nb, l, v[0], v[1])));
                            });
      };
      Value z = sigma(gate(step, 0), gate(hr, 0));
      Value reset = sigma(gate(step, 1), gate(hr, 1));
      Value candidate;
      if (resetFirst) {
        Value scaled =
            broadcastMap(b, loc, {reset, hPrev}, shape, element,
                         [&](OpBuilder &nb, Location l, ValueRange v) {
                           return mulf(nb, l, v[0], v[1]);
                         });
        FailureOr<Value> rh = numpyMatmul(ctx, scaled, recurrenceH);
        if (failed(rh))
          return failure();
        candidate = broadcastMap(b, loc, {gate(step, 2), *rh}, shape, element,
                                 [&](OpBuilder &nb, Location l, ValueRange v) {
                                   return activate(
                                       nb, l, fs[1],
                                       clipped(nb, l, addf(nb, l, v[0], v[1])));
                                 });
      } else {
        SmallVector<Value> in = {gate(step, 2), reset, gate(hr, 2)};
        if (hiddenBias)
          in.push_back(hiddenBias);
        candidate = broadcastMap(
            b, loc, in, shape, element,
            [&](OpBuilder &nb, Location l, ValueRange v) {
              Value rec = v.size() > 3 ? addf(nb, l, v[2], v[3]) : v[2];
              return activate(
                  nb, l, fs[1],
                  clipped(nb, l, addf(nb, l, v[0], mulf(nb, l, v[1], rec))));
            });
      }
      // (1 - z) h~ + z H
      hNew = broadcastMap(
          b, loc, {z, candidate, hPrev}, shape, element,
          [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
            Value keep = arith::SubFOp::create(nb, l, one(nb, l, v[0]), v[0]);
            return addf(nb, l, mulf(nb, l, keep, v[1]),
                        mulf(nb, l, v[0], v[2]));
          });
    } else {
      // Gates i, o, f, c; peepholes i, o, f.
      SmallVector<Value> pre;
      for (int64_t k = 0; k < 4; ++k)
        pre.push_back(
            broadcastMap(b, loc, {gate(step, k), gate(hr, k)}, shape, element,
                         [&](OpBuilder &nb, Location l, ValueRange v) {
                           return addf(nb, l, v[0], v[1]);
                         }));
      Value zeros = filled(b, loc, {3 * h}, element, 0.0);
      Value p = peephole ? peephole : zeros;
      Value pi = extractSlice(b, loc, p, {0}, {h}, {1});
      Value po = extractSlice(b, loc, p, {h}, {h}, {1});
      Value pf = extractSlice(b, loc, p, {2 * h}, {h}, {1});
      bool forget = r.inputForget;
      cNew = broadcastMap(
          b, loc, {pre[0], pre[2], pre[3], cPrev, pi, pf}, shape, element,
          [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
            Value in = activate(
                nb, l, fs[0],
                clipped(nb, l, addf(nb, l, v[0], mulf(nb, l, v[4], v[3]))));
            Value f =
                forget ? Value(arith::SubFOp::create(nb, l, one(nb, l, in), in))
                       : activate(nb, l, fs[0],
                                  clipped(nb, l,
                                          addf(nb, l, v[1],
                                               mulf(nb, l, v[5], v[3]))));
            Value cell = activate(nb, l, fs[1], clipped(nb, l, v[2]));
            return addf(nb, l, mulf(nb, l, f, v[3]), mulf(nb, l, in, cell));
          });
      hNew = broadcastMap(
          b, loc, {pre[1], cNew, po}, shape, element,
          [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
            Value o = activate(
                nb, l, fs[0],
                clipped(nb, l, addf(nb, l, v[0], mulf(nb, l, v[2], v[1]))));
            return mulf(nb, l, o, activate(nb, l, fs[2], v[1]));
          });
    }

    // Steps past a batch's length keep its state and write zeros.
    Value out = hNew;
    if (lengthColumn) {
      auto masked = [&](Value fresh, Value old) {
        return broadcastMap(
            b, loc, {fresh, old, lengthColumn}, shape, element,
            [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
              Value n =
                  arith::IndexCastOp::create(nb, l, nb.getIndexType(), v[2]);
              Value live =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, t, n);
              return arith::SelectOp::create(nb, l, live, v[0], v[1]);
            });
      };
      Value zero = filledOf(b, loc, sizesOf(b, loc, hNew), element, 0.0);
      out = masked(hNew, zero);
      hNew = masked(hNew, hPrev);
      if (cNew)
        cNew = masked(cNew, cPrev);
    }
    SmallVector<Value> next = {hNew};
    if (cNew)
      next.push_back(cNew);
    next.push_back(setEntry(b, loc, out, yPrev, t));
    scf::YieldOp::create(b, loc, next);
  }
  Run run;
  run.h = loop.getResult(0);
  run.c = c0 ? loop.getResult(1) : Value();
  run.y = loop.getResults().back();
  if (reverse)
    run.y = reverseLeading(b, loc, run.y, lengths);
  return run;
}

LogicalResult lowerRecurrent(NodeContext &ctx, Cell cell) {
  FailureOr<Recurrent> read = readRecurrent(ctx, cell);
  if (failed(read))
    return failure();
  const Recurrent &r = *read;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc;
  // Everything in layout 0: X [S, B, I], states [D, B, H].
  Value x = ctx.value(0);
  if (r.layout)
    x = transpose(b, loc, x, {1, 0, 2});
  SmallVector<OpFoldResult> xs = sizesOf(b, loc, x);
  OpFoldResult batch = xs[1];
  int64_t batchSize = cast<RankedTensorType>(x.getType()).getDimSize(1);
  // `v`'s dimension `dim` is X's batch: a static one and a dynamic one
  // (static ones that differ were refused) are checked to agree when the
  // model runs, and `v` takes X's.
  auto sameBatch = [&](Value v, int64_t dim, StringRef what) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getDimSize(dim) == batchSize)
      return v;
    Value have = tensor::DimOp::create(b, loc, v, dim);
    Value want = getValueOrCreateConstantIndexOp(b, loc, batch);
    cf::AssertOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, have, want),
        "node '" + ctx.name() + "': " + what.str() +
            " and X differ in batch size");
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = batchSize;
    return tensor::CastOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v);
  };
  auto states = [&](int i, StringRef what) -> Value {
    if (!ctx.input(i))
      return filledOf(
          b, loc,
          {b.getIndexAttr(r.directions), batch, b.getIndexAttr(r.hidden)},
          r.element, 0.0);
    Value v = ctx.value(i);
    if (r.layout)
      v = transpose(b, loc, v, {1, 0, 2});
    return sameBatch(v, 1, what);
  };
  Value h0 = states(5, "initial_h");
  Value c0 = cell == Cell::LSTM ? states(6, "initial_c") : Value();
  Value lengths;
  if (ctx.input(4)) {
    lengths = sameBatch(ctx.value(4), 0, "sequence_lens");
    // ONNX Runtime refuses lengths outside [0, seq_length]: a longer one
    // would read past X.
    Value steps = getValueOrCreateConstantIndexOp(b, loc, xs[0]);
    assertAllInRange(
        ctx, lengths, indexConstant(b, loc, 0),
        arith::AddIOp::create(b, loc, steps, indexConstant(b, loc, 1)),
        "sequence_lens lies outside [0, seq_length]");
  }

  SmallVector<Run> runs;
  for (int64_t d = 0; d < r.directions; ++d) {
    bool reverse = d == 1 || r.reverseOnly;
    FailureOr<Run> run = runDirection(
        ctx, r, d, reverse, x, entry(b, loc, h0, b.getIndexAttr(d)),
        c0 ? entry(b, loc, c0, b.getIndexAttr(d)) : Value(), lengths);
    if (failed(run))
      return failure();
    runs.push_back(*run);
  }

  // A batch of length 0 ends with zero states, as in ONNX Runtime.
  auto final = [&](Value state) -> Value {
    if (!lengths)
      return state;
    Value column = reshapeTo(b, loc, lengths, {batch, b.getIndexAttr(1)});
    auto type = cast<RankedTensorType>(state.getType());
    return broadcastMap(
        b, loc, {state, column}, type.getShape(), r.element,
        [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
          Value zero = arith::ConstantIntOp::create(nb, l, v[1].getType(), 0);
          Value empty = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                              v[1], zero);
          return arith::SelectOp::create(nb, l, empty,
                                         scalar(nb, l, r.element, 0.0), v[0]);
        });
  };
  // Y [S, D, B, H] (layout 1: [B, S, D, H]); Y_h, Y_c [D, B, H] ([B, D, H]).
  SmallVector<Value> ys, hs, cs;
  for (const Run &run : runs) {
    SmallVector<OpFoldResult> ysz = sizesOf(b, loc, run.y);
    ys.push_back(
        reshapeTo(b, loc, run.y, {ysz[0], b.getIndexAttr(1), ysz[1], ysz[2]}));
    SmallVector<OpFoldResult> hsz = sizesOf(b, loc, run.h);
    hs.push_back(
        reshapeTo(b, loc, final(run.h), {b.getIndexAttr(1), hsz[0], hsz[1]}));
    if (run.c)
      cs.push_back(
          reshapeTo(b, loc, final(run.c), {b.getIndexAttr(1), hsz[0], hsz[1]}));
  }
  Value y = concatOf(b, loc, ys, 1);
  Value yh = concatOf(b, loc, hs, 0);
  Value yc = cs.empty() ? Value() : concatOf(b, loc, cs, 0);
  if (r.layout) {
    y = transpose(b, loc, y, {2, 0, 1, 3});
    yh = transpose(b, loc, yh, {1, 0, 2});
    if (yc)
      yc = transpose(b, loc, yc, {1, 0, 2});
  }
  ctx.setOutput(0, y);
  if (ctx.node.output_size() > 1)
    ctx.setOutput(1, yh);
  if (yc && ctx.node.output_size() > 2)
    ctx.setOutput(2, yc);
  return success();
}

} // namespace

void onnx_import::registerRecurrentOps(HandlerTable &t) {
  t["RNN"] = [](NodeContext &ctx) { return lowerRecurrent(ctx, Cell::RNN); };
  t["GRU"] = [](NodeContext &ctx) { return lowerRecurrent(ctx, Cell::GRU); };
  t["LSTM"] = [](NodeContext &ctx) { return lowerRecurrent(ctx, Cell::LSTM); };
}
