#include "common/spec_digest.h"

namespace sortie {

void DigestArchive::Bytes(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t hash = hash_;
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  hash_ = hash;
}

uint64_t SpecDigest(const TaskSpec& spec) {
  DigestArchive archive;
  archive& spec;
  return archive.digest();
}

}  // namespace sortie
