#include "engine/queue/job_service.h"

#include <string>
#include <utility>

#include "engine/filter.h"
#include "engine/random.h"
#include "engine/sha256.h"

namespace jobsd {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

JobService::JobService(JobStore& store, const JobTypeRegistry& registry, const Clock& clock,
                       JobServiceOptions options)
    : store_(store), registry_(registry), clock_(clock), options_(options) {}

void JobService::Validate(const CreateJobRequest& request) const {
  const JobHandler* handler = registry_.Find(request.job_type);
  if (handler == nullptr) {
    throw InvalidRequest("Unknown job_type [" + request.job_type +
                         "]; registered job types are: " + JoinNames(registry_.Names()));
  }
  try {
    handler->ValidateParams(request.params);
  } catch (const filter::FilterError& e) {
    throw InvalidRequest(std::string(kBadFilterDetail), e.what());
  }
}

NewJob JobService::MakeNewJob(const CreateJobRequest& request, std::string id) const {
  NewJob job;
  job.id = std::move(id);
  job.job_type = request.job_type;
  job.params = request.params;
  job.created_at = clock_.Now();
  job.expires_at = AddClamped(job.created_at, options_.retention);
  job.max_attempts = options_.max_attempts;
  job.client_id = request.client_id;
  job.max_active_for_client = options_.max_active_jobs_per_client;
  if (request.idempotency_key) {
    job.idempotency_key = request.idempotency_key;
    // The key must come back with the same request to mean "the same job".
    // A NUL separates the parts so that no two requests hash alike by
    // moving bytes from one field to the other.
    std::string canonical = request.job_type;
    canonical.push_back('\0');
    canonical += request.params;
    job.request_hash = Sha256Hex(canonical);
    job.idempotency_expires_at = AddClamped(job.created_at, options_.idempotency_window);
  }
  return job;
}

// Empty when the store makes the id itself (JobStore::MakesJobIds).
std::string JobService::NewJobId() const {
  return store_.MakesJobIds() ? std::string() : NewUuidV4();
}

CreateJobResult JobService::Create(const CreateJobRequest& request) {
  Validate(request);
  return Answer(store_.InsertJob(MakeNewJob(request, NewJobId())));
}

void JobService::CreateAsync(const CreateJobRequest& request, const CreateDone& done) {
  Validate(request);
  store_.InsertJobAsync(MakeNewJob(request, NewJobId()),
                        [this, done](std::exception_ptr error, InsertResult inserted) {
                          CreateJobResult result;
                          if (!error) {
                            try {
                              result = Answer(std::move(inserted));
                            } catch (...) {
                              error = std::current_exception();
                            }
                          }
                          done(error, std::move(result));
                        });
}

CreateJobResult JobService::Answer(InsertResult inserted) {
  if (inserted.active_limit_reached) {
    const std::string limit = std::to_string(options_.max_active_jobs_per_client);
    throw LimitReached("This client already has " + limit +
                           " jobs pending or started, the most it may have at once"
                           " (--max-active-jobs " +
                           limit + "); retry once some have finished",
                       kActiveJobsRetryAfterSeconds);
  }
  if (inserted.key_conflict) {
    throw IdempotencyConflict(
        "Idempotency-Key was already used with a different request; use a new key for a new job");
  }
  if (inserted.created && on_created_) on_created_();
  return CreateJobResult{std::move(inserted.job), inserted.created};
}

std::vector<Job> JobService::CreateMany(const std::vector<CreateJobRequest>& requests) {
  std::vector<NewJob> jobs;
  jobs.reserve(requests.size());
  std::vector<std::string> ids = store_.MakesJobIds() ? std::vector<std::string>(requests.size())
                                                      : NewUuidsV4(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const CreateJobRequest& request = requests[i];
    if (request.idempotency_key) {
      throw InvalidRequest("an Idempotency-Key applies to one job; create such jobs one by one");
    }
    Validate(request);
    jobs.push_back(MakeNewJob(request, std::move(ids[i])));
    // Batches come from the command line and benchmarks, not from clients.
    jobs.back().max_active_for_client = 0;
  }
  std::vector<Job> created;
  created.reserve(jobs.size());
  for (InsertResult& inserted : store_.InsertJobs(jobs)) created.push_back(std::move(inserted.job));
  if (!created.empty() && on_created_) on_created_();
  return created;
}

std::optional<Job> JobService::Get(std::string_view id) const {
  return store_.FindJob(id, clock_.Now());
}

CancelResult JobService::Cancel(std::string_view id) {
  CancelResult result = store_.CancelJob(id, clock_.Now());
  if (result.kind == CancelResult::Kind::kCancelled && on_cancelled_) on_cancelled_();
  return result;
}

std::optional<Job> JobService::GetByArtifactToken(std::string_view token) const {
  std::optional<Job> job = store_.FindJobByArtifactToken(token, clock_.Now());
  if (job && (job->status != JobStatus::kSuccess || !job->artifact)) return std::nullopt;
  return job;
}

JobPage JobService::List(const ListJobsRequest& request) const {
  JobQuery query;
  try {
    query.filter = filter::Parse(request.filter, filter::JobFields());
  } catch (const filter::FilterError& e) {
    throw InvalidRequest(std::string(kBadFilterDetail), e.what());
  }
  query.limit = request.limit;
  query.offset = request.offset;
  query.now = clock_.Now();
  return store_.ListJobs(query);
}

std::map<JobStatus, std::int64_t> JobService::CountByStatus() const {
  return store_.CountByStatus(clock_.Now());
}

}  // namespace jobsd
