#include "common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sortie {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // 0x1EDC6F41 bit-reversed

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table. tables[k][b] is the CRC
// contribution of byte b followed by k zero bytes, which lets the main loop
// fold eight input bytes with eight independent lookups instead of a chain of
// eight dependent ones.
constexpr Tables MakeTables() {
  Tables tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc >> 1) ^ ((crc & 1u) != 0 ? kPolynomial : 0u);
    }
    tables[0][b] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t b = 0; b < 256; ++b) {
      const uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xFFu];
    }
  }
  return tables;
}

constexpr Tables kTables = MakeTables();

// Assembled from bytes rather than memcpy'd so the result does not depend on
// host byte order; compilers turn this into one load on little-endian hosts.
inline uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

inline uint32_t Step(uint32_t state, unsigned char byte) {
  return (state >> 8) ^ kTables[0][(state ^ byte) & 0xFFu];
}

}  // namespace

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
  // Chosen once (the CPU does not change under a running process).
  static const bool hardware = crc32c_internal::HaveHardware();
  return hardware ? crc32c_internal::Hardware(data, n, crc)
                  : crc32c_internal::Portable(data, n, crc);
}

namespace crc32c_internal {

#if defined(__x86_64__)
bool HaveHardware() { return __builtin_cpu_supports("sse4.2") != 0; }

__attribute__((target("sse4.2"))) uint32_t Hardware(const void* data, size_t n,
                                                    uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t state = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // the instruction takes it little-endian
    state = _mm_crc32_u64(state, word);
  }
  auto state32 = static_cast<uint32_t>(state);
  for (; n > 0; ++p, --n) state32 = _mm_crc32_u8(state32, *p);
  return ~state32;
}
#else
bool HaveHardware() { return false; }

uint32_t Hardware(const void* data, size_t n, uint32_t crc) {
  return Portable(data, n, crc);
}
#endif

uint32_t Portable(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t state = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    const uint32_t lo = LoadLe32(p) ^ state;
    const uint32_t hi = LoadLe32(p + 4);
    state = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^
            kTables[5][(lo >> 16) & 0xFFu] ^ kTables[4][lo >> 24] ^
            kTables[3][hi & 0xFFu] ^ kTables[2][(hi >> 8) & 0xFFu] ^
            kTables[1][(hi >> 16) & 0xFFu] ^ kTables[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) state = Step(state, *p);
  return ~state;
}

}  // namespace crc32c_internal

}  // namespace sortie
