/* omp-regions: where a compiled model's time goes, OpenMP region by region.
 *
 * Every op of a model compiled by tern-cpu-pipeline runs in an OpenMP
 * region (forked or, below tern-parallel-work-threshold, on the calling
 * thread). Preloaded into a program, this library wraps libomp's
 * __kmpc_fork_call and __kmpc_fork_call_if, times each call, and at exit
 * writes one line per region: seconds, calls, forked calls, the region's
 * address in its library, and the library. scripts/omp-regions.sh builds
 * it, runs a command under it and names the regions. OMP_REGIONS_SKIP=K
 * leaves out the first K calls of every region (a generator's prefill, so
 * that what is counted is its steps). A profiling aid, not part of tern.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*microtask)(int *, int *, ...);
typedef void (*fork_fn)(void *, int, microtask, ...);
typedef void (*fork_if_fn)(void *, int, microtask, int, void *);

#define SLOTS 8192
static struct {
  void *task;
  double seconds;
  long calls, forked, skipped;
} table[SLOTS];
static long skip = -1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void record(void *task, double seconds, int forked) {
  size_t h = ((uintptr_t)task >> 4) % SLOTS;
  while (table[h].task && table[h].task != task)
    h = (h + 1) % SLOTS;
  table[h].task = task;
  if (skip < 0) {
    const char *text = getenv("OMP_REGIONS_SKIP");
    skip = text ? atol(text) : 0;
  }
  if (table[h].skipped < skip) {
    ++table[h].skipped;
    return;
  }
  table[h].seconds += seconds;
  table[h].calls += 1;
  table[h].forked += forked;
}

/* The compiled code passes its captured values as one argument. */
void __kmpc_fork_call(void *loc, int argc, microtask task, ...) {
  static fork_fn real;
  if (!real)
    real = (fork_fn)dlsym(RTLD_NEXT, "__kmpc_fork_call");
  if (argc > 1) {
    fprintf(stderr, "omp-regions: a region with %d arguments\n", argc);
    abort();
  }
  __builtin_va_list args;
  __builtin_va_start(args, task);
  void *captured = argc ? __builtin_va_arg(args, void *) : 0;
  __builtin_va_end(args);
  double start = now();
  real(loc, argc, task, captured);
  record((void *)task, now() - start, 1);
}

void __kmpc_fork_call_if(void *loc, int argc, microtask task, int cond,
                         void *args) {
  static fork_if_fn real;
  if (!real)
    real = (fork_if_fn)dlsym(RTLD_NEXT, "__kmpc_fork_call_if");
  double start = now();
  real(loc, argc, task, cond, args);
  record((void *)task, now() - start, cond != 0);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("OMP_REGIONS_OUT");
  FILE *out = path ? fopen(path, "w") : stderr;
  if (!out)
    return;
  for (int i = 0; i < SLOTS; ++i) {
    if (!table[i].task)
      continue;
    Dl_info info;
    if (!dladdr(table[i].task, &info) || !info.dli_fname)
      continue;
    fprintf(out, "%.9f %ld %ld 0x%lx %s\n", table[i].seconds, table[i].calls,
            table[i].forked,
            (unsigned long)((char *)table[i].task - (char *)info.dli_fbase),
            info.dli_fname);
  }
  if (path)
    fclose(out);
}
