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

/// Writes the ONNX model at `originalPath` (.onnx or .onnxtxt) with the
/// tern.matmul layers of `quantized` substituted, as binary protobuf, to
/// `os`. Errors are diagnostics on `quantized` naming the layer or node.
LogicalResult exportQuantizedONNX(ModuleOp quantized, StringRef originalPath,
                                  ONNXWeightFormat format, raw_ostream &os);

} // namespace mlir::tern

#endif // TERN_TARGET_ONNX_EXPORT_H
