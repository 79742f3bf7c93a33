#include "common/sha256.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace sortie {
namespace {

// Known answers from FIPS 180-4's examples and NIST's SHA test vectors.
TEST(Sha256Test, EmptyString) {
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TwoBlockMessage448Bits) {
  EXPECT_EQ(
      Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, Message896Bits) {
  EXPECT_EQ(
      Sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256Test, MillionAs) {
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, MillionAsFedOneByteAtATime) {
  Sha256 hash;
  for (int i = 0; i < 1000000; ++i) hash.Update("a");
  EXPECT_EQ(hash.HexDigest(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Padding boundaries: 55 bytes fit one block with the length, 56 do not.
TEST(Sha256Test, PaddingBoundaries) {
  EXPECT_EQ(Sha256Hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  return bytes;
}

TEST(Sha256Test, IncrementalUpdatesAtOddSplitsMatchOneShot) {
  const std::string data = RandomBytes(100003, 7);
  const std::string expected = Sha256Hex(data);
  for (size_t step :
       {1u, 3u, 7u, 55u, 56u, 63u, 64u, 65u, 127u, 1000u, 4099u}) {
    Sha256 hash;
    for (size_t pos = 0; pos < data.size(); pos += step) {
      hash.Update(std::string_view(data).substr(pos, step));
    }
    EXPECT_EQ(hash.HexDigest(), expected) << "step " << step;
  }
}

TEST(Sha256Test, IrregularSplitsMatchOneShot) {
  const std::string data = RandomBytes(20000, 11);
  std::mt19937 rng(3);
  Sha256 hash;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t take = std::min<size_t>(rng() % 200, data.size() - pos);
    hash.Update(data.data() + pos, take);
    pos += take;
  }
  EXPECT_EQ(hash.HexDigest(), Sha256Hex(data));
}

TEST(Sha256Test, DigestResetsForReuse) {
  Sha256 hash;
  hash.Update("some earlier message");
  hash.HexDigest();
  hash.Update("abc");
  EXPECT_EQ(hash.HexDigest(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, RawDigestMatchesHex) {
  Sha256 hash;
  hash.Update("abc");
  std::array<uint8_t, 32> digest = hash.Digest();
  EXPECT_EQ(digest[0], 0xba);
  EXPECT_EQ(digest[31], 0xad);
}

// Whichever compression function the CPU picks, both must agree.
TEST(Sha256Test, ShaNiMatchesPortableWhenAvailable) {
  if (!sha256_internal::HaveShaNi()) GTEST_SKIP() << "no SHA-NI on this CPU";
  const std::string data = RandomBytes(64 * 257, 5);
  const auto* blocks = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t nblocks : {1u, 2u, 257u}) {
    uint32_t portable[8] = {1, 2, 3, 4, 5, 6, 7, 0xffffffff};
    uint32_t shani[8];
    std::memcpy(shani, portable, sizeof portable);
    sha256_internal::CompressPortable(portable, blocks, nblocks);
    sha256_internal::CompressShaNi(shani, blocks, nblocks);
    EXPECT_EQ(std::vector<uint32_t>(portable, portable + 8),
              std::vector<uint32_t>(shani, shani + 8))
        << nblocks << " blocks";
  }
}

TEST(Sha256Test, PortableGivesKnownAnswer) {
  // "abc" padded to one block by hand (FIPS 180-4 B.1).
  uint8_t block[64] = {'a', 'b', 'c', 0x80};
  block[63] = 24;
  uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  sha256_internal::CompressPortable(state, block, 1);
  EXPECT_EQ(state[0], 0xba7816bfu);
  EXPECT_EQ(state[7], 0xf20015adu);
}

}  // namespace
}  // namespace sortie
