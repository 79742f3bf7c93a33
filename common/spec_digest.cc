#include "common/spec_digest.h"

#include <cstring>

namespace sortie {

void DigestArchive::Bytes(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = hash_;
  for (; size >= 8; size -= 8, bytes += 8) {
    uint64_t word;
    std::memcpy(&word, bytes, 8);
    hash = Mix(hash, word);
  }
  if (size > 0) {
    // The count keeps "a\0" apart from "a"; fields are fed with their
    // sizes anyway, this covers the tail within one call.
    uint64_t word = static_cast<uint64_t>(size) << 56;
    std::memcpy(&word, bytes, size);
    hash = Mix(hash, word);
  }
  hash_ = hash;
}

uint64_t SpecDigest(const TaskSpec& spec) {
  DigestArchive archive;
  archive& spec;
  return archive.digest();
}

}  // namespace sortie
