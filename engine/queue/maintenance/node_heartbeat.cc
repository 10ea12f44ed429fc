#include "engine/queue/maintenance/node_heartbeat.h"

#include <utility>

#include "engine/log.h"

namespace jobsd {

NodeHeartbeat::NodeHeartbeat(Cluster* cluster, NodeBeat self, Nanos lease)
    : cluster_(cluster), self_(std::move(self)), lease_(lease), leading_(cluster == nullptr) {}

void NodeHeartbeat::RunOnce(Nanos now) {
  if (cluster_ == nullptr) return;
  bool leading = false;
  try {
    leading = cluster_->Beat(self_, now, lease_, seek_lead_.load());
  } catch (...) {
    leading_.store(false);
    throw;  // the periodic runner logs it and retries with backoff
  }
  if (leading != leading_.exchange(leading)) {
    LogInfo(std::string("this node ") + (leading ? "now leads" : "no longer leads") +
            " maintenance (rescue, retention) for the cluster");
  }
}

void NodeHeartbeat::Leave() noexcept {
  if (cluster_ == nullptr) return;
  leading_.store(false);
  try {
    cluster_->Leave(self_.node_id);
  } catch (const std::exception& e) {
    LogError(std::string("leaving the cluster failed (another node takes over when our lease "
                         "lapses): ") +
             e.what());
  }
}

}  // namespace jobsd
