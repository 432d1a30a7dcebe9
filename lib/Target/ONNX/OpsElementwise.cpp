//===- OpsElementwise.cpp - elementwise ONNX ops --------------------------===//
//
// This file lowers the elementwise ONNX ops. Every one is a scalar function
// given twice, once on doubles (to fold constants at import time, which is
// what keeps shape computations static) and once as arith/math IR, applied
// by one broadcasting linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

using HostFn = std::function<double(ArrayRef<double>)>;
using IRFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

enum class Domain {
  Any,   ///< floats and integers
  Float, ///< floats only
  Bool,  ///< i1 only
};

/// Applies `host`/`ir` to inputs [first, first + count) broadcast together.
/// `resultType` null means the element type of input `typeFrom`.
LogicalResult lowerElementwise(NodeContext &ctx, int first, int count,
                               Domain domain, Type resultType,
                               const HostFn &host, const IRFn &ir,
                               int typeFrom = 0) {
  SmallVector<Tensor *> inputs;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (int i = first; i < first + count; ++i) {
    Tensor *t = ctx.input(i);
    if (!t)
      return ctx.error() << "expects input " << i;
    inputs.push_back(t);
    shapes.push_back(t->type.getShape());
  }
  Type elementType = inputs[typeFrom - first]->type.getElementType();
  if (domain == Domain::Float && !isa<FloatType>(elementType))
    return ctx.error() << "expects a float tensor, got " << elementType;
  if (domain == Domain::Bool && !elementType.isInteger(1))
    return ctx.error() << "expects a bool tensor, got " << elementType;
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape) {
    InFlightDiagnostic diag = ctx.error() << "cannot broadcast shapes";
    for (ArrayRef<int64_t> s : shapes) {
      diag << " [";
      llvm::interleave(s, diag, "x");
      diag << "]";
    }
    return diag;
  }
  if (!resultType)
    resultType = elementType;

  int64_t size = 1;
  for (int64_t d : *shape)
    size *= d;
  // Known inputs (or known in part: shape arithmetic) are evaluated here,
  // element by element; an element with a run-time operand is computed by
  // the IR form on scalars.
  auto known = [](Tensor *t) { return t->host ? t->host : t->symbolic; };
  bool folded = llvm::none_of(*shape, ShapedType::isDynamic) &&
                size <= kFoldLimit && llvm::all_of(inputs, known);
  if (folded) {
    // Evaluate on the host with numpy broadcasting.
    int64_t rank = shape->size();
    std::vector<double> values(size);
    std::vector<Value> symbols(size);
    SmallVector<double> args(inputs.size());
    SmallVector<int64_t> offsets(inputs.size());
    SmallVector<int64_t> index(rank, 0);
    for (int64_t linear = 0; linear < size; ++linear) {
      bool symbolic = false;
      for (size_t i = 0; i < inputs.size(); ++i) {
        ArrayRef<int64_t> s = shapes[i];
        int64_t offset = 0;
        for (size_t d = 0; d < s.size(); ++d) {
          int64_t at = index[rank - s.size() + d];
          offset = offset * s[d] + (s[d] == 1 ? 0 : at);
        }
        const HostTensor &in = *known(inputs[i]);
        args[i] = in.values[offset];
        offsets[i] = offset;
        symbolic |= in.isSymbolic() && in.symbols[offset];
      }
      if (symbolic) {
        SmallVector<Value> operands;
        for (size_t i = 0; i < inputs.size(); ++i)
          operands.push_back(
              known(inputs[i])->element(ctx.b, ctx.loc, offsets[i]));
        symbols[linear] = ir(ctx.b, ctx.loc, operands);
        values[linear] = 0;
      } else {
        double v = host(args);
        if (auto f = dyn_cast<FloatType>(resultType))
          v = f.isF64() ? v : double(float(v));
        else if (resultType.isInteger(1))
          v = v != 0;
        else
          v = std::trunc(v);
        values[linear] = v;
      }
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < (*shape)[d])
          break;
        index[d] = 0;
      }
    }
    HostTensor result = makeHost(resultType, *shape, std::move(values));
    if (llvm::any_of(symbols, [](Value v) { return bool(v); }))
      result.symbols = std::move(symbols);
    ctx.setOutput(0, std::move(result));
    return success();
  }
  SmallVector<Value> operands;
  for (int i = first; i < first + count; ++i)
    operands.push_back(ctx.value(i));
  ctx.setOutput(0, broadcastMap(ctx.b, ctx.loc, operands, *shape, resultType,
                                [&](OpBuilder &b, Location loc, ValueRange a) {
                                  return ir(b, loc, a);
                                }));
  return success();
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

Value cst(OpBuilder &b, Location loc, Value like, double v) {
  return scalar(b, loc, like.getType(), v);
}

/// A unary float op: host and IR forms.
void addUnary(HandlerTable &t, StringRef name, double (*host)(double),
              std::function<Value(OpBuilder &, Location, Value)> ir) {
  t[name] = [host, ir](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Float, Type(),
        [host](ArrayRef<double> a) { return host(a[0]); },
        [ir](OpBuilder &b, Location loc, ValueRange a) {
          return ir(b, loc, a[0]);
        });
  };
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(
      b, loc, cst(b, loc, x, 1),
      arith::AddFOp::create(b, loc, cst(b, loc, x, 1), e));
}

/// max(lo, min(hi, x)) in IR, NaN-propagating like ONNX.
Value clamp(OpBuilder &b, Location loc, Value x, Value lo, Value hi) {
  if (isFloat(x))
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, lo), hi);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, x, lo),
                                hi);
}

/// A binary op on floats and integers.
void addBinary(HandlerTable &t, StringRef name, double (*host)(double, double),
               std::function<Value(OpBuilder &, Location, Value, Value)> ir,
               bool boolResult = false) {
  t[name] = [host, ir, boolResult](NodeContext &ctx) {
    Type result = boolResult ? ctx.b.getI1Type() : Type();
    return lowerElementwise(
        ctx, 0, 2, Domain::Any, result,
        [host](ArrayRef<double> a) { return host(a[0], a[1]); },
        [ir](OpBuilder &b, Location loc, ValueRange a) {
          return ir(b, loc, a[0], a[1]);
        });
  };
}

/// A comparison: float and integer predicates.
void addCompare(HandlerTable &t, StringRef name, double (*host)(double, double),
                arith::CmpFPredicate fp, arith::CmpIPredicate ip) {
  addBinary(
      t, name, host,
      [fp, ip](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        if (isFloat(x))
          return arith::CmpFOp::create(b, loc, fp, x, y);
        return arith::CmpIOp::create(b, loc, ip, x, y);
      },
      /*boolResult=*/true);
}

/// Max, Min, Sum, Mean: variadic with broadcasting, folded pairwise.
void addVariadic(HandlerTable &t, StringRef name, bool isMax, bool isMin,
                 bool isMean) {
  t[name] = [=](NodeContext &ctx) {
    int n = ctx.numInputs();
    if (n < 1)
      return LogicalResult(ctx.error() << "expects at least one input");
    return lowerElementwise(
        ctx, 0, n, Domain::Any, Type(),
        [=](ArrayRef<double> a) {
          double acc = a[0];
          for (double v : a.drop_front())
            acc = isMax ? std::max(acc, v) : isMin ? std::min(acc, v) : acc + v;
          return isMean ? acc / double(a.size()) : acc;
        },
        [=](OpBuilder &b, Location loc, ValueRange a) {
          Value acc = a[0];
          for (Value v : a.drop_front()) {
            if (isMax)
              acc = isFloat(v)
                        ? Value(arith::MaximumFOp::create(b, loc, acc, v))
                        : Value(arith::MaxSIOp::create(b, loc, acc, v));
            else if (isMin)
              acc = isFloat(v)
                        ? Value(arith::MinimumFOp::create(b, loc, acc, v))
                        : Value(arith::MinSIOp::create(b, loc, acc, v));
            else
              acc = isFloat(v) ? Value(arith::AddFOp::create(b, loc, acc, v))
                               : Value(arith::AddIOp::create(b, loc, acc, v));
          }
          if (isMean)
            acc = arith::DivFOp::create(b, loc, acc,
                                        cst(b, loc, acc, double(a.size())));
          return acc;
        });
  };
}

LogicalResult lowerClip(NodeContext &ctx) {
  if (!ctx.input(0))
    return ctx.error() << "expects an input";
  std::optional<double> lo, hi;
  if (ctx.opset < 11) {
    if (ctx.hasAttr("min"))
      lo = ctx.attrFloat("min", 0);
    if (ctx.hasAttr("max"))
      hi = ctx.attrFloat("max", 0);
  } else {
    for (int i : {1, 2}) {
      if (!ctx.input(i))
        continue;
      const HostTensor *bound = ctx.host(i);
      if (!bound || bound->size() != 1)
        return ctx.error() << "expects input " << i
                           << " (a bound) to be a constant scalar";
      (i == 1 ? lo : hi) = bound->values[0];
    }
  }
  return lowerElementwise(
      ctx, 0, 1, Domain::Any, Type(),
      [=](ArrayRef<double> a) {
        double v = a[0];
        if (lo)
          v = std::max(*lo, v);
        if (hi)
          v = std::min(*hi, v);
        return v;
      },
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value v = a[0];
        if (lo)
          v = isFloat(v) ? Value(arith::MaximumFOp::create(b, loc, v,
                                                           cst(b, loc, v, *lo)))
                         : Value(arith::MaxSIOp::create(b, loc, v,
                                                        cst(b, loc, v, *lo)));
        if (hi)
          v = isFloat(v) ? Value(arith::MinimumFOp::create(b, loc, v,
                                                           cst(b, loc, v, *hi)))
                         : Value(arith::MinSIOp::create(b, loc, v,
                                                        cst(b, loc, v, *hi)));
        return v;
      });
}

LogicalResult lowerCast(NodeContext &ctx) {
  int64_t to = ctx.attrInt("to", -1);
  Type type = elementTypeOf(ctx.b.getContext(), int32_t(to));
  if (!type)
    return ctx.error() << "casts to unsupported " << onnxTypeName(int32_t(to));
  bool toFloat = isa<FloatType>(type);
  return lowerElementwise(
      ctx, 0, 1, Domain::Any, type,
      [=](ArrayRef<double> a) { return toFloat ? a[0] : std::trunc(a[0]); },
      [=](OpBuilder &b, Location loc, ValueRange a) {
        return convertScalar(b, loc, a[0], type);
      });
}

LogicalResult lowerIdentity(NodeContext &ctx) {
  Tensor *x = ctx.input(0);
  if (!x)
    return ctx.error() << "expects an input";
  if (ctx.node.op_type() == "Dropout") {
    bool training = ctx.opset < 12 ? false : ctx.input(2) != nullptr;
    if (training) {
      const HostTensor *mode = ctx.host(2);
      if (!mode || mode->size() != 1)
        return ctx.error() << "needs training_mode known at import time";
      training = mode->values[0] != 0;
    }
    if (training || (ctx.opset < 7 && ctx.attrInt("is_test", 0) == 0))
      return ctx.error() << "is in training mode; tern imports inference "
                            "graphs";
  }
  ctx.setOutput(0, *x);
  if (ctx.node.op_type() == "Dropout" && ctx.node.output_size() > 1 &&
      !ctx.node.output(1).empty()) {
    // Inference: nothing is dropped, the mask is all true.
    ctx.setOutput(1,
                  makeHost(ctx.b.getI1Type(), x->type.getShape(),
                           std::vector<double>(x->type.getNumElements(), 1.0)));
  }
  return success();
}

LogicalResult lowerWhere(NodeContext &ctx) {
  Tensor *c = ctx.input(0);
  if (!c || !c->type.getElementType().isInteger(1))
    return ctx.error() << "expects a bool condition";
  return lowerElementwise(
      ctx, 0, 3, Domain::Any, Type(),
      [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; },
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
      },
      /*typeFrom=*/1);
}

/// Gelu of x, exact (erf) or with the tanh approximation: on the host and
/// in IR.
double geluHost(double x, bool tanhApprox) {
  if (tanhApprox)
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}

Value gelu(OpBuilder &b, Location loc, Value x, bool tanhApprox) {
  Value inner;
  if (tanhApprox) {
    Value x3 =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value poly = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, cst(b, loc, x, 0.044715), x3));
    inner = math::TanhOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, cst(b, loc, x, std::sqrt(2 / M_PI)),
                              poly));
  } else {
    inner = math::ErfOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, x, cst(b, loc, x, 1 / std::sqrt(2.0))));
  }
  Value half = arith::MulFOp::create(b, loc, cst(b, loc, x, 0.5), x);
  return arith::MulFOp::create(
      b, loc, half, arith::AddFOp::create(b, loc, cst(b, loc, x, 1), inner));
}

/// Gelu of input 0, plus input 1 first when `biased` and it is given
/// (ONNX Gelu; com.microsoft's FastGelu with its optional bias, BiasGelu).
LogicalResult lowerGeluOf(NodeContext &ctx, bool tanhApprox, bool biased) {
  int count = biased && ctx.input(1) ? 2 : 1;
  return lowerElementwise(
      ctx, 0, count, Domain::Float, Type(),
      [=](ArrayRef<double> a) {
        return geluHost(count == 2 ? a[0] + a[1] : a[0], tanhApprox);
      },
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = count == 2 ? arith::AddFOp::create(b, loc, a[0], a[1]) : a[0];
        return gelu(b, loc, x, tanhApprox);
      });
}

LogicalResult lowerGelu(NodeContext &ctx) {
  return lowerGeluOf(ctx, ctx.attrString("approximate", "none") == "tanh",
                     /*biased=*/false);
}

} // namespace

void onnx_import::registerElementwiseOps(HandlerTable &t) {
  addBinary(
      t, "Add", [](double x, double y) { return x + y; },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return isFloat(x) ? Value(arith::AddFOp::create(b, loc, x, y))
                          : Value(arith::AddIOp::create(b, loc, x, y));
      });
  addBinary(
      t, "Sub", [](double x, double y) { return x - y; },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return isFloat(x) ? Value(arith::SubFOp::create(b, loc, x, y))
                          : Value(arith::SubIOp::create(b, loc, x, y));
      });
  addBinary(
      t, "Mul", [](double x, double y) { return x * y; },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return isFloat(x) ? Value(arith::MulFOp::create(b, loc, x, y))
                          : Value(arith::MulIOp::create(b, loc, x, y));
      });
  addBinary(
      t, "Div",
      [](double x, double y) {
        // Integer division truncates; the caller truncates integer results.
        return x / y;
      },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return isFloat(x) ? Value(arith::DivFOp::create(b, loc, x, y))
                          : Value(arith::DivSIOp::create(b, loc, x, y));
      });
  t["Pow"] = [](NodeContext &ctx) {
    Tensor *x = ctx.input(0), *y = ctx.input(1);
    if (!x || !y)
      return LogicalResult(ctx.error() << "expects two inputs");
    // The result has the base's type; integer bases go through ipowi, or
    // through f64 for a float exponent.
    Type base = x->type.getElementType();
    return lowerElementwise(
        ctx, 0, 2, Domain::Any, base,
        [](ArrayRef<double> a) { return std::pow(a[0], a[1]); },
        [base](OpBuilder &b, Location loc, ValueRange a) -> Value {
          if (isa<FloatType>(base))
            return math::PowFOp::create(b, loc, a[0],
                                        convertScalar(b, loc, a[1], base));
          if (!isFloat(a[1]))
            return math::IPowIOp::create(b, loc, a[0],
                                         convertScalar(b, loc, a[1], base));
          Type f64 = b.getF64Type();
          Value p =
              math::PowFOp::create(b, loc, convertScalar(b, loc, a[0], f64),
                                   convertScalar(b, loc, a[1], f64));
          return convertScalar(b, loc, p, base);
        });
  };
  addCompare(
      t, "Equal", [](double x, double y) { return double(x == y); },
      arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq);
  addCompare(
      t, "Less", [](double x, double y) { return double(x < y); },
      arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt);
  addCompare(
      t, "LessOrEqual", [](double x, double y) { return double(x <= y); },
      arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle);
  addCompare(
      t, "Greater", [](double x, double y) { return double(x > y); },
      arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt);
  addCompare(
      t, "GreaterOrEqual", [](double x, double y) { return double(x >= y); },
      arith::CmpFPredicate::OGE, arith::CmpIPredicate::sge);
  addVariadic(t, "Max", true, false, false);
  addVariadic(t, "Min", false, true, false);
  addVariadic(t, "Sum", false, false, false);
  addVariadic(t, "Mean", false, false, true);

  addUnary(
      t, "Sqrt", [](double x) { return std::sqrt(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::SqrtOp::create(b, loc, x);
      });
  addUnary(
      t, "Reciprocal", [](double x) { return 1 / x; },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return arith::DivFOp::create(b, loc, cst(b, loc, x, 1), x);
      });
  addUnary(
      t, "Exp", [](double x) { return std::exp(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::ExpOp::create(b, loc, x);
      });
  addUnary(
      t, "Log", [](double x) { return std::log(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::LogOp::create(b, loc, x);
      });
  addUnary(
      t, "Erf", [](double x) { return std::erf(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::ErfOp::create(b, loc, x);
      });
  addUnary(
      t, "Tanh", [](double x) { return std::tanh(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::TanhOp::create(b, loc, x);
      });
  addUnary(
      t, "Sin", [](double x) { return std::sin(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::SinOp::create(b, loc, x);
      });
  addUnary(
      t, "Cos", [](double x) { return std::cos(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::CosOp::create(b, loc, x);
      });
  addUnary(
      t, "Floor", [](double x) { return std::floor(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::FloorOp::create(b, loc, x);
      });
  addUnary(
      t, "Ceil", [](double x) { return std::ceil(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::CeilOp::create(b, loc, x);
      });
  addUnary(
      t, "Sigmoid", [](double x) { return 1 / (1 + std::exp(-x)); }, sigmoid);
  addUnary(
      t, "Relu", [](double x) { return std::max(x, 0.0); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, 0));
      });
  t["Neg"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Any, Type(),
        [](ArrayRef<double> a) { return -a[0]; },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          if (isFloat(a[0]))
            return arith::NegFOp::create(b, loc, a[0]);
          return arith::SubIOp::create(b, loc, cst(b, loc, a[0], 0), a[0]);
        });
  };
  t["Abs"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Any, Type(),
        [](ArrayRef<double> a) { return std::fabs(a[0]); },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          if (isFloat(a[0]))
            return math::AbsFOp::create(b, loc, a[0]);
          return math::AbsIOp::create(b, loc, a[0]);
        });
  };
  t["Not"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Bool, Type(),
        [](ArrayRef<double> a) { return double(a[0] == 0); },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::XOrIOp::create(b, loc, a[0], cst(b, loc, a[0], 1));
        });
  };
  // And, Or, Xor of booleans (i1): the bitwise arith ops.
  auto addLogical = [&](StringRef name, double (*host)(bool, bool),
                        auto build) {
    t[name] = [=](NodeContext &ctx) {
      return lowerElementwise(
          ctx, 0, 2, Domain::Bool, Type(),
          [=](ArrayRef<double> a) { return host(a[0] != 0, a[1] != 0); },
          [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
            return build(b, loc, a[0], a[1]);
          });
    };
  };
  addLogical(
      "And", [](bool x, bool y) { return double(x && y); },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return arith::AndIOp::create(b, loc, x, y);
      });
  addLogical(
      "Or", [](bool x, bool y) { return double(x || y); },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return arith::OrIOp::create(b, loc, x, y);
      });
  addLogical(
      "Xor", [](bool x, bool y) { return double(x != y); },
      [](OpBuilder &b, Location loc, Value x, Value y) -> Value {
        return arith::XOrIOp::create(b, loc, x, y);
      });
  t["LeakyRelu"] = [](NodeContext &ctx) {
    double alpha = ctx.attrFloat("alpha", 0.01f);
    return lowerElementwise(
        ctx, 0, 1, Domain::Float, Type(),
        [=](ArrayRef<double> a) { return a[0] >= 0 ? a[0] : alpha * a[0]; },
        [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0];
          Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                            x, cst(b, loc, x, 0));
          return arith::SelectOp::create(
              b, loc, neg,
              arith::MulFOp::create(b, loc, x, cst(b, loc, x, alpha)), x);
        });
  };
  t["HardSigmoid"] = [](NodeContext &ctx) {
    double alpha = ctx.attrFloat("alpha", 0.2f);
    double beta = ctx.attrFloat("beta", 0.5f);
    return lowerElementwise(
        ctx, 0, 1, Domain::Float, Type(),
        [=](ArrayRef<double> a) {
          return std::max(0.0, std::min(1.0, alpha * a[0] + beta));
        },
        [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0];
          Value y = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, alpha)),
              cst(b, loc, x, beta));
          return clamp(b, loc, y, cst(b, loc, x, 0), cst(b, loc, x, 1));
        });
  };
  t["HardSwish"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Float, Type(),
        [](ArrayRef<double> a) {
          return a[0] * std::max(0.0, std::min(1.0, a[0] / 6 + 0.5));
        },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0];
          Value y = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, 1.0 / 6)),
              cst(b, loc, x, 0.5));
          return arith::MulFOp::create(
              b, loc, x,
              clamp(b, loc, y, cst(b, loc, x, 0), cst(b, loc, x, 1)));
        });
  };
  // Activations and rounding (float only unless said otherwise).
  auto softplus = [](OpBuilder &b, Location loc, Value x) -> Value {
    // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
    Value e = math::ExpOp::create(
        b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x)));
    return arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, 0)),
        math::LogOp::create(
            b, loc, arith::AddFOp::create(b, loc, cst(b, loc, x, 1), e)));
  };
  auto hostSoftplus = [](double x) {
    return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
  };
  addUnary(t, "Softplus", +hostSoftplus, softplus);
  addUnary(
      t, "Mish",
      [](double x) {
        return x * std::tanh(std::max(x, 0.0) +
                             std::log1p(std::exp(-std::fabs(x))));
      },
      [=](OpBuilder &b, Location loc, Value x) -> Value {
        return arith::MulFOp::create(
            b, loc, x, math::TanhOp::create(b, loc, softplus(b, loc, x)));
      });
  addUnary(
      t, "Round", [](double x) { return std::nearbyint(x); },
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::RoundEvenOp::create(b, loc, x);
      });
  // x < 0 ? scale * (exp(x / inner) - 1) : x, times `outer`: Elu, Celu
  // (as max(0, x) + min(0, ...) is for x >= 0 and x < 0 alike) and Selu.
  auto addExponentialLinear = [&](StringRef name, double alpha, double gamma,
                                  bool celu) {
    t[name] = [=](NodeContext &ctx) {
      double a = ctx.attrFloat("alpha", float(alpha));
      double g = ctx.attrFloat("gamma", float(gamma));
      if (celu && a == 0)
        return LogicalResult(ctx.error() << "alpha must not be 0");
      double inner = celu ? a : 1.0;
      return lowerElementwise(
          ctx, 0, 1, Domain::Float, Type(),
          [=](ArrayRef<double> v) {
            double x = v[0];
            return g * (x < 0 ? a * (std::exp(x / inner) - 1) : x);
          },
          [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
            Value x = v[0];
            Value negative = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OLT, x, cst(b, loc, x, 0));
            Value scaled =
                arith::DivFOp::create(b, loc, x, cst(b, loc, x, inner));
            Value curve = arith::MulFOp::create(
                b, loc, cst(b, loc, x, a),
                arith::SubFOp::create(b, loc,
                                      math::ExpOp::create(b, loc, scaled),
                                      cst(b, loc, x, 1)));
            Value y = arith::SelectOp::create(b, loc, negative, curve, x);
            if (g == 1)
              return y;
            return arith::MulFOp::create(b, loc, y, cst(b, loc, x, g));
          });
    };
  };
  addExponentialLinear("Elu", 1.0, 1.0, false);
  addExponentialLinear("Celu", 1.0, 1.0, true);
  addExponentialLinear("Selu", 1.67326319217681884765625,
                       1.05070102214813232421875, false);
  t["Sign"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Any, Type(),
        [](ArrayRef<double> a) {
          return a[0] > 0 ? 1.0 : a[0] < 0 ? -1.0 : a[0];
        },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0];
          Value positive, negative, otherwise = x;
          if (isFloat(x)) {
            positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                             x, cst(b, loc, x, 0));
            negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                             x, cst(b, loc, x, 0));
          } else {
            positive = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                             x, cst(b, loc, x, 0));
            negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             x, cst(b, loc, x, 0));
          }
          Value low = arith::SelectOp::create(b, loc, negative,
                                              cst(b, loc, x, -1), otherwise);
          return arith::SelectOp::create(b, loc, positive, cst(b, loc, x, 1),
                                         low);
        });
  };
  t["IsNaN"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 1, Domain::Float, ctx.b.getI1Type(),
        [](ArrayRef<double> a) { return double(std::isnan(a[0])); },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, a[0],
                                       a[0]);
        });
  };
  // PRelu(x, slope): slope broadcasts to x (unidirectionally: the result
  // has x's shape, which broadcasting both checks less strictly).
  t["PRelu"] = [](NodeContext &ctx) {
    return lowerElementwise(
        ctx, 0, 2, Domain::Any, Type(),
        [](ArrayRef<double> a) { return a[0] < 0 ? a[1] * a[0] : a[0]; },
        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0], slope = a[1];
          if (isFloat(x))
            return arith::SelectOp::create(
                b, loc,
                arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      cst(b, loc, x, 0)),
                arith::MulFOp::create(b, loc, slope, x), x);
          return arith::SelectOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x,
                                    cst(b, loc, x, 0)),
              arith::MulIOp::create(b, loc, slope, x), x);
        });
  };
  // Mod: fmod = 1 is C's fmod (the dividend's sign), fmod = 0 Python's %
  // (the divisor's sign, integers only, as ONNX defines it).
  t["Mod"] = [](NodeContext &ctx) {
    int64_t fmod = ctx.attrInt("fmod", 0);
    if (fmod != 0 && fmod != 1)
      return LogicalResult(ctx.error() << "fmod must be 0 or 1, got " << fmod);
    Tensor *x = ctx.input(0);
    if (x && isa<FloatType>(x->type.getElementType()) && fmod == 0)
      return LogicalResult(ctx.error()
                           << "fmod = 0 (integer remainder) on a float tensor: "
                              "ONNX requires fmod = 1 for floats");
    return lowerElementwise(
        ctx, 0, 2, Domain::Any, Type(),
        [=](ArrayRef<double> a) {
          if (a[1] == 0)
            return fmod ? std::nan("") : 0.0;
          double r = std::fmod(a[0], a[1]);
          if (!fmod && r != 0 && ((r < 0) != (a[1] < 0)))
            r += a[1];
          return r;
        },
        [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0], y = a[1];
          if (isFloat(x))
            return arith::RemFOp::create(b, loc, x, y);
          Value r = arith::RemSIOp::create(b, loc, x, y);
          if (fmod)
            return r;
          Value zero = cst(b, loc, x, 0);
          Value nonzero =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
          Value signsDiffer = arith::XOrIOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero),
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y,
                                    zero));
          return arith::SelectOp::create(
              b, loc, arith::AndIOp::create(b, loc, nonzero, signsDiffer),
              arith::AddIOp::create(b, loc, r, y), r);
        });
  };
  t["Gelu"] = lowerGelu;
  // ONNX Runtime's contributed activations (com.microsoft).
  t[contribOp("FastGelu")] = [](NodeContext &ctx) {
    return lowerGeluOf(ctx, /*tanhApprox=*/true, /*biased=*/true);
  };
  t[contribOp("BiasGelu")] = [](NodeContext &ctx) {
    return lowerGeluOf(ctx, /*tanhApprox=*/false, /*biased=*/true);
  };
  t[contribOp("QuickGelu")] = [](NodeContext &ctx) {
    double alpha = ctx.attrFloat("alpha", 1.702f);
    return lowerElementwise(
        ctx, 0, 1, Domain::Float, Type(),
        [=](ArrayRef<double> a) {
          return a[0] / (1 + std::exp(-alpha * a[0]));
        },
        [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
          Value x = a[0];
          return arith::MulFOp::create(
              b, loc, x,
              sigmoid(b, loc,
                      arith::MulFOp::create(b, loc, x, cst(b, loc, x, alpha))));
        });
  };
  t["Clip"] = lowerClip;
  t["Cast"] = lowerCast;
  t["Where"] = lowerWhere;
  t["Identity"] = lowerIdentity;
  t["Dropout"] = lowerIdentity;
}
