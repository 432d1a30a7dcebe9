//===- BufferPool.h - the heap of compiled models ---------------*- C++ -*-===//
//
// The malloc and free of compiled code (lib/Execution/BufferPool.c): large
// freed blocks are kept and handed out again, so that a model called again
// and again does not fault its buffers in afresh on every call.
// optimizeForCPU renames the code's malloc and free to these; the JIT
// defines them from this library, tern-compile from the same source in a
// library's glue.
//
//===----------------------------------------------------------------------===//

#ifndef TERN_EXECUTION_BUFFERPOOL_H
#define TERN_EXECUTION_BUFFERPOOL_H

#include <cstddef>

extern "C" {
/// A block of `bytes` bytes, aligned as malloc's; to be released with
/// tern_pool_free only.
void *tern_pool_malloc(size_t bytes);
/// Releases a block of tern_pool_malloc (null: nothing).
void tern_pool_free(void *block);
}

#endif // TERN_EXECUTION_BUFFERPOOL_H
