#include "engine/queue/maintenance/rescuer.h"

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/queue/worker_id.h"

namespace jobsd {

namespace {

// The node part of a claim holder: worker ids are <node id>:<index> and
// the completer's <node id>:completer (worker_id.h, worker_pool.cc).
std::string_view NodeOf(std::string_view holder) {
  const std::size_t colon = holder.rfind(':');
  return colon == std::string_view::npos ? holder : holder.substr(0, colon);
}

}  // namespace

Rescuer::Rescuer(JobStore& store, Cluster* cluster, Nanos node_timeout)
    : store_(store), cluster_(cluster), node_timeout_(node_timeout) {}

int Rescuer::RunOnce(Nanos now) {
  int rescued = store_.RescueExpiredLeases(now);
  if (cluster_ == nullptr) return rescued;
  // Live nodes are read before the holders: a node that starts in between
  // beats before it claims anything, so its claims never look orphaned.
  std::set<std::string, std::less<>> live;
  for (const LiveNode& node : cluster_->LiveNodes(now, node_timeout_)) {
    live.insert(node.node.node_id);
  }
  std::vector<std::string> dead;
  for (const std::string& holder : store_.ClaimHolders()) {
    if (!live.contains(NodeOf(holder))) dead.push_back(holder);
  }
  if (!dead.empty()) rescued += store_.RescueClaimsOf(dead, now);
  return rescued;
}

int Rescuer::RescueDeadLocalWorkers(Nanos now) {
  const std::string host = HostName();
  std::vector<std::string> dead;
  for (const std::string& worker : store_.ClaimHolders()) {
    if (IsDeadLocalWorker(worker, host)) dead.push_back(worker);
  }
  return dead.empty() ? 0 : store_.RescueClaimsOf(dead, now);
}

}  // namespace jobsd
