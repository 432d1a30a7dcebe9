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
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace tern::quant;

int tern::quant::resolveThreads(int threads) {
  if (threads > 0)
    return threads;
  // The environment caps tools that take no thread option (tern-opt's
  // passes); the determinism test runs them with 1 and 2.
  if (const char *env = std::getenv("TERN_NUM_THREADS")) {
    char *end = nullptr;
    long value = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && value > 0 && value <= 1024)
      return int(value);
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true))
      std::fprintf(stderr,
                   "warning: ignoring TERN_NUM_THREADS='%s' (expected 1 to "
                   "1024)\n",
                   env);
  }
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
