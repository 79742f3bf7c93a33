#include "common/protocol.h"

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <streambuf>

#include "common/flat_archive.h"

namespace sortie {
namespace {

// The protocol carries its own version in Hello; Boost's archive header would
// only add bytes and a dependency on the Boost version at both ends.
constexpr unsigned kArchiveFlags =
    boost::archive::no_header | boost::archive::no_codecvt;

// Appends straight to a string: the archive writes field by field, and a
// stream stack per field costs more than the field.
class StringSink : public std::streambuf {
 public:
  explicit StringSink(std::string* out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    out_->append(data, static_cast<size_t>(size));
    return size;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_->push_back(traits_type::to_char_type(c));
    return c;
  }

 private:
  std::string* out_;
};

// Reads a message's bytes in place.
class ViewSource : public std::streambuf {
 public:
  explicit ViewSource(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // only ever read
    setg(begin, begin, begin + bytes.size());
  }
};

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
  StringSink sink(&bytes);
  boost::archive::binary_oarchive archive(sink, kArchiveFlags);
  FlatArchive<boost::archive::binary_oarchive> flat(archive, 0);
  flat& const_cast<Msg&>(msg);  // saving only reads
  return bytes;
}

template <class Msg>
Msg Decode(std::string_view bytes) {
  Msg msg;
  try {
    ViewSource source(bytes);
    boost::archive::binary_iarchive archive(source, kArchiveFlags);
    FlatArchive<boost::archive::binary_iarchive> flat(archive, bytes.size());
    flat& msg;
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
