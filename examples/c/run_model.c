/* Calls a model compiled by tern-compile: here the test model of
 * test/Tools/tern-compile (x: float[2x4], b: float[2x3] -> y: float[2x3],
 * n: int64[2]), with inputs computed in the program. Build:
 *
 *   tern-compile model.onnxtxt --name demo -o libdemo.so --header demo.h
 *   cc run_model.c -I. -L. -ldemo -Wl,-rpath,. -o run_model
 */
#include "demo.h"

#include <stdio.h>

int main(void) {
  float x[2][4], b[2][3], y[2][3];
  int64_t n[2];
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 4; ++k)
      x[i][k] = (float)(i * 4 + k) / 8.0f - 0.5f;
    for (int j = 0; j < 3; ++j)
      b[i][j] = (float)(j - i) / 4.0f;
  }
  if (demo_run(&x[0][0], &b[0][0], &y[0][0], n) != 0)
    return 1;
  for (int i = 0; i < 2; ++i)
    printf("y[%d] = %.6f %.6f %.6f\n", i, y[i][0], y[i][1], y[i][2]);
  printf("n = %lld %lld\n", (long long)n[0], (long long)n[1]);
  return 0;
}
