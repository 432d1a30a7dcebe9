//===- Parallel.h - deterministic parallel loops ----------------*- C++ -*-===//
//
// This file declares the one parallel loop the numerics use. Work is split
// into independent index ranges whose results do not depend on which thread
// runs them, so every method is bit-identical for any thread count.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_QUANT_PARALLEL_H
#define TERN_QUANT_PARALLEL_H

#include <cstdint>
#include <functional>
#include <vector>

namespace tern::quant {

/// The threads `threads` asks for: itself if positive, else the positive
/// integer in $TERN_NUM_THREADS if set, else every core.
int resolveThreads(int threads);

/// Calls `body(i)` for every i in [0, n) on up to `threads` threads (0 = all
/// cores). Iterations must be independent.
void parallelFor(int64_t n, int threads,
                 const std::function<void(int64_t)> &body);

/// Frees a per-thread scratch buffer (a thread_local vector reused across
/// calls) that has grown past what a group needs, so that a fit of a whole
/// tensor does not leave it held by every thread.
template <typename T> void releaseIfLarge(std::vector<T> &buffer) {
  constexpr size_t kKeptBytes = size_t(1) << 20;
  if (buffer.capacity() * sizeof(T) > kKeptBytes)
    std::vector<T>().swap(buffer);
}

} // namespace tern::quant

#endif // TERN_QUANT_PARALLEL_H
