// CRC-32C (Castagnoli): the checksum that guards each journal record. Chosen
// over zlib's CRC-32 for its better error detection on short messages; the
// implementation is portable table-driven C++ (slicing-by-8), no intrinsics.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sortie {

/// CRC-32C of `n` bytes at `data` (reflected polynomial 0x82F63B78, initial
/// value and final xor 0xFFFFFFFF). `crc` is the CRC of the bytes before
/// `data`, so Crc32c(b, nb, Crc32c(a, na)) == Crc32c of a followed by b; the
/// default 0 is the CRC of nothing. `data` may be null when `n` is 0.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace sortie
