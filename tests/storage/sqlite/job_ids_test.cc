// The ids SqliteJobStore makes (0014): a job inserted without an id gets a
// UUID v4 derived from its sequence number, found, claimed, finished and
// cancelled through that number; ids given from outside keep working and
// stay unique; a number, hence an id, is never handed out twice.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "storage/sqlite/database.h"
#include "storage/sqlite/job_id_codec.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_job_store.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

class JobIdsTest : public ::testing::Test {
 protected:
  JobIdsTest()
      : database_(Database::Open({dir_ / "jobsd.db"})),
        jobs_(database_->jobs()),
        sql_(sqlite::Connection::Open(dir_ / "jobsd.db")) {}

  // A job for the store to name (an empty id).
  static NewJob Unnamed(Nanos created_at) { return testing::MakeTestJob("", created_at); }

  // seq and id_from_seq of the row holding `id`, read from the table.
  std::pair<std::int64_t, std::int64_t> RowOf(const std::string& id) {
    auto row = sql_->Prepare("SELECT seq, id_from_seq FROM jobs WHERE id = ?");
    row->BindText(1, id);
    EXPECT_TRUE(row->Step()) << id;
    return {row->ColumnInt64(0), row->ColumnInt64(1)};
  }

  JobIdCodec StoreCodec() {
    auto key = sql_->Prepare("SELECT key FROM job_id_key");
    EXPECT_TRUE(key->Step());
    return JobIdCodec(key->ColumnText(0));
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  JobStore& jobs_;
  std::unique_ptr<sqlite::Connection> sql_;
};

TEST_F(JobIdsTest, JobsWithoutAnIdGetOnesDerivedFromTheirSequenceNumber) {
  ASSERT_TRUE(jobs_.MakesJobIds());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(jobs_.InsertJob(Unnamed(kT0 + i)).job.id);
  // 70 at once: two multi-row statements of 32 and six rows one by one.
  std::vector<NewJob> batch;
  for (int i = 0; i < 70; ++i) batch.push_back(Unnamed(kT0 + 10 + i));
  for (const InsertResult& result : jobs_.InsertJobs(batch)) ids.push_back(result.job.id);

  const JobIdCodec codec = StoreCodec();
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto [seq, from_seq] = RowOf(ids[i]);
    EXPECT_EQ(from_seq, 1) << ids[i];
    EXPECT_EQ(seq, static_cast<std::int64_t>(i) + 1) << "appended in order";
    EXPECT_EQ(codec.Decode(ids[i]), seq);
    std::optional<Job> found = jobs_.FindJob(ids[i], kT0);
    ASSERT_TRUE(found.has_value()) << ids[i];
    EXPECT_EQ(found->id, ids[i]);
  }
}

// The statements that name a started job (claim, lease, finish) and cancel
// find it through its number: the whole life of a job made by the store.
TEST_F(JobIdsTest, ADerivedIdIsClaimedRenewedFinishedAndCancelled) {
  const std::string done = jobs_.InsertJob(Unnamed(kT0)).job.id;
  const std::string cancelled = jobs_.InsertJob(Unnamed(kT0 + 1)).job.id;
  auto claimed = jobs_.ClaimJobs({"w1", 1, kT0 + 5, kT0 + 1000});
  ASSERT_EQ(claimed.size(), 1u);
  ASSERT_EQ(claimed[0].job.id, done);
  EXPECT_EQ(jobs_.RenewLeases({{done, claimed[0].claim_token, std::nullopt}}, kT0 + 2000),
            std::vector<bool>{true});
  JobCompletion completion;
  completion.id = done;
  completion.token = claimed[0].claim_token;
  completion.kind = JobCompletion::Kind::kSucceeded;
  completion.success = SuccessResult{"{\"row_count\":1}", std::nullopt};
  EXPECT_EQ(jobs_.FinishJobs({completion}, kT0 + 10), std::vector<bool>{true});
  EXPECT_EQ(jobs_.FindJob(done, kT0 + 10)->status, JobStatus::kSuccess);

  EXPECT_EQ(jobs_.CancelJob(cancelled, kT0 + 20).kind, CancelResult::Kind::kCancelled);
  EXPECT_EQ(jobs_.FindJob(cancelled, kT0 + 20)->status, JobStatus::kFailed);
  // The same number under another key is another id: not this store's job.
  const JobIdCodec stranger("another-16-bytes");
  EXPECT_EQ(jobs_.FindJob(stranger.Encode(RowOf(done).first).value(), kT0), std::nullopt);
  EXPECT_EQ(jobs_.CancelJob(stranger.Encode(RowOf(cancelled).first).value(), kT0 + 30).kind,
            CancelResult::Kind::kNotFound);
}

// Ids given from outside (stores before 0014, jobs written by hand or by an
// importer) live beside derived ones; none may take another job's id.
TEST_F(JobIdsTest, GivenIdsAreFoundAndNoIdIsStoredTwice) {
  const std::string derived = jobs_.InsertJob(Unnamed(kT0)).job.id;
  ASSERT_TRUE(jobs_.InsertJob(testing::MakeTestJob("given-1", kT0 + 1)).created);
  EXPECT_EQ(RowOf("given-1").second, 0);
  EXPECT_EQ(jobs_.FindJob("given-1", kT0)->id, "given-1");
  EXPECT_THROW(jobs_.InsertJob(testing::MakeTestJob("given-1", kT0 + 2)), StoreError);
  EXPECT_THROW(jobs_.InsertJob(testing::MakeTestJob(derived, kT0 + 3)), StoreError);
  std::vector<NewJob> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(Unnamed(kT0 + 10 + i));
  batch[33].id = derived;  // in the multi-row statement's rows
  EXPECT_THROW(jobs_.InsertJobs(batch), StoreError);
  auto count = sql_->Prepare("SELECT count(*) FROM jobs");
  count->Step();
  EXPECT_EQ(count->ColumnInt64(0), 2) << "a refused batch writes none of its jobs";
}

// AUTOINCREMENT: deleting the newest job does not give its number, and so
// its id, to the next one; a client holding the old id never sees another job.
TEST_F(JobIdsTest, ANumberIsNeverHandedOutAgainAfterItsJobIsDeleted) {
  jobs_.InsertJob(Unnamed(kT0));
  const std::string newest = jobs_.InsertJob(Unnamed(kT0 + 1)).job.id;
  const std::int64_t newest_seq = RowOf(newest).first;
  sql_->Exec("DELETE FROM jobs WHERE seq = " + std::to_string(newest_seq));
  const std::string next = jobs_.InsertJob(Unnamed(kT0 + 2)).job.id;
  EXPECT_NE(next, newest);
  EXPECT_EQ(RowOf(next).first, newest_seq + 1);
  EXPECT_EQ(jobs_.FindJob(newest, kT0 + 2), std::nullopt);
}

// No index holds a derived id: the lookup reads the row by its number.
TEST_F(JobIdsTest, ALookupByIdReadsTheRowByItsNumberOrTheIndexOfGivenIds) {
  jobs_.InsertJob(Unnamed(kT0));
  auto plan = sql_->Prepare(
      "EXPLAIN QUERY PLAN SELECT status FROM jobs"
      " WHERE id = ?1 AND (seq = ?2 OR id_from_seq = 0) AND expires_at > ?3");
  std::string steps;
  while (plan->Step()) steps += std::string(plan->ColumnText(3)) + "; ";
  EXPECT_NE(steps.find("INTEGER PRIMARY KEY (rowid=?)"), std::string::npos) << steps;
  EXPECT_NE(steps.find("jobs_id_given"), std::string::npos) << steps;
  EXPECT_EQ(steps.find("SCAN"), std::string::npos) << steps;
}

}  // namespace
}  // namespace jobsd::storage
