// CRC-32C (Castagnoli): the checksum that guards each journal record. Chosen
// over zlib's CRC-32 for its better error detection on short messages. On
// x86-64 CPUs with SSE4.2 its crc32 instruction computes it (the journal
// checksums every record); elsewhere portable table-driven C++ does
// (slicing-by-8).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sortie {

/// CRC-32C of `n` bytes at `data` (reflected polynomial 0x82F63B78, initial
/// value and final xor 0xFFFFFFFF). `crc` is the CRC of the bytes before
/// `data`, so Crc32c(b, nb, Crc32c(a, na)) == Crc32c of a followed by b; the
/// default 0 is the CRC of nothing. `data` may be null when `n` is 0.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

/// The two implementations Crc32c chooses from, for tests.
namespace crc32c_internal {
/// Table-driven, any CPU. Same contract as Crc32c.
uint32_t Portable(const void* data, size_t n, uint32_t crc);
/// True when Hardware may be called (x86-64 with SSE4.2).
bool HaveHardware();
/// The SSE4.2 crc32 instruction. Same contract as Crc32c.
uint32_t Hardware(const void* data, size_t n, uint32_t crc);
}  // namespace crc32c_internal

}  // namespace sortie
