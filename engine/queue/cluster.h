// The port for a store shared by several jobsd nodes (PostgreSQL): the
// nodes say they are alive, one of them at a time runs maintenance, and a
// job created through any node wakes idle workers on every node.
//
// A store only one machine uses (SQLite) has no cluster: every process runs
// maintenance (their work is idempotent and fenced), and processes on the
// one host find each other's jobs by polling.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/time.h"

namespace jobsd {

// One node as the store knows it.
struct NodeBeat {
  std::string node_id;  // the worker prefix: host:pid:random
  std::string host;
  std::int64_t pid = 0;
  Nanos started_at = 0;
};

struct LiveNode {
  NodeBeat node;
  Nanos last_beat = 0;
  bool maintenance_leader = false;
};

// Until destroyed, calls its callback when a job may have become claimable
// through another node. Destroying it stops the calls (waits for one in
// progress).
class WakeupSubscription {
 public:
  virtual ~WakeupSubscription() = default;
};

// Thread-safe: every method may be called from any thread.
class Cluster {
 public:
  virtual ~Cluster() = default;

  // Records that `node` is alive at `now`. With `seek_lead`, also takes (or
  // keeps) the maintenance lead for it until now + lease when no other node
  // holds an unexpired one; without, gives up a lead it holds (a draining
  // node). Returns whether `node` leads maintenance now. A node that stops
  // beating loses the lead once its lease lapses; another node's beat then
  // takes it.
  virtual bool Beat(const NodeBeat& node, Nanos now, Nanos lease, bool seek_lead) = 0;

  // Gives the lead up at once and forgets the node (clean shutdown), so
  // another node takes over at its next beat instead of after the lease.
  virtual void Leave(std::string_view node_id) = 0;

  // The nodes that beat within `within` of `now`, oldest first.
  virtual std::vector<LiveNode> LiveNodes(Nanos now, Nanos within) = 0;

  // Calls `on_wakeup` (from a thread of the subscription's own, never
  // concurrently with itself) whenever a job became claimable through any
  // node, and once after each reconnection of the underlying channel (what
  // was missed meanwhile). Wake-ups may be lost or repeated: callers also
  // poll.
  virtual std::unique_ptr<WakeupSubscription> SubscribeWakeups(std::function<void()> on_wakeup) = 0;
};

}  // namespace jobsd
