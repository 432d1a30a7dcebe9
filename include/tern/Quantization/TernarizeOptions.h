//===- TernarizeOptions.h - tern-ternarize options --------------*- C++ -*-===//
//
// This file declares tern-ternarize's options once, typed: the pass
// declares them on itself and tern-ptq-pipeline's options are the same set,
// so every option of the pass is an option of the pipeline with the same
// name, type, default and help (docs/Architecture.md, "Options").
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_TERNARIZEOPTIONS_H
#define TERN_QUANTIZATION_TERNARIZEOPTIONS_H

#include "tern/Quant/Correction.h"
#include "tern/Quant/Kept.h"
#include "tern/Quant/Methods.h"
#include "tern/Quant/Packing.h"
#include "tern/Quantization/Layers.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

#include <string>
#include <type_traits>

namespace mlir::tern {

/// What tern-ternarize fits a layer with.
enum class TernarizeMethod {
  BT,      ///< balanced ternary, one plane, a threshold rule
  SZT,     ///< BT with signed zeros
  Tequila, ///< BT plus Tequila's dead-zone bias
  PTQTP,   ///< trit planes
  DLT,     ///< one plane, a scale and a shift per group
  Sherry,  ///< 3:4 sparse trits
};

/// What sequential fitting fits a layer's output to.
enum class SequentialTarget {
  Layer, ///< the float layer's output
  Block, ///< for a layer added to a residual stream, the float model's sum
};

/// The option's name ("ptqtp").
StringRef stringifyTernarizeMethod(TernarizeMethod method);

/// tern-ternarize's options. `Owner` is the pass (`Pass`) or an options
/// struct (`detail::PassOptions`); both hand `*this` to the constructor,
/// which declares every option on it.
template <typename Owner> struct TernarizeOptionSet {
  template <typename T>
  using Option =
      std::conditional_t<std::is_base_of_v<Pass, Owner>, Pass::Option<T>,
                         ::mlir::detail::PassOptions::Option<T>>;

  explicit TernarizeOptionSet(Owner &owner)
      : method(owner, "method",
               llvm::cl::desc("How each layer is fitted (docs/"
                              "Quantization.md)"),
               llvm::cl::init(TernarizeMethod::PTQTP),
               llvm::cl::values(
                   clEnumValN(TernarizeMethod::BT, "bt",
                              "balanced ternary, one plane, threshold= rule"),
                   clEnumValN(TernarizeMethod::SZT, "szt",
                              "bt with signed zeros (!tern.szt)"),
                   clEnumValN(TernarizeMethod::Tequila, "tequila",
                              "bt plus the dead-zone bias (needs stats)"),
                   clEnumValN(TernarizeMethod::PTQTP, "ptqtp",
                              "planes= trit planes (PTQTP)"),
                   clEnumValN(TernarizeMethod::DLT, "dlt",
                              "one plane, a scale and a shift per group"),
                   clEnumValN(TernarizeMethod::Sherry, "sherry",
                              "3:4 sparse trits in 1.25 bits per weight"))),
        threshold(
            owner, "threshold",
            llvm::cl::desc("Threshold rule of bt, szt and tequila"),
            llvm::cl::init(::tern::quant::Threshold::MSE),
            llvm::cl::values(
                clEnumValN(::tern::quant::Threshold::Sigma, "sigma",
                           "the standard deviation of the weights"),
                clEnumValN(::tern::quant::Threshold::TWN, "twn",
                           "0.7 mean |w|"),
                clEnumValN(::tern::quant::Threshold::AbsMean, "absmean",
                           "mean |w| / 2, scale mean |w| (BitNet b1.58)"),
                clEnumValN(::tern::quant::Threshold::MSE, "mse",
                           "the exact minimiser of the weight error"),
                clEnumValN(::tern::quant::Threshold::Calibrated, "calibrated",
                           "the exact minimiser of the E[x^2]-weighted "
                           "error (needs stats)"))),
        planes(owner, "planes", llvm::cl::desc("Trit planes of ptqtp (1 to 4)"),
               llvm::cl::init(2)),
        packing(owner, "packing",
                llvm::cl::desc("How the codes are stored (method=sherry "
                               "always packs its own 1.25-bit layout)"),
                llvm::cl::init(::tern::quant::Packing::SignMagnitude),
                llvm::cl::values(
                    clEnumValN(::tern::quant::Packing::SignMagnitude,
                               "sign_magnitude", "2 bits a code"),
                    clEnumValN(::tern::quant::Packing::Base3, "base3",
                               "5 codes a byte, 1.6 bits a code (no signed "
                               "zeros: not with method=szt)"))),
        groupSize(owner, "group-size",
                  llvm::cl::desc("Weights per group along K; 0 for one group "
                                 "per output channel"),
                  llvm::cl::init(0)),
        convolutions(
            owner, "convolutions",
            llvm::cl::desc("Which convolutions are layers"),
            llvm::cl::init(ConvolutionLayers::Pointwise),
            llvm::cl::values(
                clEnumValN(ConvolutionLayers::Pointwise, "pointwise",
                           "1x1 with stride 1 (a matmul over each pixel's "
                           "channels)"),
                clEnumValN(ConvolutionLayers::Ungrouped, "ungrouped",
                           "every ungrouped 2-D convolution: k x k, "
                           "strided, dilated, ConvTranspose (a matmul over "
                           "each output pixel's receptive field)"),
                clEnumValN(ConvolutionLayers::All, "all",
                           "every 2-D convolution: ungrouped ones, grouped "
                           "and depthwise ones (a matmul per group)"))),
        include(owner, "include",
                llvm::cl::desc("Regular expression: only layers whose name "
                               "matches"),
                llvm::cl::init("")),
        exclude(
            owner, "exclude",
            llvm::cl::desc("Regular expression: layers whose name "
                           "matches are kept out of the ternary set (keep=)"),
            llvm::cl::init("")),
        keep(owner, "keep",
             llvm::cl::desc("How layers left out of the ternary set "
                            "(include=, exclude=, bits=) are stored"),
             llvm::cl::init(::tern::quant::KeptFormat::Int8),
             llvm::cl::values(
                 clEnumValN(::tern::quant::KeptFormat::Int8, "int8",
                            "int8 codes, a scale per output channel"),
                 clEnumValN(::tern::quant::KeptFormat::F16, "f16",
                            "f16 weights"),
                 clEnumValN(::tern::quant::KeptFormat::F32, "f32",
                            "f32 weights, as imported"))),
        tables(owner, "tables",
               llvm::cl::desc("Regular expression: tables gathered from "
                              "(embeddings: Gather on a constant) whose "
                              "name matches are stored as keep= says"),
               llvm::cl::init("")),
        stats(owner, "stats",
              llvm::cl::desc(
                  "Calibration statistics (a tern-calibrate file): fits "
                  "weigh column k by E[x_k^2]. In tern-ptq-pipeline with "
                  "calibration=, where the statistics are written"),
              llvm::cl::init("")),
        gptq(owner, "gptq",
             llvm::cl::desc("GPTQ error feedback through E[x x^T] (with "
                            "bias-correction: the covariance; needs second "
                            "moments)"),
             llvm::cl::init(false)),
        refitScales(owner, "refit-scales",
                    llvm::cl::desc(
                        "Refit each group's scales to the output error under "
                        "E[x x^T] (with bias-correction: under the "
                        "covariance) once the codes are chosen (needs second "
                        "moments)"),
                    llvm::cl::init(false)),
        refineCodes(
            owner, "refine-codes",
            llvm::cl::desc(
                "Learned rounding: sweeps of coordinate descent that move "
                "each code to the value of its group's scales lowering the "
                "output error under E[x x^T] most, once the layer is "
                "fitted (0: none; needs second moments; not method=sherry)"),
            llvm::cl::init(0)),
        biasCorrection(
            owner, "bias-correction",
            llvm::cl::desc("Add (W - What) E[x] to each layer's bias, "
                           "cancelling its mean output error (needs stats; "
                           "contains tequila's dead-zone bias)"),
            llvm::cl::init(false)),
        dampening(owner, "dampening",
                  llvm::cl::desc("gptq and sequential: fraction of the mean "
                                 "diagonal added to E[x x^T]"),
                  llvm::cl::init(0.01)),
        rotate(owner, "rotate",
               llvm::cl::desc(
                   "Incoherence processing: fit each layer in its input space "
                   "rotated by a random orthogonal Kronecker product Q, and "
                   "compute x Q before its product (tern.rotate; with "
                   "statistics, needs second moments)"),
               llvm::cl::init(false)),
        salient(owner, "salient",
                llvm::cl::desc(
                    "Input columns per layer (the largest E[x_k^2] |W_k|^2) "
                    "whose residual W - What is kept beside the ternary "
                    "weights, int8 (f16 with keep=f16); the fit sees them "
                    "as zero"),
                llvm::cl::init(0)),
        lowRank(owner, "low-rank",
                llvm::cl::desc(
                    "Rank of the correction U V^T of each layer's residual "
                    "(HGF), kept beside the ternary weights in int8 (f16 "
                    "with keep=f16)"),
                llvm::cl::init(0)),
        lowRankWeight(
            owner, "low-rank-weight",
            llvm::cl::desc("What the low-rank correction minimises the "
                           "residual under"),
            llvm::cl::init(::tern::quant::LowRankWeight::Diagonal),
            llvm::cl::values(
                clEnumValN(::tern::quant::LowRankWeight::Diagonal, "diagonal",
                           "column importances E[x_k^2] (unweighted "
                           "without statistics)"),
                clEnumValN(::tern::quant::LowRankWeight::Hessian, "hessian",
                           "E[x x^T]: the output error on data like the "
                           "calibration data (needs second moments)"),
                clEnumValN(::tern::quant::LowRankWeight::None, "none",
                           "the weights alone"))),
        calibration(
            owner, "calibration",
            llvm::cl::desc("Calibration inputs (DIR, as tern-calibrate reads "
                           "them): for sequential and bits, and in "
                           "tern-ptq-pipeline for tern-calibrate"),
            llvm::cl::init("")),
        sequential(owner, "sequential",
                   llvm::cl::desc(
                       "Fit each layer to the float model's output from the "
                       "activations it receives once the layers before it "
                       "are ternarized (needs calibration)"),
                   llvm::cl::init(false)),
        sequentialTarget(
            owner, "sequential-target",
            llvm::cl::desc("What sequential fitting fits each layer to"),
            llvm::cl::init(SequentialTarget::Layer),
            llvm::cl::values(
                clEnumValN(SequentialTarget::Layer, "layer",
                           "the float layer's output"),
                clEnumValN(SequentialTarget::Block, "block",
                           "a layer whose output is added to a residual "
                           "stream: the float model's sum there (the "
                           "block's output), so that it also takes out the "
                           "error the stream carries; other layers: their "
                           "own output"))),
        bits(owner, "bits",
             llvm::cl::desc("ptqtp: average bits per weight to allocate; "
                            "each layer gets 1 to `planes` planes, or is "
                            "kept (keep=), by its measured effect on the "
                            "model output (needs calibration)"),
             llvm::cl::init(0)),
        cpu(owner, "cpu",
            llvm::cl::desc("CPU the calibration runs are compiled for"),
            llvm::cl::init("x86-64-v3")),
        report(owner, "report",
               llvm::cl::desc("Write a JSON report of every layer and the "
                              "totals to this file, and print it as a table "
                              "on stderr"),
               llvm::cl::init("")),
        quiet(owner, "quiet",
              llvm::cl::desc("No progress lines on stderr (layer i of n, "
                             "elapsed, ETA)"),
              llvm::cl::init(false)) {}

  Option<TernarizeMethod> method;
  Option<::tern::quant::Threshold> threshold;
  Option<int64_t> planes;
  Option<::tern::quant::Packing> packing;
  Option<int64_t> groupSize;
  Option<ConvolutionLayers> convolutions;
  Option<std::string> include;
  Option<std::string> exclude;
  Option<::tern::quant::KeptFormat> keep;
  Option<std::string> tables;
  Option<std::string> stats;
  Option<bool> gptq;
  Option<bool> refitScales;
  Option<int64_t> refineCodes;
  Option<bool> biasCorrection;
  Option<double> dampening;
  Option<bool> rotate;
  Option<int64_t> salient;
  Option<int64_t> lowRank;
  Option<::tern::quant::LowRankWeight> lowRankWeight;
  Option<std::string> calibration;
  Option<bool> sequential;
  Option<SequentialTarget> sequentialTarget;
  Option<double> bits;
  Option<std::string> cpu;
  Option<std::string> report;
  Option<bool> quiet;
};

/// tern-ternarize's options as an options struct: what tern-ptq-pipeline
/// takes, and what createTernarize(options) configures the pass from.
struct TernarizeOptions
    : public PassPipelineOptions<TernarizeOptions>,
      public TernarizeOptionSet<::mlir::detail::PassOptions> {
  TernarizeOptions()
      : TernarizeOptionSet(static_cast<::mlir::detail::PassOptions &>(*this)) {}
};

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_TERNARIZEOPTIONS_H
