#include "api/job_json.h"

#include <algorithm>
#include <boost/json/array.hpp>

#include "engine/time.h"

namespace jobsd::api {
namespace {

std::string PageUrl(std::string_view public_url, const ListJobsRequest& request,
                    std::int64_t offset) {
  // Brackets stay literal, as in the Commerce API's own links.
  std::string url(public_url);
  url += "/v2/jobs?page[limit]=" + std::to_string(request.limit) +
         "&page[offset]=" + std::to_string(offset);
  if (!request.filter.empty()) url += "&filter=" + PercentEncode(request.filter);
  return url;
}

}  // namespace

std::string JobUrl(std::string_view public_url, std::string_view job_id) {
  std::string url(public_url);
  return url.append("/v2/jobs/").append(job_id);
}

std::string ExportUrl(std::string_view public_url, std::string_view file_token) {
  std::string url(public_url);
  return url.append("/exports/").append(file_token).append(".csv");
}

std::string FileHref(const Job& job, std::string_view public_url) {
  if (job.status != JobStatus::kSuccess || !job.file_token) return "";
  return ExportUrl(public_url, *job.file_token);
}

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
  if (job.row_count) meta["row_count"] = *job.row_count;
  if (job.interruptions > 0) meta["interruptions"] = job.interruptions;
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

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace jobsd::api
