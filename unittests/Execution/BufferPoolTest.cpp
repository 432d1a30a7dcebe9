//===- BufferPoolTest.cpp - the heap of compiled models -------------------===//

#include "tern/Execution/BufferPool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

bool aligned16(const void *p) {
  return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

TEST(BufferPool, SmallBlocksAreUsableAndAligned) {
  std::vector<void *> blocks;
  for (size_t bytes : {size_t(1), size_t(17), size_t(4096), size_t(100000)}) {
    void *p = tern_pool_malloc(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned16(p));
    std::memset(p, 0xab, bytes);
    blocks.push_back(p);
  }
  for (void *p : blocks)
    tern_pool_free(p);
  tern_pool_free(nullptr);
}

TEST(BufferPool, FreedLargeBlockServesAGrowingRequest) {
  // A buffer that grows a little on every call (a decoder's attention over
  // one more key) gets the block it freed, rounded up to a power of two.
  const size_t first = (size_t(3) << 20) + 12345;
  char *a = static_cast<char *>(tern_pool_malloc(first));
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(aligned16(a));
  std::memset(a, 1, first);
  tern_pool_free(a);
  char *b = static_cast<char *>(tern_pool_malloc(first + 8192));
  EXPECT_EQ(a, b);
  std::memset(b, 2, first + 8192); // The whole request is writable.
  tern_pool_free(b);
}

TEST(BufferPool, BlocksTooLargeForARequestAreNotHandedOut) {
  // An idle block more than twice the (rounded) request stays idle.
  char *big = static_cast<char *>(tern_pool_malloc(size_t(64) << 20));
  ASSERT_NE(big, nullptr);
  tern_pool_free(big);
  char *small = static_cast<char *>(tern_pool_malloc(size_t(1) << 20));
  ASSERT_NE(small, nullptr);
  EXPECT_NE(small, big);
  char *again = static_cast<char *>(tern_pool_malloc(size_t(40) << 20));
  EXPECT_EQ(again, big);
  tern_pool_free(small);
  tern_pool_free(again);
}

TEST(BufferPool, LiveBlocksAreDistinct) {
  const size_t bytes = size_t(2) << 20;
  char *a = static_cast<char *>(tern_pool_malloc(bytes));
  char *b = static_cast<char *>(tern_pool_malloc(bytes));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  std::memset(a, 1, bytes);
  std::memset(b, 2, bytes);
  EXPECT_EQ(a[bytes - 1], 1);
  tern_pool_free(a);
  tern_pool_free(b);
}

} // namespace
