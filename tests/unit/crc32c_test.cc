#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace sortie {
namespace {

// Bit-at-a-time CRC-32C straight from the definition, as an oracle for the
// table-driven version.
uint32_t ReferenceCrc32c(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : bytes) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0x82F63B78u : 0u);
    }
  }
  return ~crc;
}

uint32_t Crc(const std::string& bytes) {
  return Crc32c(bytes.data(), bytes.size());
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFFu);
  return bytes;
}

TEST(Crc32cTest, CheckValue) { EXPECT_EQ(Crc("123456789"), 0xE3069283u); }

TEST(Crc32cTest, EmptyInputIsZeroAndKeepsTheRunningValue) {
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
  EXPECT_EQ(Crc32c(nullptr, 0, 0xE3069283u), 0xE3069283u);
}

// RFC 3720 (iSCSI) appendix B.4 test vectors.
TEST(Crc32cTest, IscsiVectors) {
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending += static_cast<char>(i);
    descending += static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc(descending), 0x113FDB5Cu);
}

TEST(Crc32cTest, MatchesBitwiseReferenceForEveryLengthAndAlignment) {
  const std::string bytes = RandomBytes(300, 1);
  for (size_t start = 0; start < 8; ++start) {
    for (size_t n = 0; start + n <= bytes.size(); ++n) {
      const std::string piece = bytes.substr(start, n);
      ASSERT_EQ(Crc32c(bytes.data() + start, n), ReferenceCrc32c(piece))
          << "start " << start << " length " << n;
    }
  }
}

TEST(Crc32cTest, BothImplementationsMatchTheReference) {
  namespace internal = crc32c_internal;
  const std::string bytes = RandomBytes(300, 7);
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t n = 0; n + offset <= bytes.size(); n += 13) {
      const std::string piece = bytes.substr(offset, n);
      const uint32_t want = ReferenceCrc32c(piece);
      EXPECT_EQ(internal::Portable(piece.data(), n, 0), want) << n;
      if (internal::HaveHardware()) {
        EXPECT_EQ(internal::Hardware(piece.data(), n, 0), want) << n;
        EXPECT_EQ(internal::Hardware(piece.data(), n, 0x12345678u),
                  internal::Portable(piece.data(), n, 0x12345678u));
      }
    }
  }
}

TEST(Crc32cTest, IncrementalEqualsOneShotAtEverySplit) {
  const std::string bytes = RandomBytes(100, 2);
  const uint32_t whole = Crc(bytes);
  for (size_t split = 0; split <= bytes.size(); ++split) {
    const uint32_t first = Crc32c(bytes.data(), split);
    EXPECT_EQ(Crc32c(bytes.data() + split, bytes.size() - split, first), whole)
        << "split " << split;
  }
}

TEST(Crc32cTest, IncrementalInManyPiecesEqualsOneShot) {
  const std::string bytes = RandomBytes(1 << 16, 3);
  std::mt19937 rng(4);
  uint32_t crc = 0;
  size_t done = 0;
  while (done < bytes.size()) {
    const size_t n = std::min<size_t>(rng() % 37, bytes.size() - done);
    crc = Crc32c(bytes.data() + done, n, crc);
    done += n;
  }
  EXPECT_EQ(crc, Crc(bytes));
  EXPECT_EQ(crc, ReferenceCrc32c(bytes));
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  std::string bytes = RandomBytes(64, 5);
  const uint32_t original = Crc(bytes);
  for (size_t i = 0; i < bytes.size() * 8; ++i) {
    bytes[i / 8] = static_cast<char>(bytes[i / 8] ^ (1 << (i % 8)));
    EXPECT_NE(Crc(bytes), original) << "bit " << i;
    bytes[i / 8] = static_cast<char>(bytes[i / 8] ^ (1 << (i % 8)));
  }
}

}  // namespace
}  // namespace sortie
