// The narrow interface between the pilot's logic and MPI, so master and
// worker loops are tested with an in-memory fake.
#pragma once

#include <optional>
#include <string>

#include "common/protocol.h"

namespace sortie {

/// One received message.
struct Envelope {
  int source = -1;
  int tag = 0;  ///< a MessageTag value, unchecked
  std::string payload;
};

/// Sends and receives protocol messages between ranks. Never blocks.
class Transport {
 public:
  virtual ~Transport() = default;
  /// This process's rank (0 is the master).
  virtual int rank() const = 0;
  /// Number of ranks.
  virtual int size() const = 0;
  /// Queues `payload` for `dest`; returns at once. Messages to one
  /// destination arrive in order.
  virtual void Send(int dest, MessageTag tag, std::string payload) = 0;
  /// Returns one message that has arrived, or nothing; never waits.
  virtual std::optional<Envelope> Poll() = 0;
  /// Progresses queued sends; true when every send has completed.
  virtual bool Flushed() = 0;

  /// Encodes `msg` and sends it.
  template <class Msg>
  void SendMsg(int dest, MessageTag tag, const Msg& msg) {
    Send(dest, tag, Encode(msg));
  }
};

}  // namespace sortie
