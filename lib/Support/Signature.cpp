//===- Signature.cpp - the inputs and outputs of a model ------------------===//
//
// This file implements reading an entry function's signature and checking
// arrays against it.
//
//===----------------------------------------------------------------------===//

#include "tern/Support/Signature.h"

#include "llvm/ADT/StringMap.h"

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
    if (!tensor)
      return mlir::emitError(func.getLoc(), "'")
             << n << "' of @" << func.getSymName() << " is not a ranked tensor";
    TensorSignature entry{n, tensor.getElementType(),
                          SmallVector<int64_t>(tensor.getShape()),
                          SmallVector<std::string>(tensor.getRank())};
    into.push_back(std::move(entry));
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    if (failed(read(type.getInput(i),
                    func.getArgAttrOfType<StringAttr>(i, kNameAttrName),
                    "arg" + std::to_string(i), signature.inputs)))
      return failure();
    TensorSignature &input = signature.inputs.back();
    auto names = func.getArgAttrOfType<ArrayAttr>(i, kDimNamesAttrName);
    if (!names)
      continue;
    if (names.size() != input.shape.size())
      return mlir::emitError(func.getLoc(), "'")
             << kDimNamesAttrName << "' of argument " << i << " names "
             << names.size() << " dimensions, the argument has "
             << input.shape.size();
    for (auto [d, name] : llvm::enumerate(names)) {
      auto text = dyn_cast<StringAttr>(name);
      if (!text)
        return mlir::emitError(func.getLoc(), "'")
               << kDimNamesAttrName << "' of argument " << i
               << " holds a non-string";
      input.dimNames[d] = text.str();
    }
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    if (failed(read(type.getResult(i),
                    func.getResultAttrOfType<StringAttr>(i, kNameAttrName),
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

bool TensorSignature::hasStaticShape() const {
  return !llvm::any_of(shape, ShapedType::isDynamic);
}

std::string mlir::tern::shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (ShapedType::isDynamic(shape[i])
                                ? std::string("?")
                                : std::to_string(shape[i]));
  return s + ")";
}

llvm::Error mlir::tern::checkInputs(const ModelSignature &signature,
                                    const std::vector<Array> &inputs,
                                    const std::vector<std::string> &sources) {
  if (inputs.size() != signature.inputs.size())
    return llvm::createStringError(
        "the model takes " + std::to_string(signature.inputs.size()) +
        " inputs, got " + std::to_string(inputs.size()));
  // Each named dynamic dimension: its size and the input that set it.
  llvm::StringMap<std::pair<int64_t, size_t>> sizes;
  for (size_t i = 0; i < signature.inputs.size(); ++i) {
    const TensorSignature &input = signature.inputs[i];
    std::string from =
        i < sources.size() ? " from '" + sources[i] + "'" : std::string();
    DType expected = *dtypeOf(input.elementType);
    if (inputs[i].type != expected)
      return llvm::createStringError("input '" + input.name + "'" + from +
                                     " is " + dtypeName(inputs[i].type) +
                                     ", the model expects " +
                                     dtypeName(expected));
    ArrayRef<int64_t> given = inputs[i].shape;
    auto mismatch = [&] {
      return llvm::createStringError("input '" + input.name + "'" + from +
                                     " has shape " + shapeString(given) +
                                     ", the model expects " +
                                     shapeString(input.shape));
    };
    if (given.size() != input.shape.size())
      return mismatch();
    for (auto [d, expected] : llvm::enumerate(input.shape)) {
      if (!ShapedType::isDynamic(expected)) {
        if (given[d] != expected)
          return mismatch();
        continue;
      }
      const std::string &dimName = input.dimNames[d];
      if (dimName.empty())
        continue;
      auto [bound, inserted] = sizes.try_emplace(dimName, given[d], i);
      if (!inserted && bound->second.first != given[d])
        return llvm::createStringError(
            "input '" + input.name + "'" + from + " has " + dimName + " = " +
            std::to_string(given[d]) + " (dimension " + std::to_string(d) +
            "), input '" + signature.inputs[bound->second.second].name +
            "' has " + dimName + " = " + std::to_string(bound->second.first));
    }
  }
  return llvm::Error::success();
}
