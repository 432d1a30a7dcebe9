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
    // What fits through E[x xᵀ]: GPTQ, the scale refit, learned rounding,
    // rotated statistics and the Hessian-weighted low-rank correction.
    calibrate.secondMoment =
        options.gptq || options.refitScales || options.refineCodes > 0 ||
        options.rotate ||
        (options.lowRank > 0 &&
         options.lowRankWeight == ::tern::quant::LowRankWeight::Hessian);
    calibrate.convolutions = convolutionLayersName(options.convolutions).str();
    calibrate.cpu = options.cpu;
    calibrate.quiet = options.quiet;
    pm.addPass(createCalibrate(calibrate));
  }
  pm.addPass(createTernarize(options));
  pm.addPass(createCanonicalizerPass());
}

void mlir::tern::registerTernPTQPipeline() {
  PassPipelineRegistration<PTQPipelineOptions>(
      "tern-ptq-pipeline",
      "Post-training ternarization of an imported model: tern-calibrate on "
      "the calibration inputs (if given), tern-ternarize, canonicalize",
      buildPTQPipeline);
}
