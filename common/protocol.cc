#include "common/protocol.h"

#include "common/flat_archive.h"

namespace sortie {

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

template <class Msg>
std::string Encode(const Msg& msg) {
  std::string bytes;
  FlatWriter(&bytes) & msg;
  return bytes;
}

template <class Msg>
Msg Decode(std::string_view bytes) {
  Msg msg;
  try {
    FlatReader(bytes) & msg;
  } catch (const std::exception& e) {
    throw ProtocolError(std::string("undecodable message: ") + e.what());
  }
  return msg;
}

#define SORTIE_INSTANTIATE(Msg)                 \
  template std::string Encode<Msg>(const Msg&); \
  template Msg Decode<Msg>(std::string_view);

SORTIE_INSTANTIATE(HelloMsg)
SORTIE_INSTANTIATE(AssignMsg)
SORTIE_INSTANTIATE(StartedMsg)
SORTIE_INSTANTIATE(FinishedMsg)
SORTIE_INSTANTIATE(ShutdownMsg)
SORTIE_INSTANTIATE(DrainMsg)
#undef SORTIE_INSTANTIATE

}  // namespace sortie
