// The state machine is enforced once: the table is IsAllowedTransition
// (engine/queue/job.h), and the PostgreSQL schema's trigger (0001
// jobs_check_status) must refuse exactly the status moves that table
// refuses, whatever writes the row (a store verb, a bug, a person in psql).
// The twin of tests/storage/sqlite/status_transition_test.cc.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/queue/job.h"
#include "storage/postgres/pg.h"
#include "storage/postgres/postgres_store.h"
#include "tests/support/test_postgres.h"

namespace jobsd::storage {
namespace {

// The store's words for statuses (the jobs.status CHECK).
std::string Word(JobStatus status) { return std::string(ToString(status)); }

// An UPDATE to `to` that satisfies the table's CHECK: a started job holds
// a claim, no other job does.
std::string MoveTo(JobStatus to, const std::string& id) {
  const std::string claim = to == JobStatus::kStarted
                                ? "claimed_by = 'w', claim_token = 't', lease_expires_at = 1"
                                : "claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL";
  return "UPDATE jobs SET status = '" + Word(to) + "', " + claim + " WHERE id = '" + id + "'";
}

class PostgresStatusTransitionTest : public ::testing::Test {
 protected:
  PostgresStatusTransitionTest() : location_(testing::FreshPostgresSchema()) {
    PostgresStore::Open({location_});  // creates the tables
    connection_ = pg::Connection::Open(location_);
  }

  // A job in `status`, put there through the moves the trigger allows.
  void InsertIn(const std::string& id, JobStatus status) {
    connection_->Exec(
        "INSERT INTO jobs (id, job_type, status, max_attempts, created_at, updated_at,"
        " run_after, expires_at) VALUES ('" +
        id + "', 'order_export', 'pending', 1, 1, 1, 1, 9)");
    if (status == JobStatus::kPending) return;
    connection_->Exec(MoveTo(JobStatus::kStarted, id));
    if (status != JobStatus::kStarted) connection_->Exec(MoveTo(status, id));
  }

  std::string Status(const std::string& id) {
    const pg::Result row =
        connection_->RunOnce("SELECT status FROM jobs WHERE id = $1", pg::Params().Add(id));
    EXPECT_EQ(row.rows(), 1);
    return row.rows() == 1 ? row.String(0, 0) : "";
  }

  std::string location_;
  std::unique_ptr<pg::Connection> connection_;
};

TEST_F(PostgresStatusTransitionTest, TheTriggerRefusesExactlyWhatTheTableRefuses) {
  int pairs = 0;
  for (JobStatus from : kAllJobStatuses) {
    for (JobStatus to : kAllJobStatuses) {
      if (from == to) continue;  // writing the same status again is no move
      ++pairs;
      const std::string id = Word(from) + "-to-" + Word(to);
      SCOPED_TRACE(id);
      ASSERT_NO_THROW(InsertIn(id, from));
      ASSERT_EQ(Status(id), Word(from));
      std::string refusal;
      try {
        connection_->Exec(MoveTo(to, id));
      } catch (const StoreError& e) {
        refusal = e.what();
      }
      if (IsAllowedTransition(from, to)) {
        EXPECT_EQ(refusal, "");
        EXPECT_EQ(Status(id), Word(to));
      } else {
        EXPECT_NE(refusal.find("forbidden job status transition"), std::string::npos)
            << "refused for another reason, or not at all: [" << refusal << "]";
        EXPECT_EQ(Status(id), Word(from));
      }
    }
  }
  EXPECT_EQ(pairs, 12);
}

TEST_F(PostgresStatusTransitionTest, JobsAreBornPending) {
  for (JobStatus status : kAllJobStatuses) {
    const std::string id = "born-" + Word(status);
    const std::string claim = status == JobStatus::kStarted ? "'w', 't', 1" : "NULL, NULL, NULL";
    const std::string insert =
        "INSERT INTO jobs (id, job_type, status, max_attempts, created_at, updated_at, run_after,"
        " expires_at, claimed_by, claim_token, lease_expires_at) VALUES ('" +
        id + "', 'order_export', '" + Word(status) + "', 1, 1, 1, 1, 9, " + claim + ")";
    if (status == JobStatus::kPending) {
      EXPECT_NO_THROW(connection_->Exec(insert));
    } else {
      try {
        connection_->Exec(insert);
        ADD_FAILURE() << id << " was created";
      } catch (const StoreError& e) {
        EXPECT_NE(std::string(e.what()).find("a job must be created pending"), std::string::npos)
            << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace jobsd::storage
