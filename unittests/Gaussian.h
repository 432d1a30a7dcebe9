//===- Gaussian.h - seeded random matrices for the tests --------*- C++ -*-===//
//
// The tests draw their weights and activations from a seeded Mersenne
// twister, so every run sees the same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_UNITTESTS_GAUSSIAN_H
#define TERN_UNITTESTS_GAUSSIAN_H

#include <cstdint>
#include <random>
#include <vector>

namespace tern::unittest {

/// `n` draws of N(0, scale²) from a generator seeded with `seed`.
inline std::vector<float> gaussian(int64_t n, unsigned seed,
                                   float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

} // namespace tern::unittest

#endif // TERN_UNITTESTS_GAUSSIAN_H
