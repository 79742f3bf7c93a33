#include "common/mpi.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

namespace sortie::mpi {
namespace {

std::string ErrorString(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    return "MPI error code " + std::to_string(code);
  }
  return std::string(text, static_cast<size_t>(length));
}

}  // namespace

Error::Error(const std::string& call, int code)
    : std::runtime_error(call + " failed: " + ErrorString(code)), code_(code) {}

Environment::Environment(int* argc, char*** argv) {
  Check(MPI_Init(argc, argv), "MPI_Init");
}

Environment::~Environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Comm::Comm(MPI_Comm comm) : comm_(comm) {
  Check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  Check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

Comm::~Comm() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

Comm::Comm(Comm&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)),
      rank_(other.rank_),
      size_(other.size_) {}

Comm& Comm::operator=(Comm&& other) noexcept {
  if (this != &other) {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    rank_ = other.rank_;
    size_ = other.size_;
  }
  return *this;
}

Request::~Request() {
  // Cancelling sends is deprecated (MPI 4.0); freeing lets the operation
  // finish in the background. Owners keep the buffer alive until Test().
  if (request_ != MPI_REQUEST_NULL) MPI_Request_free(&request_);
}

Request::Request(Request&& other) noexcept
    : request_(std::exchange(other.request_, MPI_REQUEST_NULL)) {}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    Request doomed(std::exchange(request_, other.request_));
    other.request_ = MPI_REQUEST_NULL;
  }
  return *this;
}

namespace {

bool TestRequest(MPI_Request* request) {
  if (*request == MPI_REQUEST_NULL) return true;
  int done = 0;
  Check(MPI_Test(request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  return done != 0;
}

}  // namespace

bool Request::Test() { return TestRequest(&request_); }

bool CollectiveRequest::Test() { return TestRequest(&request_); }

PendingComm PendingComm::IdupWorld() {
  PendingComm pending(std::make_unique<MPI_Comm>(MPI_COMM_NULL));
  Check(MPI_Comm_idup(MPI_COMM_WORLD, pending.idup_.buffer(),
                      pending.idup_.out()),
        "MPI_Comm_idup");
  return pending;
}

bool PendingComm::Test() {
  if (comm_.get() != MPI_COMM_NULL) return true;
  if (!idup_.Test()) return false;
  // The handle may only be used once the duplication completed.
  comm_ = Comm(idup_.Result("MPI_Comm_idup's communicator"));
  Check(MPI_Comm_set_errhandler(comm_.get(), MPI_ERRORS_RETURN),
        "MPI_Comm_set_errhandler");
  return true;
}

const Comm& PendingComm::comm() const {
  if (comm_.get() == MPI_COMM_NULL) {
    throw std::logic_error("communicator used before MPI_Comm_idup completed");
  }
  return comm_;
}

std::optional<ProbedMessage> Improbe(const Comm& comm) {
  ProbedMessage probed;
  int found = 0;
  MPI_Status status;
  Check(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm.get(), &found,
                    &probed.message, &status),
        "MPI_Improbe");
  if (!found) return std::nullopt;
  probed.source = status.MPI_SOURCE;
  probed.tag = status.MPI_TAG;
  Check(MPI_Get_count(&status, MPI_BYTE, &probed.bytes), "MPI_Get_count");
  return probed;
}

std::string Mrecv(ProbedMessage* probed) {
  std::string bytes(static_cast<size_t>(probed->bytes), '\0');
  Check(MPI_Mrecv(bytes.data(), probed->bytes, MPI_BYTE, &probed->message,
                  MPI_STATUS_IGNORE),
        "MPI_Mrecv");
  return bytes;
}

Request Isend(const Comm& comm, int dest, int tag, std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw std::length_error("message of " + std::to_string(bytes.size()) +
                            " bytes exceeds MPI's int count");
  }
  Request request;
  Check(MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, dest,
                  tag, comm.get(), request.out()),
        "MPI_Isend");
  return request;
}

namespace {

// Fixed-size key naming this process's machine: its host name and the
// kernel's boot id, so that two machines which happen to share a host name
// (containers, cloned images) still count as different nodes.
constexpr int kNodeKeyBytes = 256;

std::vector<char> NodeKey() {
  std::vector<char> key(kNodeKeyBytes, '\0');
  gethostname(key.data(), 127);
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(boot, id);
  std::memcpy(key.data() + 128, id.data(), std::min<size_t>(id.size(), 127));
  return key;
}

}  // namespace

PendingPlacement PendingPlacement::Start() {
  // One allgather of a node key, not MPI_Comm_split_type(SHARED): MPICH
  // builds a shared-memory segment for the split communicator, through PMI,
  // which cost about 0.3 s of start-up at 8 ranks on 2 cores (against 0.05 s
  // for this); sortie only needs the two counts.
  int world_size = 0;
  Check(MPI_Comm_size(MPI_COMM_WORLD, &world_size), "MPI_Comm_size");
  auto keys = std::make_unique<Keys>();
  keys->mine = NodeKey();
  keys->all.resize(static_cast<size_t>(kNodeKeyBytes) *
                   static_cast<size_t>(world_size));
  PendingPlacement placement(std::move(keys));
  Keys* buffer = placement.keys_.buffer();
  Check(MPI_Iallgather(buffer->mine.data(), kNodeKeyBytes, MPI_CHAR,
                       buffer->all.data(), kNodeKeyBytes, MPI_CHAR,
                       MPI_COMM_WORLD, placement.keys_.out()),
        "MPI_Iallgather (node keys)");
  return placement;
}

std::pair<int, int> PendingPlacement::LocalRankAndSize() const {
  const Keys& keys = keys_.Result("the node keys");
  int world_rank = 0;
  Check(MPI_Comm_rank(MPI_COMM_WORLD, &world_rank), "MPI_Comm_rank");
  const std::vector<char>& mine = keys.mine;
  const std::vector<char>& all = keys.all;
  int rank = 0, size = 0;
  for (size_t r = 0; r * kNodeKeyBytes < all.size(); ++r) {
    const char* key = all.data() + r * kNodeKeyBytes;
    if (std::memcmp(key, mine.data(), kNodeKeyBytes) != 0) continue;
    if (r < static_cast<size_t>(world_rank)) ++rank;
    ++size;
  }
  return {rank, size};
}

std::string LibraryVersion() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  Check(MPI_Get_library_version(text, &length), "MPI_Get_library_version");
  std::string version(text, static_cast<size_t>(length));
  size_t end = version.find('\n');
  if (end != std::string::npos) version.resize(end);
  while (!version.empty() && (version.back() == ' ' || version.back() == '\0'))
    version.pop_back();
  return version;
}

}  // namespace sortie::mpi
