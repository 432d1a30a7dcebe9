//===- Generate.h - token generation with a compiled decoder ----*- C++ -*-===//
//
// This file declares the generation loop of tern-generate (and of
// tern.generate in python): a causal language model compiled once, with
// dynamic batch and sequence dimensions, run on a prompt and then on one new
// token per step. Two layouts of decoder exports are recognized by their
// input names, as torch.onnx and HF Optimum write them:
//
//   - without a cache: `input_ids` [batch, seq] (and optionally
//     `attention_mask` [batch, seq], `position_ids` [batch, seq]); every step
//     runs the whole sequence;
//   - with one: also `past_key_values.I.key|value` [batch, heads, past, dim],
//     whose `present.I.key|value` outputs are fed back at the next step;
//     the prompt runs with an empty past (past = 0);
//   - with one in place (after tern-cache-in-place): `cache.I.key|value`
//     [batch, heads, capacity, dim], buffers the generator owns and the
//     model appends to, and `past_length` [], the rows they hold. The
//     buffers grow by doubling: each token costs no allocation and no copy
//     of the cache but at a doubling.
//
// The logits are the output named `logits` (else the first output),
// [batch, seq, vocab] f32.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_EXECUTION_GENERATE_H
#define TERN_EXECUTION_GENERATE_H

#include "tern/Quantization/ModelEvaluator.h"
#include "tern/Support/Npy.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace mlir::tern {

/// How the next token is chosen from the last row of logits.
struct SamplingOptions {
  /// 0: the most likely token (ties: the lowest id); otherwise softmax of
  /// logits / temperature.
  double temperature = 0;
  /// With a temperature, sample among the `topK` most likely (0: all).
  int64_t topK = 0;
  uint64_t seed = 0;
};

class Generator {
public:
  /// Checks that `model` is a decoder of one of the layouts above (the
  /// error names the input or output that is not) and prepares to run it.
  static llvm::Expected<std::unique_ptr<Generator>>
  create(EvaluableModel &model, const SamplingOptions &sampling);

  /// Runs a batch of prompts (each at least one token) and returns the
  /// first new token of each. Prompts of different lengths are padded on
  /// the left, as decoders are batched: the padding is masked out by
  /// `attention_mask` (which the model must then take) and positions count
  /// from each prompt's first token, so that a row generates what it
  /// would alone.
  llvm::Expected<std::vector<int64_t>>
  prefill(llvm::ArrayRef<std::vector<int64_t>> prompts);
  /// Runs the last tokens returned and returns the next one of each row.
  llvm::Expected<std::vector<int64_t>> step();

  /// The logits the last token of each row was drawn from, [batch,
  /// vocabulary] (empty before prefill).
  llvm::ArrayRef<float> logits() const { return logits_; }
  /// Whether the model keeps a cache of keys and values between steps.
  bool hasCache() const { return !pastInputs_.empty(); }
  /// Whether the cache is appended to in place (tern-cache-in-place).
  bool cacheInPlace() const { return pastLengthInput_ >= 0; }
  /// Rows the in-place buffers have room for.
  int64_t cacheCapacity() const { return capacity_; }
  /// The vocabulary size (the last dimension of the logits).
  int64_t vocabulary() const { return vocabulary_; }
  /// Rows of the batch being generated.
  int64_t batch() const { return int64_t(ids_.size()); }

private:
  Generator(EvaluableModel &model, const SamplingOptions &sampling)
      : model_(model), sampling_(sampling), rng_(sampling.seed) {}

  /// Runs the columns the model has not seen yet and samples.
  llvm::Expected<std::vector<int64_t>> run();
  int64_t sample(const float *logits);

  EvaluableModel &model_;
  SamplingOptions sampling_;
  std::mt19937_64 rng_;
  int64_t vocabulary_ = 0;
  /// Input indices by role (-1: absent).
  int64_t idsInput_ = -1, maskInput_ = -1, positionInput_ = -1;
  int64_t logitsOutput_ = -1;
  /// Cache inputs, the outputs that update them (none in place), and their
  /// contents.
  std::vector<int64_t> pastInputs_, presentOutputs_;
  std::vector<::tern::support::Array> past_;
  /// In place: the input `past_length` (-1: the cache is copied), and the
  /// buffers' rows along axis 2.
  int64_t pastLengthInput_ = -1;
  int64_t capacity_ = 0;
  /// Makes every in-place buffer hold at least `rows` rows, keeping the
  /// first seen_.
  void reserve(int64_t rows);
  /// Every token so far of each row (padding, prompt, generated), and
  /// whether it is a token (1) or padding (0): `attention_mask`.
  std::vector<std::vector<int64_t>> ids_, mask_;
  /// Columns the model has seen (in its cache, when it has one).
  int64_t seen_ = 0;
  std::vector<float> logits_;
};

} // namespace mlir::tern

#endif // TERN_EXECUTION_GENERATE_H
