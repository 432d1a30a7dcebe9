//===- ModelLoader.cpp - reading ONNX protobufs ---------------------------===//
//
// This file parses ONNX models. It is built with exceptions enabled (unlike
// the rest of tern, which follows LLVM) so that anything the ONNX library
// throws on hostile input becomes an error message instead of a crash.
//
//===----------------------------------------------------------------------===//

#include "ModelLoader.h"

#include "onnx/defs/parser.h"

#include <exception>

using namespace mlir::tern;

llvm::Error onnx_import::parseModel(const std::string &bytes, bool text,
                                    onnx::ModelProto &model) {
  try {
    if (text) {
      onnx::Status status = onnx::OnnxParser::Parse(model, bytes.c_str());
      if (!status.IsOK())
        return llvm::createStringError("invalid ONNX text syntax: " +
                                       status.ErrorMessage());
      return llvm::Error::success();
    }
    if (bytes.size() > size_t(INT32_MAX))
      return llvm::createStringError(
          "model protobuf larger than 2 GiB; store the weights as external "
          "data");
    if (!model.ParseFromArray(bytes.data(), int(bytes.size())))
      return llvm::createStringError("malformed or truncated ONNX protobuf");
    return llvm::Error::success();
  } catch (const std::exception &e) {
    return llvm::createStringError(std::string("cannot parse the model: ") +
                                   e.what());
  } catch (...) {
    return llvm::createStringError("cannot parse the model");
  }
}
