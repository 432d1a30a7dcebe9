//===- Progress.cpp - progress of long quantization runs ------------------===//

#include "tern/Quantization/Progress.h"

#include "llvm/Support/Format.h"

using namespace mlir::tern;

Progress::Progress(llvm::StringRef what, size_t total, bool quiet,
                   llvm::raw_ostream &os)
    : what(what.str()), total(total), quiet(quiet), inPlace(os.is_displayed()),
      os(os), start(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (open)
    os << "\n";
}

void Progress::step(size_t done, llvm::StringRef detail) {
  if (quiet || total == 0)
    return;
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double eta = done ? elapsed * double(total - done) / double(done) : 0;
  if (inPlace)
    os << "\r\x1b[K";
  os << what << " " << done << "/" << total;
  if (!detail.empty())
    os << " " << detail;
  os << " (" << llvm::format("%.1f", elapsed) << " s";
  if (done < total)
    os << ", ETA " << llvm::format("%.1f", eta) << " s";
  os << ")";
  open = inPlace && done < total;
  if (!open)
    os << "\n";
  os.flush();
}
