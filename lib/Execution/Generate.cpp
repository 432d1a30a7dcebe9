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

/// An int64 array [rows.size(), columns] of columns [from, from + columns)
/// of each row.
Array columnsOf(llvm::ArrayRef<std::vector<int64_t>> rows, int64_t from,
                int64_t columns) {
  Array a;
  a.type = DType::I64;
  a.shape = {int64_t(rows.size()), columns};
  a.data.resize(rows.size() * columns * sizeof(int64_t));
  auto *out = reinterpret_cast<int64_t *>(a.data.data());
  for (const std::vector<int64_t> &row : rows)
    out = std::copy_n(row.begin() + from, columns, out);
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

/// An in-place cache buffer (tern-cache-in-place).
bool isCacheBuffer(llvm::StringRef name) { return name.starts_with("cache."); }

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
    if (name == "past_length") {
      if (!input.elementType.isInteger(64) || !input.shape.empty())
        return llvm::createStringError("input 'past_length' is " +
                                       shapeString(input.shape) +
                                       ", tern-generate feeds an int64 scalar");
      g->pastLengthInput_ = int64_t(i);
      continue;
    }
    if (isCacheInput(name) || isCacheBuffer(name)) {
      ArrayRef<int64_t> s = input.shape;
      if (!input.elementType.isF32() || s.size() != 4 ||
          ShapedType::isDynamic(s[1]) || ShapedType::isDynamic(s[3]))
        return llvm::createStringError(
            "cache input '" + name + "' has shape " + shapeString(s) +
            ", tern-generate feeds f32 [batch, heads, past, head size] with "
            "static heads and head size");
      g->pastInputs_.push_back(int64_t(i));
      Array empty;
      empty.type = DType::F32;
      empty.shape = {1, s[1], 0, s[3]};
      g->past_.push_back(std::move(empty));
      if (isCacheBuffer(name))
        continue;
      std::string present = presentName(name);
      auto output =
          llvm::find_if(signature.outputs, [&](const TensorSignature &o) {
            return o.name == present;
          });
      if (output == signature.outputs.end())
        return llvm::createStringError("cache input '" + name +
                                       "' has no output '" + present +
                                       "' that updates it");
      g->presentOutputs_.push_back(output - signature.outputs.begin());
      continue;
    }
    return llvm::createStringError(
        "input '" + name +
        "' is not one tern-generate feeds (input_ids, attention_mask, "
        "position_ids, past_key_values.N.key|value)");
  }
  if (g->idsInput_ < 0)
    return llvm::createStringError("the model has no input 'input_ids'");
  bool buffers = llvm::any_of(signature.inputs, [](const TensorSignature &t) {
    return isCacheBuffer(t.name);
  });
  if (buffers != g->cacheInPlace())
    return llvm::createStringError(
        buffers ? "the model has cache buffers (cache.N.key|value) but no "
                  "input 'past_length'"
                : "the model has an input 'past_length' but no cache "
                  "buffers (cache.N.key|value)");
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

llvm::Expected<std::vector<int64_t>>
Generator::prefill(llvm::ArrayRef<std::vector<int64_t>> prompts) {
  if (prompts.empty())
    return llvm::createStringError("no prompt to run");
  size_t longest = 0;
  for (const std::vector<int64_t> &prompt : prompts) {
    if (prompt.empty())
      return llvm::createStringError("a prompt holds no token");
    for (int64_t id : prompt)
      if (id < 0 || id >= vocabulary_)
        return llvm::createStringError(
            "token " + std::to_string(id) + " is outside the vocabulary (" +
            std::to_string(vocabulary_) + " tokens)");
    longest = std::max(longest, prompt.size());
  }
  bool padded = llvm::any_of(prompts, [&](const std::vector<int64_t> &p) {
    return p.size() != longest;
  });
  if (padded && maskInput_ < 0)
    return llvm::createStringError(
        "prompts of different lengths are padded, and the model has no "
        "input 'attention_mask' to mask the padding");
  ids_.clear();
  mask_.clear();
  for (const std::vector<int64_t> &prompt : prompts) {
    // Padding (token 0, masked) on the left.
    size_t pad = longest - prompt.size();
    std::vector<int64_t> row(pad, 0), mask(pad, 0);
    row.insert(row.end(), prompt.begin(), prompt.end());
    mask.resize(longest, 1);
    ids_.push_back(std::move(row));
    mask_.push_back(std::move(mask));
  }
  seen_ = 0;
  // An empty cache of the batch's rows.
  for (Array &past : past_) {
    past.shape = {int64_t(prompts.size()), past.shape[1], 0, past.shape[3]};
    past.data.clear();
  }
  capacity_ = 0;
  return run();
}

llvm::Expected<std::vector<int64_t>> Generator::step() {
  if (ids_.empty())
    return llvm::createStringError("step() before prefill()");
  return run();
}

llvm::Expected<std::vector<int64_t>> Generator::run() {
  const ModelSignature &signature = model_.signature();
  std::vector<Array> inputs(signature.inputs.size());
  int64_t rows = batch(), total = int64_t(ids_.front().size());
  int64_t fresh = total - seen_;
  inputs[idsInput_] = columnsOf(ids_, seen_, fresh);
  if (maskInput_ >= 0)
    inputs[maskInput_] = columnsOf(mask_, 0, total);
  if (positionInput_ >= 0) {
    // A token's position counts the tokens before it in its row (padding
    // excluded); padding takes position 0.
    std::vector<std::vector<int64_t>> positions;
    for (const std::vector<int64_t> &mask : mask_) {
      std::vector<int64_t> row(total);
      int64_t count = 0;
      for (int64_t c = 0; c < total; ++c)
        row[c] = mask[c] ? count++ : 0;
      positions.push_back(std::move(row));
    }
    inputs[positionInput_] = columnsOf(positions, seen_, fresh);
  }
  if (cacheInPlace()) {
    reserve(total);
    Array length;
    length.type = DType::I64;
    length.data.resize(sizeof(int64_t));
    std::memcpy(length.data.data(), &seen_, sizeof(int64_t));
    inputs[pastLengthInput_] = std::move(length);
  }
  for (size_t j = 0; j < pastInputs_.size(); ++j)
    std::swap(inputs[pastInputs_[j]], past_[j]);
  std::vector<Array> outputs;
  llvm::Error error = checkInputs(signature, inputs, {});
  if (!error)
    error = model_.run(inputs, &outputs);
  for (size_t j = 0; j < pastInputs_.size(); ++j)
    std::swap(inputs[pastInputs_[j]], past_[j]);
  if (error)
    return std::move(error);
  const Array &logits = outputs[logitsOutput_];
  if (logits.shape.size() != 3 || logits.shape[0] != rows ||
      logits.shape[1] < 1 || logits.shape[2] != vocabulary_)
    return llvm::createStringError("the model returned logits of shape " +
                                   shapeString(logits.shape));
  if (hasCache()) {
    // In place, the buffers hold the new rows already.
    for (size_t j = 0; j < presentOutputs_.size(); ++j)
      past_[j] = std::move(outputs[presentOutputs_[j]]);
    seen_ = total;
  }
  const float *all = reinterpret_cast<const float *>(logits.data.data());
  logits_.resize(rows * vocabulary_);
  std::vector<int64_t> next(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float *last = all + ((r + 1) * logits.shape[1] - 1) * vocabulary_;
    std::copy_n(last, vocabulary_, logits_.begin() + r * vocabulary_);
    next[r] = sample(last);
    ids_[r].push_back(next[r]);
    mask_[r].push_back(1);
  }
  return next;
}

void Generator::reserve(int64_t rows) {
  if (rows <= capacity_)
    return;
  // Doubling: a buffer is copied O(log n) times over n tokens.
  int64_t capacity = std::max({rows, 2 * capacity_, int64_t(64)});
  for (Array &buffer : past_) {
    int64_t outer = buffer.shape[0] * buffer.shape[1];
    int64_t rowBytes = buffer.shape[3] * int64_t(sizeof(float));
    std::vector<char> grown(outer * capacity * rowBytes);
    for (int64_t o = 0; o < outer && seen_ > 0; ++o)
      std::memcpy(grown.data() + o * capacity * rowBytes,
                  buffer.data.data() + o * capacity_ * rowBytes,
                  seen_ * rowBytes);
    buffer.data = std::move(grown);
    buffer.shape[2] = capacity;
  }
  capacity_ = capacity;
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
