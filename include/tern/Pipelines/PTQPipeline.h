//===- PTQPipeline.h - post-training quantization pipeline ------*- C++ -*-===//
//
// This file declares tern-ptq-pipeline: calibration (when given inputs),
// ternarization and clean-up of an imported model, as one registered
// pipeline:
//
//   tern-opt model.onnx --input-shape x=1x3x48x320
//     --tern-ptq-pipeline="method=ptqtp planes=2 calibration=DIR"
//     -o model.mlirbc
//
//===----------------------------------------------------------------------===//

#ifndef TERN_PIPELINES_PTQPIPELINE_H
#define TERN_PIPELINES_PTQPIPELINE_H

#include "tern/Quantization/TernarizeOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::tern {

/// Options of tern-ptq-pipeline: tern-ternarize's, the same declarations
/// (TernarizeOptions.h), so that every pass option is a pipeline option.
/// `calibration=DIR` also runs tern-calibrate on DIR first (unless
/// sequential), writing its statistics to `stats=` if given.
using PTQPipelineOptions = TernarizeOptions;

/// Adds tern-calibrate (with `calibration`), tern-ternarize, and
/// canonicalization (which drops the float weights replaced) to `pm`.
void buildPTQPipeline(OpPassManager &pm, const PTQPipelineOptions &options);

/// Registers tern-ptq-pipeline.
void registerTernPTQPipeline();

} // namespace mlir::tern

#endif // TERN_PIPELINES_PTQPIPELINE_H
