// SHA-256 (FIPS 180-4), written here so the manifest's digest needs no crypto
// library. Uses the x86 SHA extensions when the CPU has them; the portable
// code gives the same digests everywhere else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sortie {

/// Incremental SHA-256. Feed bytes with Update() in any split; Digest() or
/// HexDigest() returns the hash of everything fed since construction or the
/// last digest, then starts over.
class Sha256 {
 public:
  /// A fresh hash of the empty input.
  Sha256();

  /// Appends `data` to the hashed message.
  void Update(std::string_view data);
  /// Appends `size` bytes at `data` to the hashed message.
  void Update(const void* data, size_t size);

  /// The 32-byte digest of the message fed so far; resets the object.
  std::array<uint8_t, 32> Digest();
  /// The digest as 64 lower-case hex characters; resets the object.
  std::string HexDigest();

 private:
  void Reset();

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_;  ///< a partial block awaiting more bytes
  size_t block_used_ = 0;
  uint64_t total_bytes_ = 0;
};

/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

namespace sha256_internal {

/// Runs the compression function over `nblocks` 64-byte blocks, portable C++.
void CompressPortable(uint32_t state[8], const uint8_t* blocks, size_t nblocks);
/// Same result as CompressPortable using the SHA-NI instructions; call only
/// when HaveShaNi() is true.
void CompressShaNi(uint32_t state[8], const uint8_t* blocks, size_t nblocks);
/// Whether this CPU (and build) can run CompressShaNi.
bool HaveShaNi();

}  // namespace sha256_internal
}  // namespace sortie
