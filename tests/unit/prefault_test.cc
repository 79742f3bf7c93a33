// Faulting memory in ahead of a loop: it must finish its work without
// changing anything it was pointed at.
#include "common/prefault.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace sortie {
namespace {

size_t ResidentPages(void* begin, size_t bytes) {
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in_core((bytes + page - 1) / page);
  if (mincore(begin, bytes, in_core.data()) != 0) return 0;
  size_t resident = 0;
  for (unsigned char flag : in_core) resident += flag & 1u;
  return resident;
}

TEST(PrefaultTest, PrefaultMakesPagesResidentAndKeepsWhatTheyHold) {
  const size_t bytes = size_t{16} << 20;
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  auto* bytes_at = static_cast<char*>(memory);
  std::memcpy(bytes_at, "kept", 5);
  std::memcpy(bytes_at + bytes - 5, "tail", 5);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  ASSERT_LT(ResidentPages(memory, bytes), bytes / page / 2);
  {
    BackgroundPrefault prefault(memory, bytes);
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ResidentPages(memory, bytes) < bytes / page &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  // Kernels before 5.14 have no MADV_POPULATE_WRITE: nothing to check then.
  if (ResidentPages(memory, bytes) == bytes / page) {
    SUCCEED();
  } else {
    EXPECT_EQ(madvise(memory, page, 23), -1) << "populate works, yet pages "
                                                "were not made resident";
  }
  EXPECT_STREQ(bytes_at, "kept");
  EXPECT_STREQ(bytes_at + bytes - 5, "tail");
  munmap(memory, bytes);
}

// A loop fills its range from the front, so the prefault starts at the back:
// stopped early, it has made the end resident and left the start alone.
TEST(PrefaultTest, PrefaultWorksFromTheEndBackwards) {
  const size_t bytes = size_t{1} << 30;  // never finished before it is stopped
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  auto* last_page = static_cast<char*>(memory) + bytes - page;
  {
    BackgroundPrefault prefault(memory, bytes);
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ResidentPages(last_page, page) == 0 &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  if (ResidentPages(last_page, page) == 1) {
    EXPECT_EQ(ResidentPages(memory, page), 0u);
    EXPECT_LT(ResidentPages(memory, bytes), bytes / page / 2);
  } else {  // no MADV_POPULATE_WRITE (before Linux 5.14)
    EXPECT_EQ(madvise(memory, page, 23), -1);
  }
  munmap(memory, bytes);
}

}  // namespace
}  // namespace sortie
