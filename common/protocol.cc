#include "common/protocol.h"

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/iostreams/device/array.hpp>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/stream.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

namespace sortie {
namespace {

// The protocol carries its own version in Hello; Boost's archive header would
// only add bytes and a dependency on the Boost version at both ends.
constexpr unsigned kArchiveFlags =
    boost::archive::no_header | boost::archive::no_codecvt;

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

template <class Msg>
std::string Encode(const Msg& msg) {
  std::string bytes;
  {
    boost::iostreams::stream<boost::iostreams::back_insert_device<std::string>>
        out(bytes);
    boost::archive::binary_oarchive archive(out, kArchiveFlags);
    archive << msg;
  }
  return bytes;
}

template <class Msg>
Msg Decode(std::string_view bytes) {
  Msg msg;
  try {
    boost::iostreams::stream<boost::iostreams::array_source> in(bytes.data(),
                                                                bytes.size());
    boost::archive::binary_iarchive archive(in, kArchiveFlags);
    archive >> msg;
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
