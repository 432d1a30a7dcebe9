//===- Signature.cpp - the inputs and outputs of a model ------------------===//
//
// This file implements reading an entry function's signature and checking
// arrays against it.
//
//===----------------------------------------------------------------------===//

#include "tern/Support/Signature.h"

using namespace mlir;
using ::tern::support::Array;
using ::tern::support::DType;
using namespace mlir::tern;

FailureOr<ModelSignature> mlir::tern::readSignature(func::FuncOp func) {
  ModelSignature signature;
  auto read = [&](Type type, StringAttr name, std::string fallback,
                  std::vector<TensorSignature> &into) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::string n = name ? name.str() : fallback;
    if (!tensor || !tensor.hasStaticShape())
      return mlir::emitError(func.getLoc(), "'")
             << n << "' of @" << func.getSymName()
             << " is not a tensor with a static shape";
    into.push_back(
        {n, tensor.getElementType(), SmallVector<int64_t>(tensor.getShape())});
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    if (failed(read(type.getInput(i),
                    func.getArgAttrOfType<StringAttr>(i, "onnx.name"),
                    "arg" + std::to_string(i), signature.inputs)))
      return failure();
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    if (failed(read(type.getResult(i),
                    func.getResultAttrOfType<StringAttr>(i, "onnx.name"),
                    "result" + std::to_string(i), signature.outputs)))
      return failure();
  return signature;
}

FailureOr<ModelSignature> mlir::tern::readEntrySignature(ModuleOp module,
                                                         StringRef entry) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return mlir::emitError(module.getLoc(), "the model has no function @")
           << entry;
  FailureOr<ModelSignature> signature = readSignature(func);
  if (failed(signature))
    return failure();
  for (const TensorSignature &input : signature->inputs)
    if (!dtypeOf(input.elementType))
      return mlir::emitError(func.getLoc(), "input '")
             << input.name << "' has element type " << input.elementType
             << ", which tern cannot feed";
  for (const TensorSignature &output : signature->outputs)
    if (!dtypeOf(output.elementType))
      return mlir::emitError(func.getLoc(), "output '")
             << output.name << "' has element type " << output.elementType
             << ", which tern cannot return";
  return signature;
}

std::optional<DType> mlir::tern::dtypeOf(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF64())
    return DType::F64;
  if (type.isF16())
    return DType::F16;
  if (type.isInteger(64))
    return DType::I64;
  if (type.isInteger(32))
    return DType::I32;
  if (type.isInteger(16))
    return DType::I16;
  if (type.isInteger(8))
    return DType::I8;
  if (type.isInteger(1))
    return DType::Bool;
  return std::nullopt;
}

std::string mlir::tern::shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

llvm::Error mlir::tern::checkInputs(const ModelSignature &signature,
                                    const std::vector<Array> &inputs,
                                    const std::vector<std::string> &sources) {
  if (inputs.size() != signature.inputs.size())
    return llvm::createStringError(
        "the model takes " + std::to_string(signature.inputs.size()) +
        " inputs, got " + std::to_string(inputs.size()));
  for (auto [i, input] : llvm::enumerate(signature.inputs)) {
    std::string from =
        i < sources.size() ? " from '" + sources[i] + "'" : std::string();
    DType expected = *dtypeOf(input.elementType);
    if (inputs[i].type != expected)
      return llvm::createStringError("input '" + input.name + "'" + from +
                                     " is " + dtypeName(inputs[i].type) +
                                     ", the model expects " +
                                     dtypeName(expected));
    if (ArrayRef<int64_t>(inputs[i].shape) != ArrayRef<int64_t>(input.shape))
      return llvm::createStringError(
          "input '" + input.name + "'" + from + " has shape " +
          shapeString(inputs[i].shape) + ", the model expects " +
          shapeString(input.shape));
  }
  return llvm::Error::success();
}
