//===- PTQPipeline.cpp - post-training quantization in one pipeline -------===//
//
// This file builds and registers tern-ptq-pipeline.
//
//===----------------------------------------------------------------------===//

#include "tern/Pipelines/PTQPipeline.h"

#include "tern/Quantization/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::tern;

void mlir::tern::buildPTQPipeline(OpPassManager &pm,
                                  const PTQPipelineOptions &options) {
  if (!options.calibration.empty() && !options.sequential) {
    // Without a stats file the statistics travel on the module.
    CalibrateOptions calibrate;
    calibrate.inputs = options.calibration;
    calibrate.stats = options.stats;
    calibrate.secondMoment = options.gptq || options.refitScales;
    calibrate.cpu = options.cpu;
    pm.addPass(createCalibrate(calibrate));
  }
  TernarizeOptions ternarize;
  ternarize.method = options.method;
  ternarize.threshold = options.threshold;
  ternarize.planes = options.planes;
  ternarize.groupSize = options.groupSize;
  ternarize.stats = options.stats;
  ternarize.gptq = options.gptq;
  ternarize.calibrationInputs = options.calibration;
  ternarize.sequential = options.sequential;
  ternarize.bits = options.bits;
  ternarize.cpu = options.cpu;
  ternarize.biasCorrection = options.biasCorrection;
  ternarize.refitScales = options.refitScales;
  ternarize.include = options.include;
  ternarize.exclude = options.exclude;
  ternarize.report = options.report;
  pm.addPass(createTernarize(ternarize));
  pm.addPass(createCanonicalizerPass());
}

void mlir::tern::registerTernPTQPipeline() {
  PassPipelineRegistration<PTQPipelineOptions>(
      "tern-ptq-pipeline",
      "Post-training ternarization of an imported model: tern-calibrate on "
      "the calibration inputs (if given), tern-ternarize, canonicalize",
      buildPTQPipeline);
}
