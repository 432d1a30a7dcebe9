/*===- BufferPool.c - the heap of compiled models ---------------*- C -*-===*
 *
 * Compiled code allocates its intermediate buffers with malloc and frees
 * them after their last use, on every call. glibc maps blocks above its
 * mmap threshold (at most 32 MB) afresh and unmaps them on free, and trims
 * the top of its heap, so each call paid page faults and page zeroing for
 * its large buffers again: two thirds of the time of sequential calibration
 * at a batch of 300, and the time of a decoder's step grew with the length
 * of its key/value cache. Blocks of 128 KB (glibc's default mmap
 * threshold) and more are therefore rounded up to a power of two, kept when
 * freed, and handed out again to a request they hold within twice its
 * size; at most 8 GiB are kept idle. The rounding lets buffers that grow a
 * little on every call (a decoder's attention over one more key per token)
 * reuse a block most of the time; pages of a block never written are
 * never faulted in, so it costs address space rather than memory.
 *
 * One source for both runtimes: the JIT (lib/Execution) links the compiled
 * code's malloc and free to these functions; tern-compile embeds this file
 * in a library's glue, with TERN_POOL_API hiding the symbols, and renames
 * the object's malloc and free to them (docs/CPUPipeline.md, "Memory").
 *
 *===----------------------------------------------------------------------===*/

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef TERN_POOL_API
#define TERN_POOL_API
#endif

/* Every block starts with its size (0 for small blocks, which go straight
 * to malloc and free); 16 bytes keep malloc's alignment. */
enum { tern_pool_header = 16 };
static const size_t tern_pool_large = (size_t)128 << 10;
static const size_t tern_pool_max_idle = (size_t)8 << 30;

struct tern_pool_entry {
  size_t size;
  char *block;
};

/* Idle blocks, sorted by size. */
static struct tern_pool_entry *tern_pool_idle;
static size_t tern_pool_count, tern_pool_room, tern_pool_idle_bytes;
static pthread_mutex_t tern_pool_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The first idle block of at least `size` bytes. */
static size_t tern_pool_lower_bound(size_t size) {
  size_t low = 0, high = tern_pool_count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (tern_pool_idle[middle].size < size)
      low = middle + 1;
    else
      high = middle;
  }
  return low;
}

static void tern_pool_take(size_t at) {
  tern_pool_idle_bytes -= tern_pool_idle[at].size;
  --tern_pool_count;
  memmove(&tern_pool_idle[at], &tern_pool_idle[at + 1],
          (tern_pool_count - at) * sizeof *tern_pool_idle);
}

TERN_POOL_API void *tern_pool_malloc(size_t bytes) {
  char *block = NULL;
  size_t size = 0;
  if (bytes >= tern_pool_large) {
    for (size = tern_pool_large; size < bytes && size <= SIZE_MAX / 2;)
      size *= 2;
    if (size < bytes)
      return NULL;
    pthread_mutex_lock(&tern_pool_mutex);
    size_t at = tern_pool_lower_bound(size);
    if (at < tern_pool_count && tern_pool_idle[at].size / 2 <= size) {
      block = tern_pool_idle[at].block;
      tern_pool_take(at);
    }
    pthread_mutex_unlock(&tern_pool_mutex);
    if (block)
      return block + tern_pool_header;
  }
  size_t allocated = size ? size : bytes;
  if (allocated > SIZE_MAX - tern_pool_header)
    return NULL;
  block = (char *)malloc(allocated + tern_pool_header);
  if (!block)
    return NULL;
  memcpy(block, &size, sizeof size);
  return block + tern_pool_header;
}

TERN_POOL_API void tern_pool_free(void *pointer) {
  if (!pointer)
    return;
  char *block = (char *)pointer - tern_pool_header;
  size_t size;
  memcpy(&size, block, sizeof size);
  if (!size) {
    free(block);
    return;
  }
  pthread_mutex_lock(&tern_pool_mutex);
  if (tern_pool_count == tern_pool_room) {
    size_t room = tern_pool_room ? 2 * tern_pool_room : 64;
    struct tern_pool_entry *grown = (struct tern_pool_entry *)realloc(
        tern_pool_idle, room * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&tern_pool_mutex);
      free(block);
      return;
    }
    tern_pool_idle = grown;
    tern_pool_room = room;
  }
  size_t at = tern_pool_lower_bound(size);
  memmove(&tern_pool_idle[at + 1], &tern_pool_idle[at],
          (tern_pool_count - at) * sizeof *tern_pool_idle);
  tern_pool_idle[at].size = size;
  tern_pool_idle[at].block = block;
  ++tern_pool_count;
  tern_pool_idle_bytes += size;
  /* Over the cap, the largest idle blocks go back to the system. */
  while (tern_pool_idle_bytes > tern_pool_max_idle) {
    char *largest = tern_pool_idle[tern_pool_count - 1].block;
    tern_pool_take(tern_pool_count - 1);
    free(largest);
  }
  pthread_mutex_unlock(&tern_pool_mutex);
}
