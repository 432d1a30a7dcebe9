//===- Calibration.h - activation statistics of layers ----------*- C++ -*-===//
//
// This file declares the statistics tern-calibrate records for every layer
// (Layers.h), and the two places they are kept for tern-ternarize: a JSON
// file (format in docs/Quantization.md, "Calibration statistics") or a
// module attribute.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_CALIBRATION_H
#define TERN_QUANTIZATION_CALIBRATION_H

#include "tern/Support/Signature.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace mlir::tern {

/// Statistics of a layer's activations x (rows of its M x K input), per
/// input channel k, over every row of every calibration input.
struct LayerStatistics {
  int64_t channels = 0;
  /// Rows observed.
  int64_t samples = 0;
  std::vector<double> mean;       ///< E[x_k]
  std::vector<double> meanSquare; ///< E[x_k²], the importance h of a column
  std::vector<double> maxAbs;     ///< max |x_k|
  /// E[x xᵀ] (K x K, row-major), when recorded: XᵀX / samples. For a
  /// grouped layer only its diagonal blocks: `groups` blocks of K/groups x
  /// K/groups, one after the other.
  std::vector<double> secondMoment;
  /// The groups of a grouped layer (Layer::groups), whose channels are
  /// `groups` blocks that no output mixes.
  int64_t groups = 1;

  /// Values in each of secondMoment's blocks' rows (K / groups).
  int64_t blockSize() const { return channels / groups; }
  /// Values secondMoment holds: groups · (K / groups)².
  int64_t squareSize() const { return groups * blockSize() * blockSize(); }
  /// The statistics of group `g`'s channels, a layer of one group.
  LayerStatistics group(int64_t g) const;

  /// Adds rows whose sums are given (Σx, Σx², max|x| per channel, and ΣxxᵀX
  /// when `sumOuter` is not null), keeping the means. T is float or double.
  template <typename T>
  void accumulate(int64_t rows, const T *sum, const T *sumSquare,
                  const T *maxAbsolute, const T *sumOuter);
};

/// What sequential calibration records of a layer, for the same inputs:
/// the activations x̃ it receives from the partly ternarized model and the
/// float model's x (rows aligned).
struct TargetStatistics {
  /// Of x̃, with E[x̃ x̃ᵀ].
  LayerStatistics received;
  std::vector<double> floatMean;         ///< E[x]
  std::vector<double> floatSecondMoment; ///< E[x xᵀ]
  std::vector<double> crossMoment;       ///< E[x x̃ᵀ] (row i: x_i)
  /// For a layer whose output is added to a residual stream r (block
  /// targets): E[d x̃ᵀ] (N x K) and E[d] (N) of d = r − r̃, what the stream
  /// carries of the float model's value against the partly ternarized
  /// one's. Empty otherwise.
  std::vector<double> residualCross, residualMean;

  /// Adds `rows` rows of x and x̃ (rows x channels, row-major each). The
  /// moments of a grouped layer (received.groups) are its diagonal blocks,
  /// as LayerStatistics holds them.
  void accumulate(int64_t rows, const float *x, const float *received);
  /// Adds the residual moments of `rows` rows of r and r̃ (rows x `n`) and
  /// x̃ (rows x channels), for the rows accumulate() last added.
  void accumulateResidual(int64_t rows, int64_t n, const float *residual,
                          const float *receivedResidual, const float *received);
  /// The statistics of group `g`'s channels, a layer of one group.
  TargetStatistics group(int64_t g) const;
};

/// Calibration statistics keyed by layer name.
struct Calibration {
  /// Input sets observed.
  int64_t inputSets = 0;
  std::map<std::string, LayerStatistics> layers;
};

/// Writes `calibration` to `path` (JSON); on failure reports with
/// `emitError` (the diagnostic of the pass at its op, say).
LogicalResult writeCalibration(llvm::StringRef path,
                               const Calibration &calibration,
                               function_ref<InFlightDiagnostic()> emitError);

/// Reads a file written by writeCalibration; the diagnostic names the file
/// and what is wrong with it.
LogicalResult readCalibration(llvm::StringRef path, Calibration &calibration,
                              function_ref<InFlightDiagnostic()> emitError);

/// The module attribute that carries statistics from tern-calibrate to
/// tern-ternarize inside one pipeline (when no stats file is named).
constexpr llvm::StringLiteral kCalibrationAttrName = "tern.calibration";

/// `calibration` as a dictionary attribute: layer name -> {channels,
/// samples, mean, mean_square, max_abs[, second_moment]} (f64 tensors).
DictionaryAttr calibrationToAttr(MLIRContext *context,
                                 const Calibration &calibration);

/// Reads an attribute written by calibrationToAttr; the diagnostic says
/// what is wrong with it.
LogicalResult calibrationFromAttr(DictionaryAttr attr, Calibration &calibration,
                                  function_ref<InFlightDiagnostic()> emitError);

//===----------------------------------------------------------------------===//
// Running a model on calibration inputs
//===----------------------------------------------------------------------===//

/// One entry of a calibration directory: a subdirectory holding one input
/// set, or a .npy file holding one or more (for one-input models).
struct InputEntry {
  std::string path;
  bool isDirectory = false;
  bool operator<(const InputEntry &other) const { return path < other.path; }
};

/// One input set: the arrays of @main's inputs, in order, and where they
/// came from.
struct InputSet {
  std::vector<::tern::support::Array> arrays;
  std::vector<std::string> sources;
};

/// The entries of the calibration directory `dir`, in name order; the
/// error names the directory.
llvm::Expected<std::vector<InputEntry>> listInputEntries(llvm::StringRef dir);

/// Reads the input sets of `entry` for a model with `inputs` into `sets`:
/// a subdirectory holds NAME.npy per input; a .npy file (one-input models
/// only) is a set, or several when its leading dimension is a multiple of
/// the model's.
llvm::Error readInputEntry(const InputEntry &entry,
                           llvm::ArrayRef<TensorSignature> inputs,
                           std::vector<InputSet> &sets);

/// A copy of `module` in `context` (through bytecode), with the dialects
/// the calibration observers use loaded (lowering and JIT compilation load
/// dialects and register translations, which must not happen in the
/// context of a running pass manager), and every tern.matmul with constant
/// weights replaced by a float matmul on its dequantized weights (faster
/// to run than tern.matmul's reference lowering).
OwningOpRef<ModuleOp> copyForExecution(ModuleOp module, MLIRContext &context);

/// While alive, re-reports the errors emitted in `copy` (the private context
/// of a copyForExecution, whose diagnostics no pass manager sees) through
/// `emitError`, with the location they had in the copy; notes follow.
/// Warnings and remarks go to `copy`'s default handler.
class ForwardDiagnostics {
public:
  ForwardDiagnostics(MLIRContext &copy,
                     std::function<InFlightDiagnostic()> emitError);
  ~ForwardDiagnostics();
  ForwardDiagnostics(const ForwardDiagnostics &) = delete;
  ForwardDiagnostics &operator=(const ForwardDiagnostics &) = delete;

private:
  MLIRContext &copy_;
  DiagnosticEngine::HandlerID handler_;
};

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_CALIBRATION_H
