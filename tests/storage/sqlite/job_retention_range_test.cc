// job_retention_range (0019): the SQLite store finds expired jobs by their
// created_at in jobs_listing, within bounds of every job's retention that it
// keeps as it inserts. What every backend promises about expiry is checked
// by tests/storage/conformance; these tests check the bounds themselves, the
// plans that read them, and the store's answers against the rows counted
// by brute force for jobs of many retentions.
#include "storage/sqlite/job_retention_range.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_job_store.h"
#include "tests/storage/store_test_data.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;
constexpr Nanos kMin = std::numeric_limits<Nanos>::min();
constexpr Nanos kMax = std::numeric_limits<Nanos>::max();

TEST(JobRetentionRangeTest, RetentionsAndBoundsSaturateInsteadOfWrapping) {
  EXPECT_EQ(RetentionOf(kT0, kT0 + 5), 5);
  EXPECT_EQ(RetentionOf(kT0, kT0 - 5), -5);  // inserted already expired
  EXPECT_EQ(RetentionOf(-10, kMax), kMax);
  EXPECT_EQ(RetentionOf(10, kMin), kMin);

  JobRetentionRange range{100, 200};
  EXPECT_EQ(range.LastCreatedExpiredAt(kT0), kT0 - 100);
  EXPECT_EQ(range.FirstCreatedVisibleAt(kT0), kT0 - 199);
  EXPECT_FALSE(range.Uniform());
  EXPECT_TRUE((JobRetentionRange{7, 7}).Uniform());

  // A missing bound, or one saturated where it may stand for a retention no
  // int64 holds, bounds nothing.
  EXPECT_EQ((JobRetentionRange{}).LastCreatedExpiredAt(kT0), kMax);
  EXPECT_EQ((JobRetentionRange{}).FirstCreatedVisibleAt(kT0), kMin);
  EXPECT_FALSE((JobRetentionRange{}).Uniform());
  EXPECT_EQ((JobRetentionRange{kMin, 5}).LastCreatedExpiredAt(kT0), kMax);
  EXPECT_EQ((JobRetentionRange{5, kMax}).FirstCreatedVisibleAt(kT0), kMin);
  // Bounds past the ends of time are clamped to them.
  EXPECT_EQ((JobRetentionRange{-10, 5}).LastCreatedExpiredAt(kMax - 3), kMax);
  EXPECT_EQ((JobRetentionRange{5, 10}).FirstCreatedVisibleAt(kMin + 3), kMin);
}

class JobRetentionStoreTest : public ::testing::Test {
 protected:
  JobRetentionStoreTest()
      : database_(Database::Open({dir_ / "jobsd.db"})),
        jobs_(database_->jobs()),
        connection_(sqlite::Connection::Open(dir_ / "jobsd.db")) {}

  void Insert(std::string id, Nanos created_at, Nanos retention) {
    // Made at 0: MakeTestJob adds its own retention, which would overflow
    // past the last storable instant.
    NewJob job = testing::MakeTestJob(std::move(id), 0);
    job.created_at = created_at;
    job.expires_at = created_at + retention;
    ASSERT_TRUE(jobs_.InsertJob(job).created);
  }

  std::string Range() {
    auto select = connection_->Prepare(
        "SELECT coalesce(shortest, 'NULL') || ' ' || coalesce(longest, 'NULL')"
        " FROM job_retention_range");
    return select->Step() ? std::string(select->ColumnText(0)) : "no row";
  }

  std::string PlanOf(const std::string& sql) {
    auto plan = connection_->Prepare("EXPLAIN QUERY PLAN " + sql);
    std::string steps;
    while (plan->Step()) steps += std::string(plan->ColumnText(3)) + "; ";
    return steps;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  JobStore& jobs_;
  std::unique_ptr<sqlite::Connection> connection_;
};

TEST_F(JobRetentionStoreTest, InsertsWidenTheRangeAndApplyingARetentionResetsIt) {
  EXPECT_EQ(Range(), "NULL NULL") << "a new store holds no job";
  Insert("a", kT0, 1000);
  EXPECT_EQ(Range(), "1000 1000");
  std::vector<NewJob> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(testing::MakeTestJob("b" + std::to_string(i), kT0 + i));
    batch.back().expires_at = kT0 + i + 1000;
  }
  batch[40].expires_at = kT0 + 40 + 5000;
  batch[70].expires_at = kT0 + 70 - 5;  // already expired when inserted
  jobs_.InsertJobs(batch);
  EXPECT_EQ(Range(), "-5 5000");
  Insert("c", kT0 + 200, 1000);
  EXPECT_EQ(Range(), "-5 5000") << "an insert within the range leaves it";

  // A write that fails adds nothing: the batch's duplicate id refuses it all.
  std::vector<NewJob> refused{testing::MakeTestJob("d", kT0), testing::MakeTestJob("a", kT0)};
  refused[0].expires_at = kT0 + 99'999;
  EXPECT_THROW(jobs_.InsertJobs(refused), StoreError);
  EXPECT_EQ(Range(), "-5 5000");

  EXPECT_EQ(jobs_.ApplyRetention(300), 102);
  EXPECT_EQ(Range(), "300 300");
  // An expiry clamped at the last storable instant makes a shorter retention.
  Insert("late", kMax - 100, 50);
  EXPECT_EQ(jobs_.ApplyRetention(300), 1);
  EXPECT_EQ(Range(), "100 300");

  while (!jobs_.DeleteExpiredJobs(kMax, 1000).empty()) {
  }
  EXPECT_EQ(jobs_.ApplyRetention(300), 0);
  EXPECT_EQ(Range(), "NULL NULL");
}

// No index holds expires_at alone (each insert would pay for it); the
// readers of expired jobs range over jobs_listing by created_at, and with
// one retention for every job the sweep reads them in the index's order.
TEST_F(JobRetentionStoreTest, ExpiredJobsAreReadThroughTheListingIndex) {
  auto leading = connection_->Prepare(
      "SELECT count(*) FROM sqlite_master m, pragma_index_info(m.name) i"
      " WHERE m.type = 'index' AND m.tbl_name = 'jobs' AND i.seqno = 0 AND i.name = 'expires_at'");
  ASSERT_TRUE(leading->Step());
  EXPECT_EQ(leading->ColumnInt64(0), 0) << "an index leads with expires_at";
  testing::InsertJobsOneAfterAnother(jobs_, 2000, kT0);
  const std::string sweep = PlanOf(
      "SELECT seq FROM jobs WHERE created_at <= ?1 AND expires_at <= ?2"
      " ORDER BY created_at, seq LIMIT ?3");
  EXPECT_NE(sweep.find("COVERING INDEX jobs_listing (created_at<?)"), std::string::npos) << sweep;
  EXPECT_EQ(sweep.find("TEMP B-TREE"), std::string::npos) << sweep;
  const std::string expired = PlanOf(
      "SELECT status, count(*) FROM jobs WHERE created_at <= ?1 AND expires_at <= ?2"
      " GROUP BY status");
  EXPECT_NE(expired.find("INDEX jobs_listing (created_at<?)"), std::string::npos) << expired;
  const std::string next = PlanOf(
      "SELECT expires_at FROM jobs WHERE created_at >= ?1 AND expires_at > ?2"
      " ORDER BY created_at, seq LIMIT 1");
  EXPECT_NE(next.find("COVERING INDEX jobs_listing (created_at>?)"), std::string::npos) << next;
}

// Jobs of many retentions (as a store holds between a change of retention
// and the next `jobsd serve`, or with jobs given their own expiry): at
// every instant the store's total, valid_until and sweep order are those
// the rows give when every row is read.
TEST_F(JobRetentionStoreTest, ManyRetentionsGiveWhatReadingEveryRowGives) {
  std::vector<NewJob> batch;
  std::uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<Nanos>(state >> 40);  // 0 .. 2^24
  };
  for (int i = 0; i < 600; ++i) {
    NewJob job = testing::MakeTestJob("m" + std::to_string(i), kT0 + next() % 5000);
    job.expires_at = job.created_at + next() % 20'000;
    batch.push_back(std::move(job));
  }
  jobs_.InsertJobs(batch);

  auto truth = [&](const std::string& sql, Nanos now) {
    auto select = connection_->Prepare(sql);
    select->BindInt64(1, now);
    std::optional<Nanos> value;
    if (select->Step() && !select->IsNull(0)) value = select->ColumnInt64(0);
    return value;
  };
  for (Nanos now = kT0; now <= kT0 + 26'000; now += 1'300) {
    SCOPED_TRACE(now - kT0);
    JobPage page = jobs_.ListJobs({filter::Filter{}, 5, 0, now});
    EXPECT_EQ(page.total, truth("SELECT count(*) FROM jobs WHERE expires_at > ?1", now));
    const auto soonest = truth("SELECT min(expires_at) FROM jobs WHERE expires_at > ?1", now);
    EXPECT_EQ(page.valid_until, soonest.value_or(JobPage::kNoExpiry));
    EXPECT_EQ(jobs_.CountByStatus(now).at(JobStatus::kPending), page.total);

    // The sweep takes the soonest expired first, 7 at a time (in no order
    // within one call: DELETE ... RETURNING gives its rows as it deletes).
    std::vector<std::string> order;
    auto expected = connection_->Prepare(
        "SELECT id FROM jobs WHERE expires_at <= ?1 ORDER BY expires_at, seq");
    expected->BindInt64(1, now);
    while (expected->Step()) order.emplace_back(expected->ColumnText(0));
    std::vector<std::string> swept;
    for (auto step = jobs_.DeleteExpiredJobs(now, 7); !step.empty();
         step = jobs_.DeleteExpiredJobs(now, 7)) {
      std::vector<std::string> ids;
      for (const ExpiredJob& job : step) ids.push_back(job.id);
      const auto from = order.begin() + static_cast<std::ptrdiff_t>(swept.size());
      std::vector<std::string> expected_ids(from, from + static_cast<std::ptrdiff_t>(std::min(
                                                             ids.size(), order.size() - swept.size())));
      std::sort(ids.begin(), ids.end());
      std::sort(expected_ids.begin(), expected_ids.end());
      EXPECT_EQ(ids, expected_ids) << "after " << swept.size();
      swept.insert(swept.end(), ids.begin(), ids.end());
    }
    EXPECT_EQ(swept.size(), order.size());
  }
  EXPECT_EQ(jobs_.ListJobs({filter::Filter{}, 5, 0, kT0}).total, 0) << "all swept at the end";
}

}  // namespace
}  // namespace jobsd::storage
