//===- QuantBench.cpp - speed of the ternarization methods ----------------===//
//
// This file is a benchmark, not a test: it prints how long the methods take
// on a random 4096 x 4096 matrix (groups of 128, or the group size given; 0
// is one group per row, the PTQ pipeline's default) for 1 and 2 threads (or
// the thread counts given), and projects the time for a 7B-parameter model.
//
//   tern-quant-bench [--rows N] [--cols K] [--group-size G] [--threads 1,2]
//                    [--method ptqtp2|mse|dlt|all]
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Quantize.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace tern::quant;

namespace {

struct Case {
  const char *name;
  QuantizeOptions options;
};

std::vector<Case> cases() {
  std::vector<Case> result;
  QuantizeOptions ptqtp;
  ptqtp.method = Method::TritPlanes;
  ptqtp.tritPlanes.planes = 2;
  result.push_back({"ptqtp2", ptqtp});
  QuantizeOptions mse;
  mse.threshold = Threshold::MSE;
  result.push_back({"mse", mse});
  QuantizeOptions dlt;
  dlt.method = Method::ScaleShift;
  result.push_back({"dlt", dlt});
  return result;
}

int fail(const std::string &message) {
  std::fprintf(stderr, "tern-quant-bench: %s\n", message.c_str());
  return 1;
}

/// A whole non-negative decimal number, or -1.
int64_t parseCount(const char *text) {
  if (*text < '0' || *text > '9')
    return -1;
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text, &end, 10);
  if (errno || end == text || *end || value < 0)
    return -1;
  return value;
}

} // namespace

int main(int argc, char **argv) {
  int64_t rows = 4096, cols = 4096, groupSize = 128;
  std::vector<int> threads = {1, 2};
  std::string only = "ptqtp2";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("usage: tern-quant-bench [--rows N] [--cols K] "
                  "[--group-size G] [--threads 1,2] "
                  "[--method ptqtp2|mse|dlt|all]\n");
      return 0;
    }
    if (flag.rfind("--", 0) != 0)
      return fail("unexpected argument '" + flag + "'");
    if (flag != "--rows" && flag != "--cols" && flag != "--group-size" &&
        flag != "--method" && flag != "--threads")
      return fail("unknown option " + flag);
    if (i + 1 >= argc)
      return fail("missing value after " + flag);
    const char *value = argv[++i];
    auto count = [&](int64_t &out, int64_t least) {
      out = parseCount(value);
      return out >= least;
    };
    if (flag == "--rows") {
      if (!count(rows, 1))
        return fail("--rows: expected a whole number >= 1, got '" +
                    std::string(value) + "'");
    } else if (flag == "--cols") {
      if (!count(cols, 1))
        return fail("--cols: expected a whole number >= 1, got '" +
                    std::string(value) + "'");
    } else if (flag == "--group-size") {
      if (!count(groupSize, 0))
        return fail("--group-size: expected a whole number >= 0, got '" +
                    std::string(value) + "'");
    } else if (flag == "--method") {
      only = value;
    } else if (flag == "--threads") {
      threads.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        int64_t t = parseCount(item.c_str());
        if (t < 1 || t > 1024)
          return fail("--threads: expected thread counts from 1 to 1024, "
                      "got '" +
                      item + "'");
        threads.push_back(int(t));
      }
      if (threads.empty())
        return fail("--threads: no thread count given");
    }
  }
  bool known = only == "all";
  for (const Case &c : cases())
    known |= only == c.name;
  if (!known)
    return fail("--method: unknown method '" + only +
                "' (ptqtp2, mse, dlt or all)");
  if (rows > (int64_t(1) << 32) / cols)
    return fail("--rows x --cols must be at most 2^32 weights");
  if (groupSize && cols % groupSize)
    return fail("--group-size " + std::to_string(groupSize) +
                " does not divide --cols " + std::to_string(cols));
  // LLM-like weights: Gaussian with a few outliers.
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(rows * cols);
  for (float &x : w)
    x = normal(rng);
  for (int64_t i = 0; i < rows * cols; i += 997)
    w[i] *= 8;
  MatrixRef m{w.data(), rows, cols};
  const double kModel = 7e9;

  for (Case &c : cases()) {
    if (only != "all" && only != c.name)
      continue;
    for (int t : threads) {
      c.options.threads = t;
      c.options.granularity =
          groupSize ? Granularity::Group : Granularity::Channel;
      c.options.groupSize = groupSize;
      auto start = std::chrono::steady_clock::now();
      llvm::Expected<TernaryWeights> q = quantize(m, nullptr, c.options);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (!q) {
        std::fprintf(stderr, "error: %s\n",
                     llvm::toString(q.takeError()).c_str());
        return 1;
      }
      ErrorReport report = measure(m, nullptr, *q, Packing::SignMagnitude);
      double weights = double(rows) * double(cols);
      std::string group =
          groupSize ? "g" + std::to_string(groupSize) : std::string("per-row");
      std::printf("%-7s %lldx%lld %s threads=%d: %.3f s, %.1f Mweights/s, "
                  "rel. error %.4f, projected 7B: %.1f min\n",
                  c.name, (long long)rows, (long long)cols, group.c_str(), t,
                  seconds, weights / seconds / 1e6, report.relativeError,
                  kModel / weights * seconds / 60);
    }
  }
  return 0;
}
