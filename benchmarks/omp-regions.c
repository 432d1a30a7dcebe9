/* omp-regions: where a compiled model's time goes, OpenMP region by region.
 *
 * Every op of a model compiled by tern-cpu-pipeline runs in an OpenMP
 * region (forked or, below tern-parallel-work-threshold, on the calling
 * thread). Preloaded into a program, this library wraps libomp's
 * __kmpc_fork_call and __kmpc_fork_call_if, times each call, and at exit
 * writes one line per region: seconds, calls, forked calls, the region's
 * address in its library, and the library. Forked calls also run through a
 * trampoline that times each thread of the team: the time the other
 * threads started after the call began, and the time threads waited at
 * the join after their own share for the last one (summed over the team:
 * a share of work one thread did while the others waited).
 * scripts/omp-regions.sh builds it, runs a command under it and names the
 * regions. OMP_REGIONS_SKIP=K leaves out the first K calls of every region (a
 * generator's prefill, so that what is counted is its steps). A profiling aid,
 * not part of tern.
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
  double seconds, start_delay, join_wait;
  long calls, forked, skipped;
} table[SLOTS];

/* What the trampoline records of one forked call: each thread's entry and
 * exit (the team of a fork has at most MAX_THREADS threads timed). */
#define MAX_THREADS 64
struct call {
  microtask task;
  void *captured;
  int threads;
  double enter[MAX_THREADS], leave[MAX_THREADS];
};
static long skip = -1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void trampoline(int *gtid, int *btid, struct call *call) {
  int id = *btid;
  double enter = now();
  call->task(gtid, btid, call->captured);
  if (id < MAX_THREADS) {
    call->enter[id] = enter;
    call->leave[id] = now();
    __atomic_fetch_add(&call->threads, 1, __ATOMIC_RELAXED);
  }
}

static void record(void *task, double seconds, int forked,
                   const struct call *call, double start) {
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
  if (!call || call->threads < 2)
    return;
  double last_enter = call->enter[0], last_leave = call->leave[0];
  for (int i = 1; i < call->threads && i < MAX_THREADS; ++i) {
    last_enter = call->enter[i] > last_enter ? call->enter[i] : last_enter;
    last_leave = call->leave[i] > last_leave ? call->leave[i] : last_leave;
  }
  table[h].start_delay += last_enter - start;
  for (int i = 0; i < call->threads && i < MAX_THREADS; ++i)
    table[h].join_wait += last_leave - call->leave[i];
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
  struct call call = {task, captured, 0, {0}, {0}};
  double start = now();
  real(loc, 1, (microtask)trampoline, &call);
  record((void *)task, now() - start, 1, &call, start);
}

void __kmpc_fork_call_if(void *loc, int argc, microtask task, int cond,
                         void *args) {
  static fork_if_fn real;
  if (!real)
    real = (fork_if_fn)dlsym(RTLD_NEXT, "__kmpc_fork_call_if");
  if (argc > 1) {
    fprintf(stderr, "omp-regions: a region with %d arguments\n", argc);
    abort();
  }
  struct call call = {task, args, 0, {0}, {0}};
  double start = now();
  if (cond)
    real(loc, 1, (microtask)trampoline, 1, &call);
  else
    real(loc, argc, task, cond, args);
  record((void *)task, now() - start, cond != 0, cond ? &call : 0, start);
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
    fprintf(out, "%.9f %ld %ld %.9f %.9f 0x%lx %s\n", table[i].seconds,
            table[i].calls, table[i].forked, table[i].start_delay,
            table[i].join_wait,
            (unsigned long)((char *)table[i].task - (char *)info.dli_fbase),
            info.dli_fname);
  }
  if (path)
    fclose(out);
}
