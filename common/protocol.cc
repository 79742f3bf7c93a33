#include "common/protocol.h"

#include <cstring>

#include "common/flat_archive.h"

namespace sortie {
namespace {

// What every decoder throws when the archive reader gave up on the bytes.
[[noreturn]] void Undecodable(const std::exception& error) {
  throw ProtocolError(std::string("undecodable message: ") + error.what());
}

}  // namespace

std::string TagName(int tag) {
  switch (static_cast<MessageTag>(tag)) {
    case MessageTag::kHello:
      return "Hello";
    case MessageTag::kAssign:
      return "Assign";
    case MessageTag::kStarted:
      return "Started";
    case MessageTag::kFinished:
      return "Finished";
    case MessageTag::kShutdown:
      return "Shutdown";
    case MessageTag::kDrain:
      return "Drain";
  }
  return "tag " + std::to_string(tag);
}

AssignEncoder::AssignEncoder()
    : bytes_(sizeof count_, '\0'),
      writer_(std::make_unique<FlatWriter>(&bytes_)) {}

AssignEncoder::~AssignEncoder() = default;

void AssignEncoder::Add(uint32_t row, int32_t attempt, const TaskSpec& spec,
                        const TaskGroup& group, int32_t member,
                        int64_t follows) {
  // Assignment::serialize's order: row, attempt, spec, group, member, follows.
  *writer_& row& attempt& spec& group& member& follows;
  ++count_;
}

void AssignEncoder::Add(const Assignment& assignment) {
  *writer_& assignment;
  ++count_;
}

std::string AssignEncoder::Take() {
  writer_->Finish();
  // The vector's element count leads, as FlatWriter writes it.
  std::memcpy(bytes_.data(), &count_, sizeof count_);
  // Copied out rather than handed over, so the buffer keeps its capacity
  // for the next round instead of growing again from nothing.
  std::string bytes = bytes_;
  bytes_.resize(sizeof count_);
  writer_->Restart();
  count_ = 0;
  return bytes;
}

AssignDecoder::AssignDecoder(std::string_view bytes)
    : reader_(std::make_unique<FlatReader>(bytes)) {
  try {
    *reader_& left_;
  } catch (const std::exception& e) {
    Undecodable(e);
  }
  // Each assignment takes far more than one byte: a larger count is garbage.
  if (left_ > bytes.size()) {
    throw ProtocolError("undecodable message: element count " +
                        std::to_string(left_) + " exceeds the message");
  }
}

AssignDecoder::~AssignDecoder() = default;

bool AssignDecoder::Next(Assignment* out) {
  if (left_ == 0) return false;
  try {
    *reader_&* out;
  } catch (const std::exception& e) {
    left_ = 0;
    Undecodable(e);
  }
  --left_;
  return true;
}

template <class Msg>
std::string Encode(const Msg& msg) {
  std::string bytes;
  FlatWriter(&bytes) & msg;
  return bytes;
}

template <class Msg>
void DecodeInto(std::string_view bytes, Msg* msg) {
  try {
    FlatReader(bytes) & *msg;
  } catch (const std::exception& e) {
    Undecodable(e);
  }
}

template <class Msg>
Msg Decode(std::string_view bytes) {
  Msg msg;
  DecodeInto(bytes, &msg);
  return msg;
}

#define SORTIE_INSTANTIATE(Msg)                 \
  template std::string Encode<Msg>(const Msg&); \
  template Msg Decode<Msg>(std::string_view);   \
  template void DecodeInto<Msg>(std::string_view, Msg*);

SORTIE_INSTANTIATE(HelloMsg)
SORTIE_INSTANTIATE(AssignMsg)
SORTIE_INSTANTIATE(StartedMsg)
SORTIE_INSTANTIATE(FinishedMsg)
SORTIE_INSTANTIATE(ShutdownMsg)
SORTIE_INSTANTIATE(DrainMsg)
#undef SORTIE_INSTANTIATE

}  // namespace sortie
