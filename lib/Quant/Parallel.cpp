//===- Parallel.cpp - deterministic parallel loops ------------------------===//
//
// This file implements parallelFor with std::thread and an atomic work
// counter: threads take the next index in turn, which balances uneven rows
// without affecting results.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace tern::quant;

int tern::quant::resolveThreads(int threads) {
  if (threads > 0)
    return threads;
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? int(cores) : 1;
}

void tern::quant::parallelFor(int64_t n, int threads,
                              const std::function<void(int64_t)> &body) {
  int64_t workers = std::min<int64_t>(resolveThreads(threads), n);
  if (workers <= 1) {
    for (int64_t i = 0; i < n; ++i)
      body(i);
    return;
  }
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i = next++; i < n; i = next++)
      body(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (int64_t t = 1; t < workers; ++t)
    pool.emplace_back(work);
  work();
  for (std::thread &thread : pool)
    thread.join();
}
