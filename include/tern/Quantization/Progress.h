//===- Progress.h - progress of long quantization runs ----------*- C++ -*-===//
//
// Quantizing a decoder takes minutes (TinyLlama's 155 layers, a calibration
// set run through the model, sensitivity probes): the passes say where they
// are on stderr, "WHAT i/n DETAIL (elapsed, ETA)", rewritten in place on a
// terminal and one line per step otherwise (a log, CI), or nothing when
// the pass's `quiet` option is set.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANTIZATION_PROGRESS_H
#define TERN_QUANTIZATION_PROGRESS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <string>

namespace mlir::tern {

class Progress {
public:
  /// Steps 1..`total` of `what` ("tern-ternarize: layer"), on `os`.
  Progress(llvm::StringRef what, size_t total, bool quiet,
           llvm::raw_ostream &os = llvm::errs());
  ~Progress();

  /// Step `done` of the total is finished; `detail` names it.
  void step(size_t done, llvm::StringRef detail = "");

private:
  std::string what;
  size_t total;
  bool quiet, inPlace;
  bool open = false;
  llvm::raw_ostream &os;
  std::chrono::steady_clock::time_point start;
};

} // namespace mlir::tern

#endif // TERN_QUANTIZATION_PROGRESS_H
