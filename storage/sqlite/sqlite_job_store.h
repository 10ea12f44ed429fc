// engine/queue/job_store.h on SQLite. Every state change is a single
// compare-and-set UPDATE inside BEGIN IMMEDIATE; the schema's trigger
// refuses any status move outside the table of engine/queue/job.h. Writes go
// through a GroupWriter (one connection, group commit); reads borrow pooled
// connections.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/queue/job_store.h"
#include "storage/sqlite/connection_pool.h"
#include "storage/sqlite/group_writer.h"
#include "storage/sqlite/job_id_codec.h"
#include "storage/sqlite/job_retention_range.h"
#include "storage/sqlite/wal_change_counter.h"
#include "storage/sqlite/wal_checkpointer.h"

// The order of the job list (GET /v2/jobs): newest first, ties by seq
// (migrations/sqlite/0015). jobs_listing holds it, so no page is sorted.
// bench/queue_bench.cc's deep-page floor runs the same query.
#define JOBSD_SQLITE_LIST_ORDER " ORDER BY created_at DESC, seq DESC"

namespace jobsd::storage {

class SqliteJobStore final : public JobStore {
 public:
  // `before_write`, when given, runs before every write transaction and may
  // refuse it by throwing (the store file was deleted, say).
  explicit SqliteJobStore(ConnectionPool& pool, std::function<void()> before_write = {})
      : pool_(pool),
        checkpointer_([&pool] { return pool.OpenDetached(); }),
        writer_(
            [this] {
              auto connection = pool_.OpenDetached();
              checkpointer_.Watch(*connection);
              return connection;
            },
            std::move(before_write),
            [this](sqlite::Connection& connection) { RecordInsertedJobs(connection); }) {}

  InsertResult InsertJob(const NewJob& job) override;
  std::optional<Job> FindJob(std::string_view id, Nanos now) override;
  std::optional<Job> FindJobByArtifactToken(std::string_view token, Nanos now) override;
  JobPage ListJobs(const JobQuery& query) override;
  std::vector<ClaimedJob> ClaimJobs(const ClaimRequest& request) override;
  std::vector<bool> RenewLeases(const std::vector<LeaseRenewal>& renewals,
                                Nanos lease_until) override;
  CancelResult CancelJob(std::string_view id, Nanos now) override;
  std::vector<bool> FinishJobs(const std::vector<JobCompletion>& completions, Nanos now) override;
  FinishAndClaimResult FinishAndClaim(const std::vector<JobCompletion>& completions, Nanos now,
                                      const ClaimRequest& next) override;
  std::vector<InsertResult> InsertJobs(const std::vector<NewJob>& jobs) override;
  // Submitted to the group writer: `done` runs on its committing thread.
  void InsertJobAsync(NewJob job, InsertDone done) override;
  bool InsertsWithoutWaiting() const override { return true; }
  bool MakesJobIds() const override { return true; }
  int RescueExpiredLeases(Nanos now) override;
  std::vector<std::string> ClaimHolders() override;
  int RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) override;
  std::vector<ExpiredJob> DeleteExpiredJobs(Nanos now, int limit) override;
  std::int64_t ApplyRetention(Nanos retention) override;
  std::vector<std::string> ReferencedArtifacts() override;
  std::map<JobStatus, std::int64_t> CountByStatus(Nanos now) override;
  std::optional<Nanos> NextRunAfter() override;
  std::uint64_t ChangeVersion() override;
  bool ChangeVersionIsLocal() const override { return true; }

  // What the first insert would otherwise pay, paid when the store opens
  // (Database::Open calls it): reads the job id key and makes one id, so
  // that OpenSSL loads its configuration and cipher (several milliseconds,
  // once per process); opens the writing connection and compiles the insert
  // statements (a 1,000-job batch enqueue took 2-3 ms longer as the first).
  void Warm();

  // Closes the writing connection (in a write of its own, after the writes
  // queued before it; the next write opens a new one) and the idle
  // checkpointing connection. Best effort: never throws.
  void ReleaseWriterMemory();

 private:
  // The codec of this store's job ids, its key read once (0014).
  const JobIdCodec& Codec();
  // Notes a job the running write inserted, once nothing of the write can
  // fail any more.
  void NoteInserted(const Job& job);
  // Adds the jobs the write just run inserted to job_counts (0017) and their
  // retentions to job_retention_range (0019): one UPDATE each per write
  // instead of a trigger per row. Run by the group writer after each write
  // that did not throw.
  void RecordInsertedJobs(sqlite::Connection& connection);

  ConnectionPool& pool_;
  // Before writer_: work the writer still runs while it stops uses the codec.
  std::once_flag codec_once_;
  std::optional<JobIdCodec> codec_;  // set once by Codec()
  WalCheckpointer checkpointer_;     // outlives the writer's connection
  // Jobs inserted by the write the group writer is running, not yet in
  // job_counts, and their retentions, not yet in job_retention_range.
  // Touched only inside writes (one at a time, by the leader).
  std::int64_t uncounted_inserts_ = 0;
  InsertedRetentions inserted_retentions_;
  GroupWriter writer_;
  WalChangeCounter change_counter_{[this] { return pool_.OpenDetached(); }};
};

}  // namespace jobsd::storage
