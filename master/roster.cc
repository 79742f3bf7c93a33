#include "master/roster.h"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace sortie {

NodeRecord ClusterNode::Record() const {
  return NodeRecord{rank, host, static_cast<int32_t>(cpu_ids.size()),
                    static_cast<int32_t>(gpu_ids.size())};
}

std::vector<HelloMsg> GatherHellos(Transport& transport, Clock& clock,
                                   std::string* problem) {
  std::vector<HelloMsg> hellos;
  // A start-up wait like PollUntil's: each hello is noticed soon after it
  // comes.
  Backoff backoff(kShortWaitFirst, kShortWaitCap);
  while (hellos.size() + 1 < static_cast<size_t>(transport.size())) {
    std::optional<Envelope> envelope = transport.Poll();
    if (!envelope) {
      clock.SleepFor(backoff.Next());
      continue;
    }
    backoff.Reset();
    if (envelope->tag != static_cast<int>(MessageTag::kHello)) {
      throw ProtocolError("master got " + TagName(envelope->tag) +
                          " from rank " + std::to_string(envelope->source) +
                          " before its hello");
    }
    HelloMsg hello = Decode<HelloMsg>(envelope->payload);
    hello.rank = envelope->source;
    if (hello.protocol_version != kProtocolVersion && problem->empty()) {
      *problem = "rank " + std::to_string(envelope->source) +
                 " speaks protocol version " +
                 std::to_string(hello.protocol_version) + ", rank 0 " +
                 std::to_string(kProtocolVersion) +
                 ": are all ranks running the same sortie binary?";
    }
    hellos.push_back(std::move(hello));
  }
  std::sort(
      hellos.begin(), hellos.end(),
      [](const HelloMsg& a, const HelloMsg& b) { return a.rank < b.rank; });
  return hellos;
}

std::vector<ClusterNode> BuildRoster(const NodeResources& master_node,
                                     bool master_only,
                                     const std::vector<HelloMsg>& hellos) {
  std::vector<ClusterNode> nodes;
  if (!master_only) {
    nodes.push_back(ClusterNode{0, master_node.host, master_node.cpu_ids,
                                master_node.gpu_ids, false});
  }
  for (const HelloMsg& hello : hellos) {
    nodes.push_back(ClusterNode{hello.rank, hello.host, hello.cpu_ids,
                                hello.gpu_ids, true});
  }
  return nodes;
}

std::vector<std::string> SharedCoreWarnings(
    const std::vector<ClusterNode>& nodes) {
  struct HostUse {
    std::string host;
    size_t ranks = 0;
    std::set<int32_t> cpus;
  };
  std::vector<HostUse> hosts;                  // in order of appearance
  std::unordered_map<std::string, size_t> at;  // host -> index in hosts
  for (const ClusterNode& node : nodes) {
    auto [it, added] = at.try_emplace(node.host, hosts.size());
    if (added) hosts.push_back(HostUse{node.host, 0, {}});
    HostUse& use = hosts[it->second];
    ++use.ranks;
    use.cpus.insert(node.cpu_ids.begin(), node.cpu_ids.end());
  }
  std::vector<std::string> warnings;
  for (const HostUse& use : hosts) {
    if (use.ranks <= use.cpus.size()) continue;
    warnings.push_back("sortie: warning: host " + use.host + " runs " +
                       std::to_string(use.ranks) + " ranks on " +
                       std::to_string(use.cpus.size()) +
                       (use.cpus.size() == 1 ? " CPU" : " CPUs") +
                       ": ranks share cores, so tasks on them compete\n");
  }
  return warnings;
}

void DismissWorkers(Transport& transport, Clock& clock, int exit_code,
                    const std::string& reason) {
  for (int rank = 1; rank < transport.size(); ++rank) {
    transport.SendMsg(rank, MessageTag::kShutdown,
                      ShutdownMsg{exit_code, reason});
  }
  PollUntil(clock, [&] { return transport.Flushed(); });
}

}  // namespace sortie
