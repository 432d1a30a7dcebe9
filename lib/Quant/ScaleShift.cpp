//===- ScaleShift.cpp - DLT scale and shift per group ---------------------===//
//
// This file implements the post-training form of Dual Learnable
// Ternarization (arXiv 2406.07177): ŵ = α t + γ per group, by block
// coordinate descent. The code step picks the nearest of {γ − α, γ, γ + α}
// for every weight and the scale step solves the weighted 2 x 2 least
// squares for (α, γ) exactly, so neither step can raise the error.
//
//===----------------------------------------------------------------------===//

#include "tern/Quant/Methods.h"

#include <cmath>
#include <vector>

using namespace tern::quant;

GroupFit tern::quant::fitScaleShift(const float *w, const float *h, int64_t n,
                                    const ShiftOptions &options,
                                    std::vector<double> *trace) {
  // Start from the weighted mean as the shift and the exact threshold fit of
  // what is left.
  double sumH = 0, sumHW = 0;
  for (int64_t j = 0; j < n; ++j) {
    double hj = h ? h[j] : 1.0;
    sumH += hj;
    sumHW += hj * w[j];
  }
  float gamma = sumH > 0 ? float(sumHW / sumH) : 0.0f;
  std::vector<float> centered(n);
  for (int64_t j = 0; j < n; ++j)
    centered[j] = w[j] - gamma;
  GroupFit fit = fitThreshold(Threshold::Calibrated, centered.data(), h, n);
  fit.gamma = gamma;
  fit.delta = -1; // from here on, codes are the nearest value

  std::vector<int8_t> t(n);
  for (int iteration = 0; iteration < options.maxIterations; ++iteration) {
    // Code step.
    for (int64_t j = 0; j < n; ++j) {
      uint8_t code;
      encodeValue(fit, w[j], false, &code);
      t[j] = int8_t(codeValue(code));
    }
    // Scale step: [Σt² Σt; Σt Σ1] [α; γ] = [Σtw; Σw], weighted by h.
    double stt = 0, st = 0, s1 = 0, stw = 0, sw = 0;
    for (int64_t j = 0; j < n; ++j) {
      double hj = h ? h[j] : 1.0;
      stt += hj * t[j] * t[j];
      st += hj * t[j];
      s1 += hj;
      stw += hj * t[j] * double(w[j]);
      sw += hj * double(w[j]);
    }
    double alpha = fit.alpha[0], shift = fit.gamma;
    double det = stt * s1 - st * st;
    if (std::fabs(det) > 1e-12 * (stt * s1 + 1e-300)) {
      alpha = (stw * s1 - st * sw) / det;
      shift = (stt * sw - st * stw) / det;
    } else if (s1 > 0) {
      // Every code equal: only α t + γ is determined; keep α.
      double c = stt > 0 ? st / s1 : 0.0;
      shift = sw / s1 - alpha * c;
    }
    float change =
        float(std::fabs(alpha - fit.alpha[0]) + std::fabs(shift - fit.gamma));
    float size = std::fabs(fit.alpha[0]) + std::fabs(fit.gamma);
    fit.alpha[0] = float(alpha);
    fit.gamma = float(shift);
    if (trace)
      trace->push_back(groupError(fit, w, h, n));
    if (change <= options.tolerance * size)
      break;
  }
  return fit;
}
