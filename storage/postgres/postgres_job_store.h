// JobStore on PostgreSQL: claims with FOR UPDATE SKIP LOCKED, fencing by
// claim token, ChangeVersion from the job_changes counter.
#pragma once

#include "engine/queue/job_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresJobStore final : public JobStore {
 public:
  explicit PostgresJobStore(pg::Pool& pool) : pool_(pool) {}

  InsertResult InsertJob(const NewJob& job) override;
  std::vector<InsertResult> InsertJobs(const std::vector<NewJob>& jobs) override;
  std::optional<Job> FindJob(std::string_view id, Nanos now) override;
  std::optional<Job> FindJobByArtifactToken(std::string_view token, Nanos now) override;
  JobPage ListJobs(const JobQuery& query) override;
  std::uint64_t ChangeVersion() override;
  bool ChangeVersionIsLocal() const override { return false; }
  std::vector<ClaimedJob> ClaimJobs(const ClaimRequest& request) override;
  std::vector<bool> RenewLeases(const std::vector<LeaseRenewal>& renewals,
                                Nanos lease_until) override;
  CancelResult CancelJob(std::string_view id, Nanos now) override;
  std::vector<bool> FinishJobs(const std::vector<JobCompletion>& completions, Nanos now) override;
  FinishAndClaimResult FinishAndClaim(const std::vector<JobCompletion>& completions, Nanos now,
                                      const ClaimRequest& next) override;
  int RescueExpiredLeases(Nanos now) override;
  std::vector<std::string> ClaimHolders() override;
  int RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) override;
  std::vector<ExpiredJob> DeleteExpiredJobs(Nanos now, int limit) override;
  std::int64_t ApplyRetention(Nanos retention) override;
  std::vector<std::string> ReferencedArtifacts() override;
  std::map<JobStatus, std::int64_t> CountByStatus(Nanos now) override;
  std::optional<Nanos> NextRunAfter() override;

 private:
  pg::Pool& pool_;
};

}  // namespace jobsd::storage
