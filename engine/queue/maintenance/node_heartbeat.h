// Keeps this node in the store's list of live nodes and tells whether it
// leads maintenance (rescue, retention): with several nodes on one store,
// one at a time does it, and another takes over within a lease when the
// leader dies. Without a cluster (SQLite) the node always leads.
#pragma once

#include <atomic>

#include "engine/queue/cluster.h"
#include "engine/time.h"

namespace jobsd {

class NodeHeartbeat {
 public:
  // `cluster` may be null (a store of one machine). `lease`: how long a
  // lead lasts without a beat.
  NodeHeartbeat(Cluster* cluster, NodeBeat self, Nanos lease);

  // Beats once. A beat that fails gives the lead up here (another node may
  // take it once our lease lapses), so two nodes rarely both lead; if they
  // do, maintenance is still safe, only done twice.
  void RunOnce(Nanos now);

  bool leading() const { return leading_.load(); }

  // From now on beats without seeking the lead, and gives it up at the next
  // beat (a draining node: it still holds claims, so it keeps beating, but
  // another node should do maintenance).
  void StepDown() { seek_lead_.store(false); }

  // Leaves the cluster once this node holds no claims any more (the end of a
  // clean shutdown): another node leads at its next beat. Never throws.
  void Leave() noexcept;

 private:
  Cluster* cluster_;
  NodeBeat self_;
  Nanos lease_;
  std::atomic<bool> leading_;
  std::atomic<bool> seek_lead_ = true;
};

}  // namespace jobsd
