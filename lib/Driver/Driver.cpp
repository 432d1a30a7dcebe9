//===- Driver.cpp - what tern's tools share -------------------------------===//
//
// This file implements model loading and entry signatures for the tools.
//
//===----------------------------------------------------------------------===//

#include "tern/Driver/Driver.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using ::tern::runtime::Array;
using ::tern::runtime::DType;
using namespace mlir::tern;

OwningOpRef<ModuleOp> mlir::tern::loadModel(StringRef path,
                                            MLIRContext *context,
                                            const ONNXImportOptions &options) {
  if (looksLikeONNX(path))
    return importONNXFile(path, context, options);
  if (!llvm::sys::fs::exists(path)) {
    emitError(UnknownLoc::get(context)) << "cannot open '" << path << "'";
    return nullptr;
  }
  return parseSourceFile<ModuleOp>(path, context);
}

bool mlir::tern::readSignature(func::FuncOp func, ModelSignature &signature,
                               std::string &error) {
  auto read = [&](Type type, StringAttr name, std::string fallback,
                  std::vector<TensorSignature> &into) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::string n = name ? name.str() : fallback;
    if (!tensor || !tensor.hasStaticShape()) {
      error = "'" + n + "' is not a tensor with a static shape";
      return false;
    }
    into.push_back(
        {n, tensor.getElementType(), SmallVector<int64_t>(tensor.getShape())});
    return true;
  };
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    if (!read(type.getInput(i),
              func.getArgAttrOfType<StringAttr>(i, "onnx.name"),
              "arg" + std::to_string(i), signature.inputs))
      return false;
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    if (!read(type.getResult(i),
              func.getResultAttrOfType<StringAttr>(i, "onnx.name"),
              "result" + std::to_string(i), signature.outputs))
      return false;
  return true;
}

llvm::cl::OptionCategory &mlir::tern::modelToolCategory() {
  static llvm::cl::OptionCategory category("tern options");
  return category;
}

bool mlir::tern::resolveCPU(StringRef name, TargetCPU &cpu,
                            std::string &error) {
  llvm::InitializeNativeTarget();
  cpu.name = name == "native" ? llvm::sys::getHostCPUName().str() : name.str();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, cpu.name, ""));
  if (!subtarget || !subtarget->isCPUStringValid(cpu.name)) {
    error =
        "unknown CPU '" + cpu.name + "' (try x86-64-v3, x86-64-v4 or native)";
    return false;
  }
  if (subtarget->checkFeatures("+avx512f")) {
    cpu.vectorWidth = 16;
    cpu.pmaddubsw = subtarget->checkFeatures("+avx512bw");
    cpu.vpdpbusd = subtarget->checkFeatures("+avx512vnni");
  } else if (subtarget->checkFeatures("+avx")) {
    cpu.vectorWidth = 8;
    cpu.pmaddubsw = subtarget->checkFeatures("+avx2");
    cpu.vpdpbusd = subtarget->checkFeatures("+avxvnni");
  } else {
    cpu.vectorWidth = 4;
  }
  return true;
}

bool mlir::tern::ModelToolOptions::resolveTernaryKernels(
    const TargetCPU &cpu, std::string &activations, std::string &int8Dot,
    std::string &error) const {
  if (ternaryActivations != "f32" && ternaryActivations != "int8") {
    error = "unknown --ternary-activations '" + ternaryActivations +
            "' (expected f32 or int8)";
    return false;
  }
  activations = ternaryActivations;
  return resolveInt8Dot(cpu, ternaryInt8Dot, int8Dot, error);
}

bool mlir::tern::resolveInt8Dot(const TargetCPU &cpu, StringRef requested,
                                std::string &dot, std::string &error) {
  if (requested == "auto") {
    dot = cpu.bestInt8Dot().str();
    return true;
  }
  if (requested != "none" && requested != "generic" &&
      requested != "pmaddubsw" && requested != "vpdpbusd") {
    error = "unknown int8 dot '" + requested.str() +
            "' (expected auto, none, generic, pmaddubsw or vpdpbusd)";
    return false;
  }
  if ((requested == "pmaddubsw" && !cpu.pmaddubsw) ||
      (requested == "vpdpbusd" && !cpu.vpdpbusd)) {
    error = "CPU '" + cpu.name + "' has no " + requested.str() + " in its " +
            std::to_string(32 * cpu.vectorWidth) +
            "-bit registers (its best is " + cpu.bestInt8Dot().str() + ")";
    return false;
  }
  dot = requested.str();
  return true;
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

bool mlir::tern::checkInputs(const ModelSignature &signature,
                             const std::vector<Array> &inputs,
                             const std::vector<std::string> &sources,
                             std::string &error) {
  if (inputs.size() != signature.inputs.size()) {
    error = "the model takes " + std::to_string(signature.inputs.size()) +
            " inputs, got " + std::to_string(inputs.size());
    return false;
  }
  for (auto [i, input] : llvm::enumerate(signature.inputs)) {
    std::string from =
        i < sources.size() ? " from '" + sources[i] + "'" : std::string();
    DType expected = *dtypeOf(input.elementType);
    if (inputs[i].type != expected) {
      error = "input '" + input.name + "'" + from + " is " +
              dtypeName(inputs[i].type) + ", the model expects " +
              dtypeName(expected);
      return false;
    }
    if (ArrayRef<int64_t>(inputs[i].shape) != ArrayRef<int64_t>(input.shape)) {
      error = "input '" + input.name + "'" + from + " has shape " +
              shapeString(inputs[i].shape) + ", the model expects " +
              shapeString(input.shape);
      return false;
    }
  }
  return true;
}
