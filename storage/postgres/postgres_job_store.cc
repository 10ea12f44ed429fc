#include "storage/postgres/postgres_job_store.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
// PLACEHOLDER: replaced by the real implementation before this lands.
namespace jobsd::storage {
namespace {
[[noreturn]] void NotYet() { throw StoreError("PostgreSQL store: not implemented yet", false); }
}  // namespace

InsertResult PostgresJobStore::InsertJob(const NewJob& job) { NotYet(); }
std::vector<InsertResult> PostgresJobStore::InsertJobs(const std::vector<NewJob>& jobs) { NotYet(); }
std::optional<Job> PostgresJobStore::FindJob(std::string_view id, Nanos now) { NotYet(); }
std::optional<Job> PostgresJobStore::FindJobByArtifactToken(std::string_view token, Nanos now) { NotYet(); }
JobPage PostgresJobStore::ListJobs(const JobQuery& query) { NotYet(); }
std::uint64_t PostgresJobStore::ChangeVersion() { NotYet(); }
std::vector<ClaimedJob> PostgresJobStore::ClaimJobs(const ClaimRequest& request) { NotYet(); }
bool PostgresJobStore::RenewLease(std::string_view id, std::string_view token, Nanos lease_until) { NotYet(); }
std::vector<bool> PostgresJobStore::FinishJobs(const std::vector<JobCompletion>& completions, Nanos now) { NotYet(); }
FinishAndClaimResult PostgresJobStore::FinishAndClaim(const std::vector<JobCompletion>& completions, Nanos now, const ClaimRequest& next) { NotYet(); }
int PostgresJobStore::RescueExpiredLeases(Nanos now) { NotYet(); }
std::vector<std::string> PostgresJobStore::ClaimHolders() { NotYet(); }
int PostgresJobStore::RescueClaimsOf(const std::vector<std::string>& dead_workers, Nanos now) { NotYet(); }
std::vector<ExpiredJob> PostgresJobStore::DeleteExpiredJobs(Nanos now, int limit) { NotYet(); }
std::int64_t PostgresJobStore::ApplyRetention(Nanos retention) { NotYet(); }
std::vector<std::string> PostgresJobStore::ReferencedArtifacts() { NotYet(); }
std::map<JobStatus, std::int64_t> PostgresJobStore::CountByStatus(Nanos now) { NotYet(); }
std::optional<Nanos> PostgresJobStore::NextRunAfter() { NotYet(); }

}  // namespace jobsd::storage
