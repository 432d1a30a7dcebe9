//===- QuantBench.cpp - speed of the ternarization methods ----------------===//
//
// This file is a benchmark, not a test: it prints how long the methods take
// on a random 4096 x 4096 matrix (group 128) for 1 and 2 threads (or the
// thread counts given), and projects the time for a 7B-parameter model.
//
//   tern-quant-bench [--rows N] [--cols K] [--threads 1,2] [--method NAME]
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Quantize.h"

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

} // namespace

int main(int argc, char **argv) {
  int64_t rows = 4096, cols = 4096;
  std::vector<int> threads = {1, 2};
  std::string only = "ptqtp2";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows"))
      rows = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--cols"))
      cols = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--method"))
      only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) {
      threads.clear();
      std::stringstream list(argv[i + 1]);
      for (std::string item; std::getline(list, item, ',');)
        threads.push_back(std::atoi(item.c_str()));
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 1;
    }
  }
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
      c.options.groupSize = 128;
      std::string error;
      auto start = std::chrono::steady_clock::now();
      std::optional<TernaryWeights> q = quantize(m, nullptr, c.options, &error);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (!q) {
        std::fprintf(stderr, "error: %s\n", error.c_str());
        return 1;
      }
      ErrorReport report = measure(m, nullptr, *q, Packing::SignMagnitude);
      double weights = double(rows) * double(cols);
      std::printf("%-7s %lldx%lld g128 threads=%d: %.3f s, %.1f Mweights/s, "
                  "rel. error %.4f, projected 7B: %.1f min\n",
                  c.name, (long long)rows, (long long)cols, t, seconds,
                  weights / seconds / 1e6, report.relativeError,
                  kModel / weights * seconds / 60);
    }
  }
  return 0;
}
