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

bool onnx_import::parseModel(const std::string &bytes, bool text,
                             onnx::ModelProto &model, std::string &error) {
  try {
    if (text) {
      onnx::Status status = onnx::OnnxParser::Parse(model, bytes.c_str());
      if (!status.IsOK()) {
        error = "invalid ONNX text syntax: " + status.ErrorMessage();
        return false;
      }
      return true;
    }
    if (bytes.size() > size_t(INT32_MAX)) {
      error = "model protobuf larger than 2 GiB; store the weights as "
              "external data";
      return false;
    }
    if (!model.ParseFromArray(bytes.data(), int(bytes.size()))) {
      error = "malformed or truncated ONNX protobuf";
      return false;
    }
    return true;
  } catch (const std::exception &e) {
    error = std::string("cannot parse the model: ") + e.what();
  } catch (...) {
    error = "cannot parse the model";
  }
  return false;
}
