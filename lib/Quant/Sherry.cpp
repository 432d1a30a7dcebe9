//===- Sherry.cpp - 3:4 sparse ternary ------------------------------------===//
//
// This file implements Sherry (arXiv 2601.07892): in every 4 consecutive
// weights along K, 3 are ±1 and one is 0, which packs into 5 bits (the
// position of the zero and 3 signs, see Packing.h).
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Methods.h"

#include <cmath>

using namespace tern::quant;

GroupFit tern::quant::fitSherry(const float *w, const float *h, int64_t n,
                                uint8_t *codes) {
  double num = 0, den = 0;
  for (int64_t base = 0; base + 4 <= n; base += 4) {
    // The zero goes where dropping the weight costs least: h·w².
    int64_t zero = base;
    double least = INFINITY;
    for (int64_t j = base; j < base + 4; ++j) {
      double cost = (h ? h[j] : 1.0) * double(w[j]) * double(w[j]);
      if (cost < least) {
        least = cost;
        zero = j;
      }
    }
    for (int64_t j = base; j < base + 4; ++j) {
      if (j == zero) {
        codes[j] = kZeroPos;
        continue;
      }
      codes[j] = w[j] < 0 ? kMinus : kPlus;
      double hj = h ? h[j] : 1.0;
      num += hj * std::fabs(double(w[j]));
      den += hj;
    }
  }
  GroupFit fit;
  fit.alpha[0] = den > 0 ? float(num / den) : 0.0f;
  return fit;
}
