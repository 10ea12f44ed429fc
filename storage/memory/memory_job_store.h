// engine/queue/job_store.h held in memory: the reference implementation of
// the port, for engine tests that need no SQLite. It keeps every promise of
// the port within one process (one mutex makes each call one transaction);
// it is never shared across processes, and everything is gone when it is
// destroyed, which is why `--db` cannot select it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/queue/job_store.h"

namespace jobsd::storage {

class MemoryWebhookStore;

class MemoryJobStore final : public JobStore {
 public:
  // `webhooks` (optional, outliving this store): where a job reaching
  // success or failed queues its deliveries, as the SQL stores' trigger
  // does, before the write that finished it returns.
  explicit MemoryJobStore(MemoryWebhookStore* webhooks = nullptr) : webhooks_(webhooks) {}

  InsertResult InsertJob(const NewJob& job) override;
  std::vector<InsertResult> InsertJobs(const std::vector<NewJob>& jobs) override;
  std::optional<Job> FindJob(std::string_view id, Nanos now) override;
  std::optional<Job> FindJobByArtifactToken(std::string_view token, Nanos now) override;
  JobPage ListJobs(const JobQuery& query) override;
  std::uint64_t ChangeVersion() override;
  bool ChangeVersionIsLocal() const override { return true; }
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
  // A stored job and what the store keeps beside it.
  struct Row {
    Job job;
    std::optional<std::string> claim_token;  // set exactly while started
    std::optional<std::string> idempotency_key;
    std::string request_hash;
    Nanos idempotency_expires_at = 0;
    std::optional<std::string> client_id;
    // Insertion order, as SQLite's seq and PostgreSQL's: breaks ties of
    // created_at in the listing and the claim.
    std::int64_t seq = 0;
  };

  // Every write runs inside Transaction: the rows it replaced are kept
  // until it returns, and put back if it throws (all or none).
  template <typename Write>
  auto Transaction(Write&& write);
  // The only ways rows change: they keep the indexes in step, refuse a
  // second job with the same id, key or file token, and refuse status
  // moves that IsAllowedTransition refuses.
  void Put(Row row);
  void Erase(const std::string& id);
  void Index(const Row& row);
  void Unindex(const Row& row);
  void Rollback();
  // After a write: queues the deliveries of every job it finished.
  void QueueWebhooksOfFinished();

  InsertResult InsertOne(const NewJob& job);
  std::vector<ClaimedJob> ClaimWithin(const ClaimRequest& request);
  std::vector<bool> ApplyCompletions(const std::vector<JobCompletion>& completions, Nanos now);
  int Rescue(const std::vector<std::string>& ids, std::string_view what, Nanos now);

  std::mutex mutex_;
  std::map<std::string, Row, std::less<>> rows_;              // by job id
  std::map<std::string, std::string, std::less<>> by_key_;    // idempotency key -> id
  std::map<std::string, std::string, std::less<>> by_token_;  // file token -> id
  // (created_at, seq, id) of every pending job: the claim's order.
  std::set<std::tuple<Nanos, std::int64_t, std::string>> pending_;
  std::vector<std::pair<std::string, std::optional<Row>>> undo_;  // this write's replaced rows
  std::uint64_t version_ = 0;
  std::int64_t last_seq_ = 0;
  MemoryWebhookStore* webhooks_;
};

}  // namespace jobsd::storage
