/* Generates tokens with a decoder compiled by tern-compile --generator
 * (docs/CABI.md, "Generators"): greedy, from the prompts given on the
 * command line, one line of new tokens per prompt. Build, with the model's
 * prefix NAME:
 *
 *   tern-compile model.onnx --generator --name lm -o liblm.so --header lm.h
 *   cc generate.c -DMODEL_HEADER='"lm.h"' -DNAME=lm -I. -L. -llm \
 *      -Wl,-rpath,. -o generate
 *   ./generate 32 1,2,3 4,5      # 32 new tokens after each prompt
 */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOIN(a, b) a##b
#define CALL(name, suffix) JOIN(name, suffix)
#define generator_t CALL(NAME, _generator)

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s NEW_TOKENS PROMPT_IDS...\n", argv[0]);
    return 2;
  }
  long tokens = atol(argv[1]);
  int64_t batch = argc - 2;
  int64_t **prompts = calloc((size_t)batch, sizeof *prompts);
  int64_t *lengths = calloc((size_t)batch, sizeof *lengths);
  int64_t *next = calloc((size_t)batch, sizeof *next);
  int64_t *out = calloc((size_t)(batch * (tokens > 0 ? tokens : 1)), sizeof *out);
  for (int64_t r = 0; r < batch; ++r) {
    const char *text = argv[2 + r];
    prompts[r] = calloc(strlen(text) + 1, sizeof **prompts);
    for (char *end; *text; text = *end ? end + 1 : end)
      prompts[r][lengths[r]++] = strtoll(text, &end, 10);
  }
  generator_t *g = CALL(NAME, _generator_create)();
  int status = g ? 0 : 2;
  for (long i = 0; i < tokens && !status; ++i) {
    status = i == 0 ? CALL(NAME, _generator_prefill)(
                          g, (const int64_t *const *)prompts, lengths, batch)
                    : CALL(NAME, _generator_step)(g, next);
    if (status)
      break;
    CALL(NAME, _generator_argmax)(g, next);
    for (int64_t r = 0; r < batch; ++r)
      out[r * tokens + i] = next[r];
  }
  if (status) {
    fprintf(stderr, "generation failed: %d%s%s\n", status,
            status == 3 ? ": " : "", status == 3 ? CALL(NAME, _last_error)() : "");
  } else {
    for (int64_t r = 0; r < batch; ++r)
      for (long i = 0; i < tokens; ++i)
        printf("%lld%c", (long long)out[r * tokens + i],
               i + 1 < tokens ? ' ' : '\n');
  }
  CALL(NAME, _generator_free)(g);
  for (int64_t r = 0; r < batch; ++r)
    free(prompts[r]);
  free(prompts);
  free(lengths);
  free(next);
  free(out);
  return status;
}
