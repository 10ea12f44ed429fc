#include "storage/postgres/postgres_cluster.h"

#include <string>

#include "storage/postgres/postgres_wakeups.h"

namespace jobsd::storage {
namespace {

// A dead node's row stays this long for people reading the nodes table,
// then the leader prunes it.
constexpr Nanos kKeepDeadNodes = 3600 * kNanosPerSecond;

}  // namespace

bool PostgresCluster::Beat(const NodeBeat& node, Nanos now, Nanos lease, bool seek_lead) {
  return pg::WithConnection(pool_, [&](pg::Connection& c) {
    pg::Transaction transaction(c);
    c.Run(
        "INSERT INTO nodes (node_id, host, pid, started_at, last_beat_at)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (node_id) DO UPDATE SET last_beat_at = excluded.last_beat_at",
        pg::Params().Add(node.node_id).Add(node.host).Add(node.pid).Add(node.started_at).Add(now));
    if (!seek_lead) {
      c.Run("DELETE FROM leadership WHERE node_id = $1", pg::Params().Add(node.node_id));
      transaction.Commit();
      return false;
    }
    // Taken when free or lapsed, kept (and extended) by its holder: one
    // statement, so two nodes racing for a lapsed lead cannot both win (the
    // row lock serializes them and the loser's WHERE no longer holds).
    const pg::Result lead = c.Run(
        "INSERT INTO leadership (role, node_id, since, expires_at)"
        " VALUES ('maintenance', $1, $2, $3)"
        " ON CONFLICT (role) DO UPDATE SET node_id = excluded.node_id,"
        "   since = CASE WHEN leadership.node_id = excluded.node_id THEN leadership.since"
        "           ELSE excluded.since END,"
        "   expires_at = excluded.expires_at"
        " WHERE leadership.node_id = excluded.node_id OR leadership.expires_at <= $2"
        " RETURNING node_id",
        pg::Params().Add(node.node_id).Add(now).Add(AddClamped(now, lease)));
    const bool leading = lead.rows() == 1;
    if (leading) {
      c.Run("DELETE FROM nodes WHERE last_beat_at < $1", pg::Params().Add(now - kKeepDeadNodes));
    }
    transaction.Commit();
    return leading;
  });
}

void PostgresCluster::Leave(std::string_view node_id) {
  pg::WithConnection(pool_, [&](pg::Connection& c) {
    pg::Transaction transaction(c);
    c.Run("DELETE FROM leadership WHERE node_id = $1", pg::Params().Add(node_id));
    c.Run("DELETE FROM nodes WHERE node_id = $1", pg::Params().Add(node_id));
    transaction.Commit();
  });
}

std::vector<LiveNode> PostgresCluster::LiveNodes(Nanos now, Nanos within) {
  return pg::WithConnection(pool_, [&](pg::Connection& c) {
    const pg::Result rows = c.Run(
        "SELECT n.node_id, n.host, n.pid, n.started_at, n.last_beat_at, l.node_id IS NOT NULL"
        " FROM nodes n LEFT JOIN leadership l"
        "   ON l.role = 'maintenance' AND l.node_id = n.node_id AND l.expires_at > $1"
        " WHERE n.last_beat_at >= $2"
        " ORDER BY n.started_at, n.node_id COLLATE \"C\"",
        pg::Params().Add(now).Add(now - within));
    std::vector<LiveNode> nodes;
    for (int row = 0; row < rows.rows(); ++row) {
      LiveNode node;
      node.node = NodeBeat{rows.String(row, 0), rows.String(row, 1), rows.Int64(row, 2),
                           rows.Int64(row, 3)};
      node.last_beat = rows.Int64(row, 4);
      node.maintenance_leader = rows.Bool(row, 5);
      nodes.push_back(std::move(node));
    }
    return nodes;
  });
}

std::unique_ptr<WakeupSubscription> PostgresCluster::SubscribeWakeups(
    std::function<void()> on_wakeup) {
  return std::make_unique<PostgresWakeups>(pool_, std::move(on_wakeup));
}

}  // namespace jobsd::storage
