//===- Generate.cpp - token generation with a compiled decoder ------------===//
//
// This file implements the generation loop: the roles of a decoder's inputs
// and outputs from their names, the arrays fed at each step, and sampling.
//
//===----------------------------------------------------------------------===//

#include "tern/Execution/Generate.h"

#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

using namespace mlir;
using namespace mlir::tern;
using ::tern::support::Array;
using ::tern::support::DType;

namespace {

/// An int64 array [1, values.size()].
Array rowOf(llvm::ArrayRef<int64_t> values) {
  Array a;
  a.type = DType::I64;
  a.shape = {1, int64_t(values.size())};
  a.data.resize(values.size() * sizeof(int64_t));
  if (!values.empty())
    std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

/// The output that updates cache input `name`: past_key_values.I.key ->
/// present.I.key (torch.onnx, HF Optimum), past.I.key -> present.I.key.
std::string presentName(llvm::StringRef name) {
  for (llvm::StringRef prefix : {"past_key_values", "past"})
    if (name.starts_with(prefix))
      return ("present" + name.drop_front(prefix.size())).str();
  return std::string();
}

bool isCacheInput(llvm::StringRef name) {
  return name.starts_with("past_key_values.") || name.starts_with("past.");
}

} // namespace

llvm::Expected<std::unique_ptr<Generator>>
Generator::create(EvaluableModel &model, const SamplingOptions &sampling) {
  if (!(sampling.temperature >= 0))
    return llvm::createStringError("the temperature must be >= 0");
  if (sampling.topK < 0)
    return llvm::createStringError("top-k must be >= 0");
  std::unique_ptr<Generator> g(new Generator(model, sampling));
  const ModelSignature &signature = model.signature();
  auto isInt64Rows = [](const TensorSignature &t) {
    return t.elementType.isInteger(64) && t.shape.size() == 2;
  };
  for (auto [i, input] : llvm::enumerate(signature.inputs)) {
    llvm::StringRef name = input.name;
    if (name == "input_ids" || name == "attention_mask" ||
        name == "position_ids") {
      if (!isInt64Rows(input))
        return llvm::createStringError(
            "input '" + name + "' is " + shapeString(input.shape) +
            ", tern-generate feeds int64 [batch, sequence]");
      (name == "input_ids"        ? g->idsInput_
       : name == "attention_mask" ? g->maskInput_
                                  : g->positionInput_) = int64_t(i);
      continue;
    }
    if (isCacheInput(name)) {
      ArrayRef<int64_t> s = input.shape;
      if (!input.elementType.isF32() || s.size() != 4 ||
          ShapedType::isDynamic(s[1]) || ShapedType::isDynamic(s[3]))
        return llvm::createStringError(
            "cache input '" + name + "' has shape " + shapeString(s) +
            ", tern-generate feeds f32 [batch, heads, past, head size] with "
            "static heads and head size");
      std::string present = presentName(name);
      auto output =
          llvm::find_if(signature.outputs, [&](const TensorSignature &o) {
            return o.name == present;
          });
      if (output == signature.outputs.end())
        return llvm::createStringError("cache input '" + name +
                                       "' has no output '" + present +
                                       "' that updates it");
      g->pastInputs_.push_back(int64_t(i));
      g->presentOutputs_.push_back(output - signature.outputs.begin());
      Array empty;
      empty.type = DType::F32;
      empty.shape = {1, s[1], 0, s[3]};
      g->past_.push_back(std::move(empty));
      continue;
    }
    return llvm::createStringError(
        "input '" + name +
        "' is not one tern-generate feeds (input_ids, attention_mask, "
        "position_ids, past_key_values.N.key|value)");
  }
  if (g->idsInput_ < 0)
    return llvm::createStringError("the model has no input 'input_ids'");
  for (auto [i, output] : llvm::enumerate(signature.outputs))
    if (output.name == "logits")
      g->logitsOutput_ = int64_t(i);
  if (g->logitsOutput_ < 0 && !signature.outputs.empty())
    g->logitsOutput_ = 0;
  if (g->logitsOutput_ < 0)
    return llvm::createStringError("the model has no outputs");
  const TensorSignature &logits = signature.outputs[g->logitsOutput_];
  if (!logits.elementType.isF32() || logits.shape.size() != 3 ||
      ShapedType::isDynamic(logits.shape[2]))
    return llvm::createStringError(
        "output '" + logits.name + "' has shape " + shapeString(logits.shape) +
        ", tern-generate reads f32 logits [batch, sequence, vocabulary]");
  g->vocabulary_ = logits.shape[2];
  return g;
}

llvm::Expected<int64_t> Generator::prefill(llvm::ArrayRef<int64_t> prompt) {
  if (prompt.empty())
    return llvm::createStringError("the prompt holds no token");
  for (int64_t id : prompt)
    if (id < 0 || id >= vocabulary_)
      return llvm::createStringError("token " + std::to_string(id) +
                                     " is outside the vocabulary (" +
                                     std::to_string(vocabulary_) + " tokens)");
  tokens_.assign(prompt.begin(), prompt.end());
  seen_ = 0;
  return run(tokens_);
}

llvm::Expected<int64_t> Generator::step() {
  if (tokens_.empty())
    return llvm::createStringError("step() before prefill()");
  return run(llvm::ArrayRef<int64_t>(tokens_).drop_front(seen_));
}

llvm::Expected<int64_t> Generator::run(llvm::ArrayRef<int64_t> fresh) {
  const ModelSignature &signature = model_.signature();
  std::vector<Array> inputs(signature.inputs.size());
  inputs[idsInput_] = rowOf(fresh);
  int64_t total = seen_ + int64_t(fresh.size());
  if (maskInput_ >= 0)
    inputs[maskInput_] = rowOf(std::vector<int64_t>(total, 1));
  if (positionInput_ >= 0) {
    std::vector<int64_t> positions(fresh.size());
    std::iota(positions.begin(), positions.end(), seen_);
    inputs[positionInput_] = rowOf(positions);
  }
  for (size_t j = 0; j < pastInputs_.size(); ++j)
    std::swap(inputs[pastInputs_[j]], past_[j]);
  std::vector<Array> outputs;
  if (llvm::Error error = checkInputs(signature, inputs, {}))
    return std::move(error);
  llvm::Error error = model_.run(inputs, &outputs);
  for (size_t j = 0; j < pastInputs_.size(); ++j)
    std::swap(inputs[pastInputs_[j]], past_[j]);
  if (error)
    return std::move(error);
  const Array &logits = outputs[logitsOutput_];
  if (logits.shape.size() != 3 || logits.shape[0] != 1 || logits.shape[1] < 1 ||
      logits.shape[2] != vocabulary_)
    return llvm::createStringError("the model returned logits of shape " +
                                   shapeString(logits.shape));
  if (hasCache()) {
    for (size_t j = 0; j < pastInputs_.size(); ++j)
      past_[j] = std::move(outputs[presentOutputs_[j]]);
    seen_ = total;
  }
  const float *last = reinterpret_cast<const float *>(logits.data.data()) +
                      (logits.shape[1] - 1) * vocabulary_;
  int64_t token = sample(last);
  tokens_.push_back(token);
  return token;
}

int64_t Generator::sample(const float *logits) {
  std::vector<int64_t> order(vocabulary_);
  std::iota(order.begin(), order.end(), 0);
  if (sampling_.temperature == 0)
    return *std::max_element(
        order.begin(), order.end(),
        [&](int64_t a, int64_t b) { return logits[a] < logits[b]; });
  // The topK most likely, in order (ties: the lower id first).
  int64_t k =
      sampling_.topK > 0 ? std::min(sampling_.topK, vocabulary_) : vocabulary_;
  std::partial_sort(
      order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
      });
  std::vector<double> weights(k);
  double top = logits[order[0]];
  for (int64_t i = 0; i < k; ++i)
    weights[i] =
        std::exp((double(logits[order[i]]) - top) / sampling_.temperature);
  std::discrete_distribution<int64_t> pick(weights.begin(), weights.end());
  return order[pick(rng_)];
}
