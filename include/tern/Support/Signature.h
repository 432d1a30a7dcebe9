//===- Signature.h - the inputs and outputs of a model ----------*- C++ -*-===//
//
// This file declares the signature of a model's entry function (names,
// element types and shapes of its tensors) and the checks of arrays fed to
// it. The PTQ passes check calibration inputs against it, and the tools
// check what a user passes.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_SUPPORT_SIGNATURE_H
#define TERN_SUPPORT_SIGNATURE_H

#include "tern/Support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::tern {

/// One input or output of an entry function.
struct TensorSignature {
  std::string name; ///< the ONNX name, or argN / resultN
  Type elementType;
  /// ShapedType::kDynamic for a dimension fixed only when the model runs.
  SmallVector<int64_t> shape;
  /// Per dimension, the name of a dynamic one (`onnx.dim_params`: ONNX's
  /// dim_param, e.g. "batch"), or empty. Inputs that name the same
  /// dimension must agree on its size.
  SmallVector<std::string> dimNames;

  bool hasStaticShape() const;
};

struct ModelSignature {
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
};

/// The argument and result attribute holding an input's or output's name
/// (the ONNX name).
constexpr StringLiteral kNameAttrName = "onnx.name";

/// The argument attribute naming the dynamic dimensions of an input: an
/// array of one string per dimension, empty for the unnamed ones.
constexpr StringLiteral kDimNamesAttrName = "onnx.dim_params";

/// The signature of `func`, whose arguments and results must be ranked
/// tensors (dimensions may be dynamic); fails with a diagnostic at `func`.
FailureOr<ModelSignature> readSignature(func::FuncOp func);

/// The signature of function `entry` of `module`, whose arguments and
/// results must be ranked tensors of element types tern exchanges
/// (dtypeOf); fails with a diagnostic at the function (at `module` when it
/// has none).
FailureOr<ModelSignature> readEntrySignature(ModuleOp module, StringRef entry);

/// The array type of an MLIR element type, if tern can exchange it.
std::optional<::tern::support::DType> dtypeOf(Type type);

/// "(2, 3)"; a dynamic dimension prints as "?".
std::string shapeString(ArrayRef<int64_t> shape);

/// Checks that `inputs` match the inputs of `signature` (types, ranks and
/// static dimensions, in order; dynamic dimensions of one name agree); the
/// error names the input and `sources[i]` when given.
llvm::Error checkInputs(const ModelSignature &signature,
                        const std::vector<::tern::support::Array> &inputs,
                        const std::vector<std::string> &sources);

} // namespace mlir::tern

#endif // TERN_SUPPORT_SIGNATURE_H
