#include "common/mpi_transport.h"

#include <utility>

namespace sortie {

void MpiTransport::Send(int dest, MessageTag tag, std::string payload) {
  sends_.push_back(PendingSend{std::move(payload), mpi::Request()});
  PendingSend& send = sends_.back();
  // The string was moved into the deque first: its buffer is the one MPI
  // reads, and deque never relocates existing elements on push_back.
  send.request = mpi::Isend(comm_, dest, static_cast<int>(tag), send.payload);
}

std::optional<Envelope> MpiTransport::Poll() {
  Flushed();
  std::optional<mpi::ProbedMessage> probed = mpi::Improbe(comm_);
  if (!probed) return std::nullopt;
  Envelope envelope;
  envelope.source = probed->source;
  envelope.tag = probed->tag;
  envelope.payload = mpi::Mrecv(&*probed);
  return envelope;
}

bool MpiTransport::Flushed() {
  // Test every send, not just the front: sends to different ranks complete
  // out of order, and each Test also lets MPI make progress on it.
  for (PendingSend& send : sends_) send.request.Test();
  while (!sends_.empty() && sends_.front().request.Test()) sends_.pop_front();
  return sends_.empty();
}

}  // namespace sortie
