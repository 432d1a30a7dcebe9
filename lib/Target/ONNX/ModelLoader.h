//===- ModelLoader.h - reading ONNX protobufs -------------------*- C++ -*-===//
//
// This file declares the only code that calls into the ONNX library. It is
// compiled with exceptions, because the ONNX text parser can throw, and turns
// everything into error strings.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_LIB_TARGET_ONNX_MODELLOADER_H
#define TERN_LIB_TARGET_ONNX_MODELLOADER_H

#include "onnx/onnx_pb.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::tern::onnx_import {

/// Parses a model from binary protobuf or, if `text`, the ONNX text syntax.
llvm::Error parseModel(const std::string &bytes, bool text,
                       onnx::ModelProto &model);

} // namespace mlir::tern::onnx_import

#endif // TERN_LIB_TARGET_ONNX_MODELLOADER_H
