//===- HugePagesTest.cpp - a compiled model's weights on huge pages -------===//

#include "tern/Execution/HugePages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr size_t kHugePage = size_t(2) << 20;

/// The line of /proc/self/maps that holds `address`.
std::string mappingOf(const void *address) {
  std::FILE *maps = std::fopen("/proc/self/maps", "r");
  if (!maps)
    return "";
  char line[512];
  std::string found;
  auto at = reinterpret_cast<std::uintptr_t>(address);
  while (std::fgets(line, sizeof line, maps)) {
    unsigned long begin, end;
    if (std::sscanf(line, "%lx-%lx", &begin, &end) == 2 && at >= begin &&
        at < end) {
      found = line;
      break;
    }
  }
  std::fclose(maps);
  return found;
}

/// Whether that mapping is a file's (its inode, the fifth field, not 0).
bool fileBacked(const void *address) {
  std::string line = mappingOf(address);
  char permissions[8], offset[32], device[16];
  unsigned long begin, end, inode = 0;
  if (std::sscanf(line.c_str(), "%lx-%lx %7s %31s %15s %lu", &begin, &end,
                  permissions, offset, device, &inode) != 6)
    return false;
  return inode != 0;
}

/// A read-only private mapping of a file of `bytes` bytes holding a
/// pattern, as a shared library's data is mapped.
class FileMapping {
public:
  explicit FileMapping(size_t bytes) : bytes_(bytes) {
    char path[] = "/tmp/tern-huge-pages-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
      return;
    unlink(path);
    pattern_.resize(bytes);
    for (size_t i = 0; i < bytes; ++i)
      pattern_[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
    if (write(fd, pattern_.data(), bytes) == ssize_t(bytes))
      data_ = mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data_ == MAP_FAILED)
      data_ = nullptr;
  }
  ~FileMapping() {
    if (data_)
      munmap(data_, bytes_);
  }
  const unsigned char *data() const {
    return static_cast<const unsigned char *>(data_);
  }
  bool unchanged() const {
    return data_ && std::memcmp(data_, pattern_.data(), bytes_) == 0;
  }

private:
  size_t bytes_;
  void *data_ = nullptr;
  std::vector<unsigned char> pattern_;
};

TEST(HugePages, MapGivesAlignedWritableMemory) {
  EXPECT_EQ(tern_huge_pages_map(0), nullptr);
  EXPECT_EQ(tern_huge_pages_map(kHugePage + 4096), nullptr);
  void *p = tern_huge_pages_map(2 * kHugePage);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % kHugePage, 0u);
  std::memset(p, 0x5a, 2 * kHugePage);
  EXPECT_EQ(static_cast<unsigned char *>(p)[2 * kHugePage - 1], 0x5a);
  munmap(p, 2 * kHugePage);
}

TEST(HugePages, MovesTheWholeHugePagesOfAFileMapping) {
  FileMapping file(7 * kHugePage + 12345);
  ASSERT_NE(file.data(), nullptr);
  const unsigned char *begin = file.data() + 100;
  const unsigned char *end = file.data() + 7 * kHugePage;
  auto from = (reinterpret_cast<std::uintptr_t>(begin) + kHugePage - 1) &
              ~std::uintptr_t(kHugePage - 1);
  auto to =
      reinterpret_cast<std::uintptr_t>(end) & ~std::uintptr_t(kHugePage - 1);
  ASSERT_GT(to, from);
  setenv("TERN_HUGE_PAGES", "1", 1);
  size_t moved = tern_huge_pages(begin, end);
  bool enabled = tern_huge_pages_enabled(0);
  unsetenv("TERN_HUGE_PAGES");
  EXPECT_TRUE(file.unchanged());
  if (!enabled) {
    EXPECT_EQ(moved, 0u);
    GTEST_SKIP() << "transparent huge pages are off on this machine";
  }
  EXPECT_EQ(moved, to - from);
  // The whole pages are anonymous memory now, still read-only; the bytes
  // around them are still the file's.
  const void *inside = reinterpret_cast<const void *>(from);
  EXPECT_FALSE(fileBacked(inside)) << mappingOf(inside);
  EXPECT_EQ(mappingOf(inside).find(" r--p "), mappingOf(inside).find(' '))
      << mappingOf(inside);
  EXPECT_TRUE(fileBacked(file.data())) << mappingOf(file.data());
  EXPECT_TRUE(fileBacked(reinterpret_cast<const void *>(to)))
      << mappingOf(reinterpret_cast<const void *>(to));
}

TEST(HugePages, LeavesRangesWithoutAWholeHugePage) {
  FileMapping file(kHugePage);
  ASSERT_NE(file.data(), nullptr);
  // Shorter than 2 MiB: it cannot hold a whole huge page.
  const unsigned char *begin = file.data() + 1;
  setenv("TERN_HUGE_PAGES", "1", 1);
  EXPECT_EQ(tern_huge_pages(begin, begin + kHugePage - 1), 0u);
  EXPECT_EQ(tern_huge_pages(nullptr, nullptr), 0u);
  unsetenv("TERN_HUGE_PAGES");
  EXPECT_TRUE(fileBacked(file.data()));
  EXPECT_TRUE(file.unchanged());
}

TEST(HugePages, LibrariesMoveOnlyWhenAsked) {
  FileMapping file(5 * kHugePage);
  ASSERT_NE(file.data(), nullptr);
  // Unset: the JIT's default (on where the kernel allows), not a library's.
  unsetenv("TERN_HUGE_PAGES");
  EXPECT_EQ(tern_huge_pages_enabled(0), 0);
  EXPECT_EQ(tern_huge_pages(file.data(), file.data() + 5 * kHugePage), 0u);
  // 0: neither.
  setenv("TERN_HUGE_PAGES", "0", 1);
  EXPECT_EQ(tern_huge_pages_enabled(1), 0);
  EXPECT_EQ(tern_huge_pages(file.data(), file.data() + 5 * kHugePage), 0u);
  unsetenv("TERN_HUGE_PAGES");
  EXPECT_TRUE(fileBacked(file.data() + 3 * kHugePage));
  EXPECT_TRUE(file.unchanged());
}

} // namespace
