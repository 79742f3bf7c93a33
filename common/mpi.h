// A small RAII layer over the MPI C API. Only standard MPI is used, so the
// build follows whichever MPI the environment selects. Every return code is
// checked: the pilot's communicator uses MPI_ERRORS_RETURN and failures become
// sortie::mpi::Error carrying MPI_Error_string.
#pragma once

#include <mpi.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sortie::mpi {

/// An MPI call failed; what() names the call and MPI's own explanation.
class Error : public std::runtime_error {
 public:
  Error(const std::string& call, int code);
  /// The MPI error code returned by the failing call.
  int code() const { return code_; }

 private:
  int code_;
};

/// Throws Error when `code` is not MPI_SUCCESS; `call` names the MPI function.
inline void Check(int code, const char* call) {
  if (code != MPI_SUCCESS) throw Error(call, code);
}

/// MPI_Init on construction, MPI_Finalize on destruction (when initialized).
class Environment {
 public:
  Environment(int* argc, char*** argv);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
};

/// An owned communicator, freed on destruction. Move-only.
class Comm {
 public:
  Comm() = default;
  ~Comm();
  Comm(Comm&& other) noexcept;
  Comm& operator=(Comm&& other) noexcept;
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  /// This process's rank in the communicator.
  int rank() const { return rank_; }
  /// Number of ranks in the communicator.
  int size() const { return size_; }
  /// The raw handle, for MPI calls; stays owned by this object.
  MPI_Comm get() const { return comm_; }

 private:
  friend class PendingComm;
  explicit Comm(MPI_Comm comm);
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
};

/// A pending non-blocking operation. Move-only; the destructor of a request
/// still pending frees it without waiting (never blocks), so the owner of a
/// send buffer must keep it alive until Test() returned true.
class Request {
 public:
  Request() = default;
  explicit Request(MPI_Request request) : request_(request) {}
  ~Request();
  Request(Request&& other) noexcept;
  Request& operator=(Request&& other) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  /// MPI_Test: true once the operation completed (the buffer is free).
  bool Test();
  /// The raw handle for MPI calls that fill it in.
  MPI_Request* out() { return &request_; }

 private:
  MPI_Request request_ = MPI_REQUEST_NULL;
};

/// A matched but not yet received message (MPI_Improbe).
struct ProbedMessage {
  MPI_Message message = MPI_MESSAGE_NULL;
  int source = -1;
  int tag = -1;
  int bytes = 0;
};

/// Non-blocking matched probe for any message on `comm`.
std::optional<ProbedMessage> Improbe(const Comm& comm);

/// Receives a probed message's bytes (MPI_Mrecv; never waits: the message
/// has already arrived).
std::string Mrecv(ProbedMessage* probed);

/// Starts a non-blocking send of `bytes`; the caller keeps `bytes` alive and
/// unchanged until the returned request completes.
Request Isend(const Comm& comm, int dest, int tag, std::string_view bytes);

/// A pending non-blocking collective (MPI_Comm_idup, MPI_Iallgather, ...).
/// Move-only. Unlike Request it is never freed while pending: MPI forbids
/// MPI_Request_free on a collective's request. Its destructor does not wait
/// either, since a rank on its way to MPI_Abort must not hang on the others:
/// the owner completes it with Test() before MPI_Finalize.
class CollectiveRequest {
 public:
  CollectiveRequest() = default;
  ~CollectiveRequest() = default;
  CollectiveRequest(CollectiveRequest&& other) noexcept
      : request_(std::exchange(other.request_, MPI_REQUEST_NULL)) {}
  // Not assignable: assigning over a pending request would lose it.
  CollectiveRequest& operator=(CollectiveRequest&&) = delete;

  /// MPI_Test: true once this rank's part of the collective completed. Never
  /// blocks; each call also drives MPI's progress.
  bool Test();
  /// The raw handle for the MPI call that starts the collective.
  MPI_Request* out() { return &request_; }

 private:
  MPI_Request request_ = MPI_REQUEST_NULL;
};

/// A non-blocking collective with the buffer it writes into. The buffer is
/// on the heap, since MPI writes to its address until the collective
/// completes and it must not move with this object; destroyed while still
/// pending (on the way to MPI_Abort), it is leaked rather than freed under
/// MPI's hands. Move-only; the owner completes it with Test() before
/// MPI_Finalize (see CollectiveRequest).
template <class Buffer>
class PendingCollective {
 public:
  PendingCollective() = default;
  /// Holds `buffer` until the collective started on it (with buffer() and
  /// out()) completes.
  explicit PendingCollective(std::unique_ptr<Buffer> buffer)
      : buffer_(std::move(buffer)) {}
  ~PendingCollective() {
    if (!done_) static_cast<void>(buffer_.release());
  }
  PendingCollective(PendingCollective&& other) noexcept = default;
  // Not assignable: assigning over a pending operation would lose it.
  PendingCollective& operator=(PendingCollective&&) = delete;

  /// True once the collective completed (and from then on). Never blocks:
  /// poll it with back-off.
  bool Test() {
    if (!done_ && buffer_) done_ = request_.Test();
    return done_;
  }
  /// The buffer, to start the collective on.
  Buffer* buffer() { return buffer_.get(); }
  /// The raw request, for the MPI call that starts the collective.
  MPI_Request* out() { return request_.out(); }
  /// The buffer once Test() returned true; before, throws std::logic_error
  /// saying `what` was used too early.
  const Buffer& Result(const char* what) const {
    if (!done_) throw std::logic_error(std::string(what) + " used too early");
    return *buffer_;
  }

 private:
  std::unique_ptr<Buffer> buffer_;
  CollectiveRequest request_;
  bool done_ = false;
};

/// A duplicate of MPI_COMM_WORLD under construction (MPI_Comm_idup): start-up
/// goes on while it completes, which it does whenever the ranks call MPI.
/// Once complete it has MPI_ERRORS_RETURN, so errors on the pilot's traffic
/// are reported instead of aborting. Move-only; the owner completes it
/// before MPI_Finalize (see CollectiveRequest).
class PendingComm {
 public:
  /// Starts the duplication. Collective over MPI_COMM_WORLD: every rank
  /// starts its collectives on the world in the same order, and none while
  /// a duplication is pending there, since Open MPI starts the later rounds
  /// of MPI_Comm_idup from its progress engine, where they would interleave
  /// differently with a later collective on each rank (open-mpi/ompi#2025).
  static PendingComm IdupWorld();

  /// True once the duplicate is ready (then comm() may be used). Never
  /// blocks: poll it with back-off.
  bool Test();
  /// The duplicate; throws std::logic_error before Test() returned true.
  const Comm& comm() const;

 private:
  explicit PendingComm(std::unique_ptr<MPI_Comm> handle)
      : idup_(std::move(handle)) {}
  PendingCollective<MPI_Comm> idup_;
  Comm comm_;
};

/// This process's rank among the ranks sharing its node, and how many they
/// are: ranks share a node when host name and boot id match. Found with one
/// MPI_Iallgather (cheaper to start than MPI_Comm_split_type with
/// MPI_COMM_TYPE_SHARED) on MPI_COMM_WORLD, so that it overlaps
/// PendingComm::IdupWorld instead of waiting for a duplicate; an error there
/// aborts the job (the world's error handler), as any start-up error does.
/// Move-only; the owner completes it before MPI_Finalize.
class PendingPlacement {
 public:
  /// Starts the exchange. Collective over MPI_COMM_WORLD (same order on
  /// every rank, as for PendingComm::IdupWorld); call it once, at start-up.
  static PendingPlacement Start();

  /// True once every rank's key has arrived. Never blocks: poll it with
  /// back-off.
  bool Test() { return keys_.Test(); }
  /// {rank among this node's ranks, their number}; throws std::logic_error
  /// before Test() returned true.
  std::pair<int, int> LocalRankAndSize() const;

 private:
  /// This rank's node key, sent, and every rank's, received.
  struct Keys {
    std::vector<char> mine;
    std::vector<char> all;
  };
  explicit PendingPlacement(std::unique_ptr<Keys> keys)
      : keys_(std::move(keys)) {}
  PendingCollective<Keys> keys_;
};

/// MPI_Get_library_version, trimmed to its first line.
std::string LibraryVersion();

}  // namespace sortie::mpi
