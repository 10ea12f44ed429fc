#include "storage/memory/memory_job_store.h"

#include <algorithm>
#include <tuple>

#include "engine/random.h"
#include "storage/memory/job_filter_match.h"
#include "storage/memory/memory_webhook_store.h"

namespace jobsd::storage {
namespace {

// updated_at must change on every status change, even when the clock has
// not moved (or moved back) since the last one.
void Touch(Job& job, Nanos now) { job.updated_at = std::max(now, job.updated_at + 1); }

// Leaving `started` drops the claim and the run's progress.
void DropClaim(Job& job) {
  job.claimed_by.reset();
  job.lease_expires_at.reset();
  job.progress.reset();
}

}  // namespace

template <typename Write>
auto MemoryJobStore::Transaction(Write&& write) {
  undo_.clear();
  try {
    auto result = write();
    if (!undo_.empty()) ++version_;
    QueueWebhooksOfFinished();
    undo_.clear();
    return result;
  } catch (...) {
    Rollback();
    throw;
  }
}

void MemoryJobStore::QueueWebhooksOfFinished() {
  if (webhooks_ == nullptr) return;
  std::set<std::string_view> seen;
  for (const auto& [id, before] : undo_) {
    // The first entry of an id holds the row as it was before this write.
    if (!seen.insert(id).second || !before || IsFinal(before->job.status)) continue;
    auto now = rows_.find(id);
    if (now != rows_.end() && IsFinal(now->second.job.status)) {
      webhooks_->QueueDeliveries(now->second.job.id, now->second.job.status,
                                 now->second.job.updated_at);
    }
  }
}

void MemoryJobStore::Rollback() {
  for (auto entry = undo_.rbegin(); entry != undo_.rend(); ++entry) {
    if (auto now = rows_.find(entry->first); now != rows_.end()) {
      Unindex(now->second);
      rows_.erase(now);
    }
    if (entry->second) {
      Index(*entry->second);
      rows_.emplace(entry->first, *entry->second);
    }
  }
  undo_.clear();
}

void MemoryJobStore::Index(const Row& row) {
  if (row.idempotency_key) by_key_.emplace(*row.idempotency_key, row.job.id);
  if (row.job.artifact) by_token_.emplace(row.job.artifact->token, row.job.id);
  if (row.job.status == JobStatus::kPending)
    pending_.emplace(row.job.created_at, row.seq, row.job.id);
}

void MemoryJobStore::Unindex(const Row& row) {
  if (row.idempotency_key) by_key_.erase(*row.idempotency_key);
  if (row.job.artifact) by_token_.erase(row.job.artifact->token);
  pending_.erase({row.job.created_at, row.seq, row.job.id});
}

void MemoryJobStore::Put(Row row) {
  const std::string id = row.job.id;
  auto old = rows_.find(id);
  if (old != rows_.end() && old->second.job.status != row.job.status &&
      !IsAllowedTransition(old->second.job.status, row.job.status)) {
    throw StoreError("forbidden job status transition from " +
                         std::string(ToString(old->second.job.status)) + " to " +
                         std::string(ToString(row.job.status)),
                     /*transient=*/false);
  }
  if (old == rows_.end() && row.job.status != JobStatus::kPending) {
    throw StoreError("a job must be created pending", /*transient=*/false);
  }
  auto taken = [&](const auto& index, const std::optional<std::string>& value) {
    if (!value) return false;
    auto found = index.find(*value);
    return found != index.end() && found->second != id;
  };
  if (taken(by_key_, row.idempotency_key)) {
    throw StoreError("idempotency key already names another job", /*transient=*/false);
  }
  if (row.job.artifact && taken(by_token_, row.job.artifact->token)) {
    throw StoreError("artifact token already names another job", /*transient=*/false);
  }
  if (old == rows_.end()) {
    undo_.emplace_back(id, std::nullopt);
  } else {
    undo_.emplace_back(id, old->second);
    Unindex(old->second);
  }
  Index(row);
  rows_.insert_or_assign(id, std::move(row));
}

void MemoryJobStore::Erase(const std::string& id) {
  auto old = rows_.find(id);
  if (old == rows_.end()) return;
  undo_.emplace_back(id, old->second);
  Unindex(old->second);
  rows_.erase(old);
}

InsertResult MemoryJobStore::InsertOne(const NewJob& job) {
  const Nanos now = job.created_at;
  if (job.idempotency_key) {
    if (auto holder = by_key_.find(*job.idempotency_key); holder != by_key_.end()) {
      Row earlier = rows_.at(holder->second);
      if (earlier.idempotency_expires_at > now && earlier.job.expires_at > now) {
        InsertResult result{earlier.job, /*created=*/false, /*key_conflict=*/false};
        result.key_conflict = earlier.request_hash != job.request_hash;
        return result;  // nothing written
      }
      // The key's window (or the job) is over: the key is free again. The
      // old job keeps living without it.
      earlier.idempotency_key.reset();
      earlier.request_hash.clear();
      earlier.idempotency_expires_at = 0;
      Put(std::move(earlier));
    }
  }
  if (job.client_id && job.max_active_for_client > 0) {
    std::int64_t active = 0;
    for (const auto& [id, row] : rows_) {
      if (row.client_id == job.client_id &&
          (row.job.status == JobStatus::kPending || row.job.status == JobStatus::kStarted)) {
        ++active;
      }
    }
    if (active >= job.max_active_for_client) {
      InsertResult refused;
      refused.created = false;
      refused.active_limit_reached = true;
      return refused;  // nothing written
    }
  }
  if (rows_.count(job.id) > 0) {
    throw StoreError("a job with id [" + job.id + "] is already stored", /*transient=*/false);
  }
  Row row;
  row.job = StoredJob(job);
  if (job.idempotency_key) {
    row.idempotency_key = job.idempotency_key;
    row.request_hash = job.request_hash;
    row.idempotency_expires_at = job.idempotency_expires_at;
  }
  row.client_id = job.client_id;
  row.seq = ++last_seq_;
  InsertResult result;
  result.job = row.job;
  Put(std::move(row));
  return result;
}

InsertResult MemoryJobStore::InsertJob(const NewJob& job) {
  std::lock_guard lock(mutex_);
  return Transaction([&] { return InsertOne(job); });
}

std::vector<InsertResult> MemoryJobStore::InsertJobs(const std::vector<NewJob>& jobs) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    std::vector<InsertResult> results;
    results.reserve(jobs.size());
    for (const NewJob& job : jobs) results.push_back(InsertOne(job));
    return results;
  });
}

std::optional<Job> MemoryJobStore::FindJob(std::string_view id, Nanos now) {
  std::lock_guard lock(mutex_);
  auto found = rows_.find(id);
  if (found == rows_.end() || found->second.job.expires_at <= now) return std::nullopt;
  return found->second.job;
}

std::optional<Job> MemoryJobStore::FindJobByArtifactToken(std::string_view token, Nanos now) {
  std::lock_guard lock(mutex_);
  auto holder = by_token_.find(token);
  if (holder == by_token_.end()) return std::nullopt;
  const Job& job = rows_.at(holder->second).job;
  if (job.expires_at <= now) return std::nullopt;
  return job;
}

JobPage MemoryJobStore::ListJobs(const JobQuery& query) {
  std::lock_guard lock(mutex_);
  JobPage page;
  std::vector<const Row*> matching;
  for (const auto& [id, row] : rows_) {
    if (row.job.expires_at <= query.now) continue;
    page.valid_until = std::min(page.valid_until, row.job.expires_at);
    if (MatchesJobFilter(query.filter, row.job)) matching.push_back(&row);
  }
  page.total = static_cast<std::int64_t>(matching.size());
  if (query.offset >= page.total || query.limit <= 0) return page;
  const auto first = matching.begin() + query.offset;
  const auto last =
      matching.begin() + std::min<std::int64_t>(page.total, query.offset + query.limit);
  // Newest first; ties of created_at: the later insert first.
  std::partial_sort(matching.begin(), last, matching.end(), [](const Row* a, const Row* b) {
    return std::tie(a->job.created_at, a->seq) > std::tie(b->job.created_at, b->seq);
  });
  for (auto row = first; row != last; ++row) page.jobs.push_back((*row)->job);
  return page;
}

std::uint64_t MemoryJobStore::ChangeVersion() {
  std::lock_guard lock(mutex_);
  return version_;
}

std::vector<ClaimedJob> MemoryJobStore::ClaimWithin(const ClaimRequest& request) {
  std::vector<ClaimedJob> claimed;
  if (request.max_jobs <= 0) return claimed;
  std::vector<std::string> ids;
  for (const auto& [created_at, seq, id] : pending_) {
    if (static_cast<int>(ids.size()) == request.max_jobs) break;
    const Job& job = rows_.at(id).job;
    if (job.run_after <= request.now && job.expires_at > request.now) ids.push_back(id);
  }
  // As on SQLite: a random prefix per batch plus the job id, so no two
  // claims ever share a token.
  const std::string token_prefix = RandomHex(16) + ":";
  for (const std::string& id : ids) {
    Row row = rows_.at(id);
    row.job.status = JobStatus::kStarted;
    row.job.attempts += 1;
    row.job.claimed_by = request.worker_id;
    row.job.lease_expires_at = request.lease_until;
    Touch(row.job, request.now);
    row.claim_token = token_prefix + id;
    claimed.push_back(ClaimedJob{row.job, *row.claim_token});
    Put(std::move(row));
  }
  return claimed;
}

std::vector<ClaimedJob> MemoryJobStore::ClaimJobs(const ClaimRequest& request) {
  std::lock_guard lock(mutex_);
  return Transaction([&] { return ClaimWithin(request); });
}

std::vector<bool> MemoryJobStore::RenewLeases(const std::vector<LeaseRenewal>& renewals,
                                              Nanos lease_until) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    std::vector<bool> held;
    held.reserve(renewals.size());
    for (const LeaseRenewal& renewal : renewals) {
      auto found = rows_.find(renewal.id);
      if (found == rows_.end() || found->second.job.status != JobStatus::kStarted ||
          found->second.claim_token != renewal.token) {
        held.push_back(false);
        continue;
      }
      Row row = found->second;
      row.job.lease_expires_at = lease_until;
      if (renewal.progress) row.job.progress = renewal.progress;
      Put(std::move(row));
      held.push_back(true);
    }
    return held;
  });
}

CancelResult MemoryJobStore::CancelJob(std::string_view id, Nanos now) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    CancelResult result;
    auto found = rows_.find(id);
    if (found == rows_.end() || found->second.job.expires_at <= now) return result;
    if (IsFinal(found->second.job.status)) {
      result.kind = CancelResult::Kind::kAlreadyFinished;
      result.job = found->second.job;
      return result;
    }
    Row row = found->second;
    if (row.job.status == JobStatus::kPending) {
      // By way of started, as SQLite and PostgreSQL go: the state machine
      // has no pending -> failed. Both steps are in this transaction.
      Row started = row;
      started.job.status = JobStatus::kStarted;
      Put(std::move(started));
    }
    row.job.status = JobStatus::kFailed;
    row.job.error = std::string(kCancelledError);
    DropClaim(row.job);
    row.claim_token.reset();
    Touch(row.job, now);
    result.kind = CancelResult::Kind::kCancelled;
    result.job = row.job;
    Put(std::move(row));
    return result;
  });
}

std::vector<bool> MemoryJobStore::ApplyCompletions(const std::vector<JobCompletion>& completions,
                                                   Nanos now) {
  std::vector<bool> applied;
  applied.reserve(completions.size());
  for (const JobCompletion& completion : completions) {
    auto found = rows_.find(completion.id);
    if (found == rows_.end() || found->second.job.status != JobStatus::kStarted ||
        found->second.claim_token != completion.token) {
      applied.push_back(false);
      continue;
    }
    Row row = found->second;
    Job& job = row.job;
    switch (completion.kind) {
      case JobCompletion::Kind::kSucceeded:
        job.status = JobStatus::kSuccess;
        job.error.reset();
        job.result = completion.success.result;
        job.artifact = completion.success.artifact;
        break;
      case JobCompletion::Kind::kFailed:
        job.status = JobStatus::kFailed;
        job.error = completion.error;
        break;
      case JobCompletion::Kind::kRetry:
        job.status = JobStatus::kPending;
        job.error = completion.error;
        job.run_after = completion.run_after;
        break;
      case JobCompletion::Kind::kRelease:
        // Interrupted on purpose (shutdown): the attempt does not count.
        job.status = JobStatus::kPending;
        job.run_after = now;
        job.attempts = std::max(job.attempts - 1, 0);
        break;
    }
    DropClaim(job);
    row.claim_token.reset();
    Touch(job, now);
    Put(std::move(row));
    applied.push_back(true);
  }
  return applied;
}

std::vector<bool> MemoryJobStore::FinishJobs(const std::vector<JobCompletion>& completions,
                                             Nanos now) {
  std::lock_guard lock(mutex_);
  return Transaction([&] { return ApplyCompletions(completions, now); });
}

FinishAndClaimResult MemoryJobStore::FinishAndClaim(const std::vector<JobCompletion>& completions,
                                                    Nanos now, const ClaimRequest& next) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    FinishAndClaimResult result;
    result.applied = ApplyCompletions(completions, now);
    result.claimed = ClaimWithin(next);
    return result;
  });
}

// The cut-short run counts as an interruption, not an attempt; a job
// interrupted kMaxInterruptions times is failed instead. The words are the
// SQLite store's (storage/sqlite/sqlite_job_store.cc RescueWhere).
int MemoryJobStore::Rescue(const std::vector<std::string>& ids, std::string_view what, Nanos now) {
  for (const std::string& id : ids) {
    Row row = rows_.at(id);
    Job& job = row.job;
    job.interruptions += 1;
    if (job.interruptions >= kMaxInterruptions) {
      job.status = JobStatus::kFailed;
      job.error = std::string(what) + "; its runs were cut short " +
                  std::to_string(job.interruptions) +
                  " times, so it is not run again (it may be what stops the worker);"
                  " submit it again to retry";
    } else {
      job.status = JobStatus::kPending;
      job.run_after = now;
      job.error = std::string(what);
      job.attempts = std::max(job.attempts - 1, 0);
    }
    DropClaim(job);
    row.claim_token.reset();
    Touch(job, now);
    Put(std::move(row));
  }
  return static_cast<int>(ids.size());
}

int MemoryJobStore::RescueExpiredLeases(Nanos now) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    std::vector<std::string> lapsed;
    for (const auto& [id, row] : rows_) {
      if (row.job.status == JobStatus::kStarted && row.job.lease_expires_at <= now) {
        lapsed.push_back(id);
      }
    }
    return Rescue(lapsed, "the worker running this job stopped responding (lease expired)", now);
  });
}

std::vector<std::string> MemoryJobStore::ClaimHolders() {
  std::lock_guard lock(mutex_);
  std::set<std::string> holders;
  for (const auto& [id, row] : rows_) {
    if (row.job.status == JobStatus::kStarted) holders.insert(*row.job.claimed_by);
  }
  return {holders.begin(), holders.end()};
}

int MemoryJobStore::RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    std::vector<std::string> orphaned;
    for (const auto& [id, row] : rows_) {
      if (row.job.status == JobStatus::kStarted &&
          std::find(dead_workers.begin(), dead_workers.end(), *row.job.claimed_by) !=
              dead_workers.end()) {
        orphaned.push_back(id);
      }
    }
    return Rescue(orphaned, "the process running this job ended before it finished", now);
  });
}

std::vector<ExpiredJob> MemoryJobStore::DeleteExpiredJobs(Nanos now, int limit) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    std::vector<std::pair<Nanos, std::string>> expired;
    for (const auto& [id, row] : rows_) {
      if (row.job.expires_at <= now) expired.emplace_back(row.job.expires_at, id);
    }
    std::sort(expired.begin(), expired.end());
    if (static_cast<int>(expired.size()) > std::max(limit, 0)) {
      expired.resize(static_cast<std::size_t>(std::max(limit, 0)));
    }
    std::vector<ExpiredJob> deleted;
    for (const auto& [expires_at, id] : expired) {
      const std::optional<Artifact>& artifact = rows_.at(id).job.artifact;
      deleted.push_back(
          ExpiredJob{id, artifact ? std::optional<std::string>(artifact->key) : std::nullopt});
      Erase(id);
    }
    return deleted;
  });
}

std::int64_t MemoryJobStore::ApplyRetention(Nanos retention) {
  std::lock_guard lock(mutex_);
  return Transaction([&] {
    std::vector<std::string> ids;
    for (const auto& [id, row] : rows_) {
      if (row.job.expires_at != AddClamped(row.job.created_at, retention)) ids.push_back(id);
    }
    for (const std::string& id : ids) {
      Row row = rows_.at(id);
      row.job.expires_at = AddClamped(row.job.created_at, retention);
      Put(std::move(row));
    }
    return static_cast<std::int64_t>(ids.size());
  });
}

std::vector<std::string> MemoryJobStore::ReferencedArtifacts() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> files;
  for (const auto& [id, row] : rows_) {
    if (row.job.artifact) files.push_back(row.job.artifact->key);
  }
  return files;
}

std::map<JobStatus, std::int64_t> MemoryJobStore::CountByStatus(Nanos now) {
  std::lock_guard lock(mutex_);
  std::map<JobStatus, std::int64_t> counts;
  for (JobStatus status : kAllJobStatuses) counts[status] = 0;
  for (const auto& [id, row] : rows_) {
    if (row.job.expires_at > now) ++counts[row.job.status];
  }
  return counts;
}

std::optional<Nanos> MemoryJobStore::NextRunAfter() {
  std::lock_guard lock(mutex_);
  std::optional<Nanos> earliest;
  for (const auto& [created_at, seq, id] : pending_) {
    const Nanos run_after = rows_.at(id).job.run_after;
    if (!earliest || run_after < *earliest) earliest = run_after;
  }
  return earliest;
}

}  // namespace jobsd::storage
