// Transport over MPI: MPI_Isend with owned buffers, MPI_Improbe/MPI_Mrecv.
#pragma once

#include <deque>
#include <string>

#include "common/mpi.h"
#include "common/transport.h"

namespace sortie {

/// The real Transport. Keeps each send buffer alive until MPI_Test says the
/// send completed (an Isend buffer that dies early is a classic MPI bug).
class MpiTransport : public Transport {
 public:
  /// Uses `comm` (not owned; must outlive this object).
  explicit MpiTransport(const mpi::Comm& comm) : comm_(comm) {}
  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }
  void Send(int dest, MessageTag tag, std::string payload) override;
  std::optional<Envelope> Poll() override;
  bool Flushed() override;

 private:
  struct PendingSend {
    std::string payload;
    mpi::Request request;
  };
  const mpi::Comm& comm_;
  std::deque<PendingSend> sends_;
};

}  // namespace sortie
