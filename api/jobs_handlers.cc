// POST /v2/jobs, GET /v2/jobs, GET /v2/jobs/{id}, GET /v2/jobs/{id}/file,
// POST /v2/jobs/{id}/cancel,
// GET /v2/jobs/{id}/events (its start; api/event_stream.h streams it).
#include <boost/json/parse.hpp>
#include <charconv>
#include <optional>

#include "api/errors.h"
#include "api/handlers.h"
#include "api/job_json.h"

namespace jobsd::api {
namespace {

[[noreturn]] void BadRequest(std::string detail) {
  throw ApiError(ErrorCode::kBadRequest, std::move(detail));
}

}  // namespace

CreateJobRequest ParseCreateBody(const Request& request) {
  if (!HasMediaType(request, "application/json")) {
    BadRequest("Content-Type must be application/json");
  }
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request.body(), ec);
  if (ec) BadRequest("Request body is not valid JSON");
  const boost::json::object* top = body.if_object();
  if (top == nullptr) BadRequest("Request body must be a JSON object");
  const boost::json::value* data_value = top->if_contains("data");
  if (data_value == nullptr) BadRequest("data is required");
  const boost::json::object* data = data_value->if_object();
  if (data == nullptr) BadRequest("data must be an object");

  if (const boost::json::value* type = data->if_contains("type")) {
    if (!type->is_string() || type->get_string() != "job") BadRequest("data.type must be \"job\"");
  }
  CreateJobRequest create;
  const boost::json::value* job_type = data->if_contains("job_type");
  if (job_type == nullptr) BadRequest("data.job_type is required");
  if (!job_type->is_string()) BadRequest("data.job_type must be a string");
  create.job_type = job_type->get_string();
  if (create.job_type.empty()) BadRequest("data.job_type must not be empty");
  if (const boost::json::value* filter = data->if_contains("filter")) {
    if (!filter->is_string()) BadRequest("data.filter must be a string");
    create.params = filter->get_string();  // order_export's parameters: its filter
  }
  auto key = request.find("Idempotency-Key");
  if (key != request.end() && !key->value().empty()) {
    create.idempotency_key = std::string(key->value());
  }
  return create;
}

namespace {

// page[limit] or page[offset] as a whole number in [min, max].
std::int64_t PageParam(const HandlerContext& context, std::string_view name, std::int64_t fallback,
                       std::int64_t min, std::int64_t max, std::string_view rule) {
  const std::optional<std::string_view> found = context.query.Find(name);
  if (!found) return fallback;
  const std::string_view value = *found;
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || number < min ||
      number > max) {
    BadRequest(std::string(name) + " must be " + std::string(rule));
  }
  return number;
}

Job FindJobOr404(const HandlerContext& context) {
  std::optional<Job> job = context.services.jobs.Get(context.path_param);
  if (!job) throw ApiError(ErrorCode::kNotFound, std::string(kNotFoundDetail));
  return *std::move(job);
}

}  // namespace

Response PostJob(const HandlerContext& context) {
  CreateJobRequest create = ParseCreateBody(context.request);
  if (!context.client_id.empty()) create.client_id = std::string(context.client_id);
  return CreatedJobResponse(context.services.jobs.Create(create), context.public_url);
}

Response CreatedJobResponse(const CreateJobResult& result, std::string_view public_url) {
  Response response = JsonTextResponse(http::status::accepted, JobDocument(result.job, public_url));
  response.headers.set(http::field::location, JobUrl(public_url, result.job.id));
  return response;
}

namespace {

ListJobsRequest ParseListRequest(const HandlerContext& context) {
  ListJobsRequest list;
  list.limit = static_cast<int>(
      PageParam(context, "page[limit]", 25, 1, 100, "a whole number from 1 to 100"));
  list.offset =
      PageParam(context, "page[offset]", 0, 0, std::numeric_limits<std::int64_t>::max() / 2,
                "a whole number, 0 or more");
  list.filter = context.query.Find("filter").value_or("");
  return list;
}

std::string ListCacheKey(const ListJobsRequest& list) {
  return std::to_string(list.limit) + ' ' + std::to_string(list.offset) + ' ' + list.filter;
}

}  // namespace

std::optional<Response> ListJobsFromCache(const HandlerContext& context) {
  ListJobsRequest list;
  try {
    list = ParseListRequest(context);
  } catch (const ApiError&) {
    return std::nullopt;  // ListJobs answers the 400
  }
  const JobService& jobs = context.services.jobs;
  const std::uint64_t version = jobs.ListVersion();
  if (auto body = context.list_cache.Find(ListCacheKey(list), version, jobs.clock().Now())) {
    return JsonTextResponse(http::status::ok, std::move(body));
  }
  return std::nullopt;
}

Response ListJobs(const HandlerContext& context) {
  const ListJobsRequest list = ParseListRequest(context);

  // The same page again while the store has not changed (api/list_cache.h).
  // The version is read before listing: a commit landing in between makes
  // the entry stale at once rather than wrong.
  const JobService& jobs = context.services.jobs;
  std::string key = ListCacheKey(list);
  const std::uint64_t version = jobs.ListVersion();
  if (auto body = context.list_cache.Find(key, version, jobs.clock().Now())) {
    return JsonTextResponse(http::status::ok, std::move(body));
  }
  JobPage page = jobs.List(list);
  auto body = std::make_shared<const std::string>(JobListDocument(page, list, context.public_url));
  context.list_cache.Put(std::move(key), version, page.valid_until, body);
  return JsonTextResponse(http::status::ok, std::move(body));
}

Response GetJob(const HandlerContext& context) {
  return JsonTextResponse(http::status::ok, JobDocument(FindJobOr404(context), context.public_url));
}

Response GetJobEvents(const HandlerContext& context) {
  Job job = FindJobOr404(context);
  Response response;
  response.headers.set(http::field::content_type, "text/event-stream");
  response.headers.set(http::field::cache_control, "no-store");
  response.events =
      EventStreamStart{job.id, JobDocument(job, context.public_url), IsFinal(job.status)};
  return response;
}

Response GetJobFile(const HandlerContext& context) {
  const Job job = FindJobOr404(context);
  if (job.status != JobStatus::kSuccess) {
    throw ApiError(ErrorCode::kUnprocessable,
                   "Job has no file to download. Job status: " + std::string(ToString(job.status)));
  }
  return JsonResponse(http::status::ok, {{"data", {{"href", FileHref(job, context.public_url)}}}});
}

// docs/jobs.md. The body, if any, is not read: the route needs none
// (the session has already bounded its size).
Response PostCancelJob(const HandlerContext& context) {
  const CancelResult result = context.services.jobs.Cancel(context.path_param);
  switch (result.kind) {
    case CancelResult::Kind::kCancelled:
      context.services.metrics.JobCancelled();
      return JsonTextResponse(http::status::accepted, JobDocument(result.job, context.public_url));
    case CancelResult::Kind::kAlreadyFinished:
      throw ApiError(ErrorCode::kConflict, "Job has already finished. Job status: " +
                                               std::string(ToString(result.job.status)));
    case CancelResult::Kind::kNotFound:
      break;
  }
  throw ApiError(ErrorCode::kNotFound, std::string(kNotFoundDetail));
}

bool HasMediaType(const Request& request, std::string_view media_type) {
  auto it = request.find(http::field::content_type);
  if (it == request.end()) return false;
  std::string_view value = it->value();
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return boost::beast::iequals(value, media_type);
}

}  // namespace jobsd::api
