#include "common/spec_digest.h"

#include <cstring>

namespace sortie {
namespace {

constexpr uint64_t kPrime = 0x100000001b3ull;

// The fold of the high half back down lets every input bit reach every
// output bit.
uint64_t Mix(uint64_t hash, uint64_t word) {
  hash = (hash ^ word) * kPrime;
  return hash ^ (hash >> 29);
}

uint64_t Load(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

}  // namespace

uint64_t DigestBytes(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t lanes[4] = {0xcbf29ce484222325ull, 0x9e3779b97f4a7c15ull,
                       0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull};
  size_t left = size;
  for (; left >= 32; p += 32, left -= 32) {
    for (int lane = 0; lane < 4; ++lane) {
      lanes[lane] = Mix(lanes[lane], Load(p + 8 * lane));
    }
  }
  for (int lane = 0; left >= 8; p += 8, left -= 8, ++lane) {
    lanes[lane] = Mix(lanes[lane], Load(p));
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, left);
  uint64_t hash = Mix(lanes[0], tail);
  for (int lane = 1; lane < 4; ++lane) hash = Mix(hash, lanes[lane]);
  // The length keeps inputs that differ only in trailing zero bytes apart.
  return Mix(hash, static_cast<uint64_t>(size));
}

uint64_t SpecDigest(const TaskSpec& spec) {
  // Reused per thread: no allocation per task.
  thread_local std::string scratch;
  DigestArchive archive(&scratch);
  archive& spec;
  return archive.digest();
}

}  // namespace sortie
