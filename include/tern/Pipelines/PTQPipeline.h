//===- PTQPipeline.h - post-training quantization in one pipeline -*- C++
//-*-===//
//
// This file declares tern-ptq-pipeline: calibration (when given inputs),
// ternarization and clean-up of an imported model, as one registered
// pipeline:
//
//   tern-opt model.onnx --input-shape x=1x3x48x320 \
//     --tern-ptq-pipeline="method=ptqtp planes=2 calibration=DIR" \
//     -o model.mlirbc
//
//===----------------------------------------------------------------------===//

#ifndef TERN_PIPELINES_PTQPIPELINE_H
#define TERN_PIPELINES_PTQPIPELINE_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::tern {

/// Options of tern-ptq-pipeline: tern-ternarize's, plus where calibration
/// inputs are.
struct PTQPipelineOptions : public PassPipelineOptions<PTQPipelineOptions> {
  PassOptions::Option<std::string> method{
      *this, "method",
      llvm::cl::desc("bt, szt, tequila, ptqtp or dlt (tern-ternarize)"),
      llvm::cl::init("ptqtp")};
  PassOptions::Option<std::string> threshold{
      *this, "threshold",
      llvm::cl::desc("Threshold rule of bt, szt and tequila: sigma, twn, "
                     "absmean, mse or calibrated"),
      llvm::cl::init("mse")};
  PassOptions::Option<int64_t> planes{
      *this, "planes", llvm::cl::desc("Trit planes of ptqtp (1 to 4)"),
      llvm::cl::init(2)};
  PassOptions::Option<int64_t> groupSize{
      *this, "group-size",
      llvm::cl::desc("Weights per group along K; 0 for one group per output "
                     "channel"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> calibration{
      *this, "calibration",
      llvm::cl::desc("Directory of calibration input sets (.npy, as "
                     "tern-calibrate reads them); without it the "
                     "quantization is data-free"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> stats{
      *this, "stats",
      llvm::cl::desc("With calibration: also keep the statistics in this "
                     "file; without: read them from it"),
      llvm::cl::init("")};
  PassOptions::Option<bool> gptq{
      *this, "gptq",
      llvm::cl::desc("GPTQ error feedback (records second moments)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> refitScales{
      *this, "refit-scales",
      llvm::cl::desc("Refit the scales to the output error once the codes "
                     "are chosen (needs second moments)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> biasCorrection{
      *this, "bias-correction",
      llvm::cl::desc("Add (W - What) E[x] to every layer's bias"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> sequential{
      *this, "sequential",
      llvm::cl::desc("Fit each layer to the float model's output from the "
                     "activations it receives with the layers before it "
                     "ternarized (instead of calibrating once, up front)"),
      llvm::cl::init(false)};
  PassOptions::Option<double> bits{
      *this, "bits",
      llvm::cl::desc("ptqtp: average bits per weight; planes (1 to "
                     "`planes`) or float per layer by measured sensitivity"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> include{
      *this, "include",
      llvm::cl::desc("Regular expression: only layers whose name matches"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> exclude{
      *this, "exclude",
      llvm::cl::desc("Regular expression: layers whose name matches stay "
                     "float"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> report{
      *this, "report",
      llvm::cl::desc("Write tern-ternarize's JSON report here (and print "
                     "its table)"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> cpu{
      *this, "cpu", llvm::cl::desc("CPU the calibration runs are compiled for"),
      llvm::cl::init("x86-64-v3")};
};

/// Adds tern-calibrate (with `calibration`), tern-ternarize, and
/// canonicalization (which drops the float weights replaced) to `pm`.
void buildPTQPipeline(OpPassManager &pm, const PTQPipelineOptions &options);

/// Registers tern-ptq-pipeline.
void registerTernPTQPipeline();

} // namespace mlir::tern

#endif // TERN_PIPELINES_PTQPIPELINE_H
