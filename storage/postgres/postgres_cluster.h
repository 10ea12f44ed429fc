// Cluster (engine/queue/cluster.h) on PostgreSQL: node heartbeats in the
// nodes table, the maintenance lead as a leased row of leadership, and
// wake-ups by LISTEN/NOTIFY (postgres_wakeups.h).
#pragma once

#include "engine/queue/cluster.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresCluster final : public Cluster {
 public:
  explicit PostgresCluster(pg::Pool& pool) : pool_(pool) {}

  bool Beat(const NodeBeat& node, Nanos now, Nanos lease, bool seek_lead) override;
  void Leave(std::string_view node_id) override;
  std::vector<LiveNode> LiveNodes(Nanos now, Nanos within) override;
  std::unique_ptr<WakeupSubscription> SubscribeWakeups(std::function<void()> on_wakeup) override;

 private:
  pg::Pool& pool_;
};

}  // namespace jobsd::storage
