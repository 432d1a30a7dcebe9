//===- TernToLinalg.h - reference lowering of tern ops ----------*- C++ -*-===//
//
// This file declares the patterns of the reference lowering from tern to
// float linalg, for pipelines that compose them with their own.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_CONVERSION_TERNTOLINALG_TERNTOLINALG_H
#define TERN_CONVERSION_TERNTOLINALG_TERNTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tern {

/// Converts tensors of `!tern.trit`/`!tern.szt` to tensors of i8 holding the
/// 2-bit sign/magnitude code; other types are left as they are.
void populateTernToLinalgTypeConversion(TypeConverter &converter);

/// Adds the patterns that lower tern.constant, tern.quantize,
/// tern.dequantize and tern.matmul to linalg/arith/tensor.
void populateTernToLinalgConversionPatterns(const TypeConverter &converter,
                                            RewritePatternSet &patterns);

} // namespace mlir::tern

#endif // TERN_CONVERSION_TERNTOLINALG_TERNTOLINALG_H
