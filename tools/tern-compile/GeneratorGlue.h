//===- GeneratorGlue.h - the C generator of compiled decoders ---*- C++ -*-===//
//
// This file holds the C source tern-compile --generator adds to a decoder's
// library: a generator object that owns the key/value cache (buffers that
// grow by doubling, appended to in place by the model after
// tern-cache-in-place), pads batches on the left and counts positions per
// row, as mlir::tern::Generator does for the JIT (Execution/Generate.h);
// the library cannot link tern's C++ runtime, so the loop is C here, and
// test/Tools/tern-compile/generator.test checks that both give the same
// tokens. `NAME_` is replaced by the library's prefix; the model-specific
// parts (NAME_CACHES, NAME_cache_heads, NAME_cache_size, NAME_HAS_MASK,
// NAME_VOCABULARY and NAME_call, which calls NAME_run with the inputs in
// the model's order) are generated before it.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_TOOLS_TERN_COMPILE_GENERATORGLUE_H
#define TERN_TOOLS_TERN_COMPILE_GENERATORGLUE_H

namespace mlir::tern {

inline constexpr const char *kGeneratorGlue = R"glue(
struct NAME_generator {
  int64_t batch;   /* rows */
  int64_t columns; /* tokens of each row so far, padding included */
  int64_t room;    /* columns ids and mask have room for */
  int64_t seen;    /* columns the cache holds */
  int64_t capacity; /* rows along axis 2 the cache buffers have room for */
  int64_t *ids, *mask; /* [batch][room] */
  float *cache[NAME_CACHES + 1]; /* [batch][heads][capacity][size] */
  float *logits; /* [batch][NAME_VOCABULARY] */
};

NAME_generator *NAME_generator_create(void) {
  return (NAME_generator *)calloc(1, sizeof(NAME_generator));
}

void NAME_generator_free(NAME_generator *g) {
  if (!g)
    return;
  free(g->ids);
  free(g->mask);
  for (int j = 0; j < NAME_CACHES; ++j)
    free(g->cache[j]);
  free(g->logits);
  free(g);
}

const float *NAME_generator_logits(const NAME_generator *g) {
  return g->logits;
}

void NAME_generator_argmax(const NAME_generator *g, int64_t *tokens) {
  for (int64_t r = 0; r < g->batch; ++r) {
    const float *row = g->logits + r * NAME_VOCABULARY;
    int64_t best = 0;
    for (int64_t v = 1; v < NAME_VOCABULARY; ++v)
      if (row[v] > row[best])
        best = v;
    tokens[r] = best;
  }
}

/* The room a buffer of `have` grows to for `need` (> have): doubling, at
   least 64, so that over n tokens each element is copied O(log n) times. */
static int64_t NAME_grown(int64_t have, int64_t need) {
  int64_t room = have * 2 > need ? have * 2 : need;
  return room < 64 ? 64 : room;
}

/* Room for `columns` tokens in every row of ids and mask. */
static int NAME_reserve_columns(NAME_generator *g, int64_t columns) {
  if (columns <= g->room)
    return 0;
  int64_t room = NAME_grown(g->room, columns);
  int64_t *ids = (int64_t *)calloc((size_t)(g->batch * room), sizeof *ids);
  int64_t *mask = (int64_t *)calloc((size_t)(g->batch * room), sizeof *mask);
  if (!ids || !mask) {
    free(ids);
    free(mask);
    return 2;
  }
  for (int64_t r = 0; r < g->batch && g->columns; ++r) {
    memcpy(ids + r * room, g->ids + r * g->room, g->columns * sizeof *ids);
    memcpy(mask + r * room, g->mask + r * g->room, g->columns * sizeof *mask);
  }
  free(g->ids);
  free(g->mask);
  g->ids = ids;
  g->mask = mask;
  g->room = room;
  return 0;
}

/* Room for `rows` keys and values in every cache buffer, the first `seen`
   kept. */
static int NAME_reserve_cache(NAME_generator *g, int64_t rows) {
  if (rows <= g->capacity)
    return 0;
  int64_t capacity = NAME_grown(g->capacity, rows);
  for (int j = 0; j < NAME_CACHES; ++j) {
    int64_t outer = g->batch * NAME_cache_heads[j];
    size_t row = (size_t)NAME_cache_size[j] * sizeof(float);
    float *grown = (float *)malloc((size_t)(outer * capacity) * row);
    if (!grown)
      return 2;
    for (int64_t o = 0; o < outer && g->seen; ++o)
      memcpy((char *)grown + o * capacity * row,
             (char *)g->cache[j] + o * g->capacity * row, g->seen * row);
    free(g->cache[j]);
    g->cache[j] = grown;
  }
  g->capacity = capacity;
  return 0;
}

/* Runs the columns the cache has not seen (all of them without a cache)
   and keeps the logits of every row's last one. */
static int NAME_generator_run(NAME_generator *g) {
  int64_t from = NAME_CACHES ? g->seen : 0, fresh = g->columns - from;
  int status = NAME_CACHES ? NAME_reserve_cache(g, g->columns) : 0;
  int64_t *ids = (int64_t *)malloc((size_t)(g->batch * fresh) * sizeof *ids);
  int64_t *positions =
      (int64_t *)malloc((size_t)(g->batch * fresh) * sizeof *positions);
  int64_t *mask =
      (int64_t *)malloc((size_t)(g->batch * g->columns) * sizeof *mask);
  if (status || !ids || !positions || !mask) {
    free(ids);
    free(positions);
    free(mask);
    return 2;
  }
  for (int64_t r = 0; r < g->batch; ++r) {
    const int64_t *row = g->mask + r * g->room;
    int64_t count = 0;
    for (int64_t c = 0; c < g->columns; ++c) {
      /* A token's position counts the tokens before it in its row. */
      if (c >= from) {
        ids[r * fresh + c - from] = g->ids[r * g->room + c];
        positions[r * fresh + c - from] = row[c] ? count : 0;
      }
      count += row[c] != 0;
      mask[r * g->columns + c] = row[c];
    }
  }
  float *logits = NULL;
  int64_t shape[3] = {0, 0, 0};
  status = NAME_call(g, ids, mask, positions, fresh, &logits, shape);
  free(ids);
  free(positions);
  free(mask);
  if (status) {
    free(logits);
    return status;
  }
  for (int64_t r = 0; r < g->batch; ++r)
    memcpy(g->logits + r * NAME_VOCABULARY,
           logits + ((r + 1) * shape[1] - 1) * NAME_VOCABULARY,
           NAME_VOCABULARY * sizeof(float));
  free(logits);
  g->seen = g->columns;
  return 0;
}

int NAME_generator_prefill(NAME_generator *g, const int64_t *const *prompts,
                           const int64_t *lengths, int64_t batch) {
  if (batch < 1)
    return 1;
  int64_t longest = 0;
  for (int64_t r = 0; r < batch; ++r) {
    if (lengths[r] < 1)
      return 1;
    for (int64_t i = 0; i < lengths[r]; ++i)
      if (prompts[r][i] < 0 || prompts[r][i] >= NAME_VOCABULARY)
        return 1;
    longest = lengths[r] > longest ? lengths[r] : longest;
    /* Padding needs attention_mask to be masked out. */
    if (!NAME_HAS_MASK && lengths[r] != lengths[0])
      return 1;
  }
  free(g->ids);
  free(g->mask);
  for (int j = 0; j < NAME_CACHES; ++j)
    free(g->cache[j]);
  free(g->logits);
  memset(g, 0, sizeof *g);
  g->batch = batch;
  g->logits = (float *)malloc((size_t)(batch * NAME_VOCABULARY) * sizeof(float));
  if (!g->logits || NAME_reserve_columns(g, longest))
    return 2;
  /* Padding (token 0, mask 0) on the left. */
  for (int64_t r = 0; r < batch; ++r)
    for (int64_t c = 0; c < longest; ++c) {
      int64_t pad = longest - lengths[r];
      g->ids[r * g->room + c] = c < pad ? 0 : prompts[r][c - pad];
      g->mask[r * g->room + c] = c >= pad;
    }
  g->columns = longest;
  return NAME_generator_run(g);
}

int NAME_generator_step(NAME_generator *g, const int64_t *tokens) {
  if (!g->batch)
    return 1;
  for (int64_t r = 0; r < g->batch; ++r)
    if (tokens[r] < 0 || tokens[r] >= NAME_VOCABULARY)
      return 1;
  if (NAME_reserve_columns(g, g->columns + 1))
    return 2;
  for (int64_t r = 0; r < g->batch; ++r) {
    g->ids[r * g->room + g->columns] = tokens[r];
    g->mask[r * g->room + g->columns] = 1;
  }
  ++g->columns;
  return NAME_generator_run(g);
}
)glue";

} // namespace mlir::tern

#endif // TERN_TOOLS_TERN_COMPILE_GENERATORGLUE_H
