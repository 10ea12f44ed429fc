#include "tests/api/job_json_oracle.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "api/errors.h"
#include "api/job_json.h"
#include "engine/time.h"

namespace jobsd::api::oracle {
namespace {

std::string PageUrl(std::string_view public_url, const ListJobsRequest& request,
                    std::int64_t offset) {
  std::string url(public_url);
  url += "/v2/jobs?page[limit]=" + std::to_string(request.limit) +
         "&page[offset]=" + std::to_string(offset);
  if (!request.filter.empty()) url += "&filter=" + PercentEncode(request.filter);
  return url;
}

}  // namespace

boost::json::object JobToJson(const Job& job, std::string_view public_url) {
  boost::json::object json;
  json["id"] = job.id;
  json["type"] = "job";
  json["job_type"] = job.job_type;
  json["status"] = ToString(job.status);
  if (job.status == JobStatus::kFailed) json["error"] = job.error.value_or("");
  json["link"] = boost::json::object{{"href", FileHref(job, public_url)}};
  json["links"] = boost::json::object{{"self", JobUrl(public_url, job.id)}};
  json["timestamps"] = boost::json::object{{"created_at", FormatRfc3339Nano(job.created_at)},
                                           {"updated_at", FormatRfc3339Nano(job.updated_at)}};
  boost::json::object meta{{"attempts", job.attempts}};
  if (!job.result.empty()) {
    const boost::json::value result = boost::json::parse(job.result);
    for (const auto& member : result.as_object()) meta[member.key()] = member.value();
  }
  if (job.interruptions > 0) meta["interruptions"] = job.interruptions;
  if (job.status == JobStatus::kStarted && job.progress) {
    // docs/jobs.md, computed another way: floor(100 * written / total)
    // in 128 bits, 100 for a total of 0, within 0..100.
    const JobProgress& progress = *job.progress;
    std::int64_t percent = 100;
    if (progress.rows_total > 0) {
      __extension__ const __int128 written =
          std::clamp<std::int64_t>(progress.rows_written, 0, progress.rows_total);
      percent = static_cast<std::int64_t>(written * 100 / progress.rows_total);
    }
    meta["progress"] = boost::json::object{{"rows_written", progress.rows_written},
                                           {"rows_total", progress.rows_total},
                                           {"percent", percent}};
  }
  json["meta"] = std::move(meta);
  return json;
}

boost::json::object JobListToJson(const JobPage& page, const ListJobsRequest& request,
                                  std::string_view public_url) {
  const std::int64_t limit = std::max(request.limit, 1);
  const std::int64_t offset = request.offset;
  const std::int64_t pages = std::max<std::int64_t>(1, (page.total + limit - 1) / limit);
  const std::int64_t last_offset = (pages - 1) * limit;

  boost::json::array data;
  for (const Job& job : page.jobs) data.push_back(JobToJson(job, public_url));

  boost::json::object links;
  links["current"] = PageUrl(public_url, request, offset);
  links["first"] = PageUrl(public_url, request, 0);
  links["last"] = PageUrl(public_url, request, last_offset);
  if (offset + limit < page.total) {
    links["next"] = PageUrl(public_url, request, offset + limit);
  } else {
    links["next"] = nullptr;
  }
  if (offset > 0) {
    links["prev"] =
        PageUrl(public_url, request, std::clamp(offset - limit, std::int64_t{0}, last_offset));
  } else {
    links["prev"] = nullptr;
  }

  boost::json::object json;
  json["data"] = std::move(data);
  json["meta"] = boost::json::object{{"page", boost::json::object{{"limit", limit},
                                                                  {"offset", offset},
                                                                  {"current", offset / limit + 1},
                                                                  {"total", pages}}},
                                     {"results", boost::json::object{{"total", page.total}}}};
  json["links"] = std::move(links);
  return json;
}

std::string JobDocumentBytes(const Job& job, std::string_view public_url) {
  return JsonResponse(http::status::ok, {{"data", JobToJson(job, public_url)}}).body;
}

std::string JobListDocumentBytes(const JobPage& page, const ListJobsRequest& request,
                                 std::string_view public_url) {
  return JsonResponse(http::status::ok, JobListToJson(page, request, public_url)).body;
}

}  // namespace jobsd::api::oracle
