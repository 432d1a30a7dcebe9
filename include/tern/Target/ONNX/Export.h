//===- Export.h - quantized models back to ONNX -----------------*- C++ -*-===//
//
// This file declares the ONNX export of a ternarized model: the original
// ONNX model with every layer tern-ternarize rewrote (found by its node
// name) replaced, either by its dequantized float weights (fake-quant, for
// accuracy checks in any runtime) or by com.microsoft MatMulNBits nodes
// with 2-bit weights, one per trit plane (for ONNX Runtime deployment).
// docs/Quantization.md ("Back to ONNX") describes the encoding.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_TARGET_ONNX_EXPORT_H
#define TERN_TARGET_ONNX_EXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tern {

enum class ONNXWeightFormat {
  FakeQuant,   ///< float weights Ŵ in the original nodes
  MatMulNBits, ///< com.microsoft MatMulNBits, bits = 2, per plane
};

struct ONNXExportOptions {
  ONNXWeightFormat format = ONNXWeightFormat::FakeQuant;
  /// A file to write the weights to as ONNX external data (every
  /// initializer of 1 KiB or more), recorded by its file name: it belongs
  /// in the folder of the exported model. Written when the original model
  /// keeps weights in external data, or when the model would not fit in
  /// protobuf's 2 GiB inline; otherwise every tensor is inline. Empty: always
  /// inline (an error past 2 GiB).
  std::string externalDataPath;
};

/// Writes the ONNX model at `originalPath` (.onnx or .onnxtxt; its
/// external data read from its folder) with the tern.matmul layers of
/// `quantized` substituted and the float weights they replace dropped, as
/// binary protobuf, to `os`. Inputs, outputs and their dynamic axes are the
/// original's. Errors are diagnostics on `quantized` naming the layer or
/// node.
LogicalResult exportQuantizedONNX(ModuleOp quantized, StringRef originalPath,
                                  const ONNXExportOptions &options,
                                  raw_ostream &os);

} // namespace mlir::tern

#endif // TERN_TARGET_ONNX_EXPORT_H
