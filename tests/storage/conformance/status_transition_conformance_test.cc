// The state machine is enforced once: the table is IsAllowedTransition
// (engine/queue/job.h), and each store's own check (the SQLite and
// PostgreSQL triggers) must refuse exactly the status moves that table
// refuses, whatever writes the row: a store verb, a bug, a person at the SQL
// prompt. Rows are written around the verbs (RawJobRows, backend.h).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/queue/job.h"
#include "engine/store_error.h"
#include "tests/storage/conformance/backend.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

std::string Word(JobStatus status) { return std::string(ToString(status)); }

class StatusTransitionConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  StatusTransitionConformanceTest()
      : store_(GetParam().open(dir_.path())), rows_(store_->raw_rows()) {}

  // A job in `status`, put there through the moves the store allows.
  void InsertIn(const std::string& id, JobStatus status) {
    rows_->Insert(id, JobStatus::kPending);
    if (status == JobStatus::kPending) return;
    rows_->SetStatus(id, JobStatus::kStarted);
    if (status != JobStatus::kStarted) rows_->SetStatus(id, status);
  }

  testing::TempDir dir_;
  std::unique_ptr<OpenBackend> store_;
  std::unique_ptr<RawJobRows> rows_;
};

TEST_P(StatusTransitionConformanceTest, TheStoreRefusesExactlyTheMovesTheTableRefuses) {
  int pairs = 0;
  for (JobStatus from : kAllJobStatuses) {
    for (JobStatus to : kAllJobStatuses) {
      if (from == to) continue;  // writing the same status again is no move
      ++pairs;
      const std::string id = Word(from) + "-to-" + Word(to);
      SCOPED_TRACE(id);
      ASSERT_NO_THROW(InsertIn(id, from));
      ASSERT_EQ(rows_->Status(id), from);
      std::string refusal;
      try {
        rows_->SetStatus(id, to);
      } catch (const StoreError& e) {
        refusal = e.what();
      }
      if (IsAllowedTransition(from, to)) {
        EXPECT_EQ(refusal, "");
        EXPECT_EQ(rows_->Status(id), to);
      } else {
        EXPECT_NE(refusal.find("forbidden job status transition"), std::string::npos)
            << "refused for another reason, or not at all: [" << refusal << "]";
        EXPECT_EQ(rows_->Status(id), from);
      }
    }
  }
  EXPECT_EQ(pairs, 12);
}

TEST_P(StatusTransitionConformanceTest, JobsAreBornPending) {
  for (JobStatus status : kAllJobStatuses) {
    const std::string id = "born-" + Word(status);
    if (status == JobStatus::kPending) {
      EXPECT_NO_THROW(rows_->Insert(id, status));
      continue;
    }
    if (!rows_->RefusesJobsNotBornPending()) {
      // SQLite (0017): what such a row does to the counts is in
      // tests/storage/sqlite/migrations_test.cc; its later moves are
      // checked all the same.
      EXPECT_NO_THROW(rows_->Insert(id, status));
      EXPECT_EQ(rows_->Status(id), status);
      continue;
    }
    try {
      rows_->Insert(id, status);
      ADD_FAILURE() << id << " was created";
    } catch (const StoreError& e) {
      EXPECT_NE(std::string(e.what()).find("a job must be created pending"), std::string::npos)
          << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(RawRowBackends, StatusTransitionConformanceTest,
                         ::testing::ValuesIn(RawRowBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
