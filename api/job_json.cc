#include "api/job_json.h"

#include <algorithm>
#include <cstdint>

#include "api/json_text.h"
#include "engine/time.h"

namespace jobsd::api {
namespace {

// A job object is about 350 bytes plus its two URLs; reserving that once
// keeps the document to a single allocation.
constexpr std::size_t kJobBytes = 400;

// The quoted URL of a page of the list. Brackets stay literal, as in the
// Commerce API's own links; the filter is percent-encoded, so ASCII.
void AppendPageUrl(std::string& out, std::string_view public_url, const ListJobsRequest& request,
                   std::int64_t offset) {
  out.push_back('"');
  AppendJsonStringContent(out, public_url);
  out += "/v2/jobs?page[limit]=";
  AppendJsonInt(out, request.limit);
  out += "&page[offset]=";
  AppendJsonInt(out, offset);
  if (!request.filter.empty()) {
    out += "&filter=";
    out += PercentEncode(request.filter);
  }
  out.push_back('"');
}

void AppendTimestamp(std::string& out, Nanos t) {
  out.push_back('"');
  AppendRfc3339Nano(out, t);  // digits, '-', ':', '.', 'T', 'Z': nothing to escape
  out.push_back('"');
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
  if (job.status != JobStatus::kSuccess || !job.artifact) return "";
  return ExportUrl(public_url, job.artifact->token);
}

namespace {

// The members of a job's result object, e.g. "row_count":12 of
// {"row_count":12}, appended after the members already in `out`. The job
// type wrote the object, so it is copied as it is: no parse on the listing
// path.
void AppendResultMembers(std::string& out, std::string_view result) {
  if (result.size() <= 2) return;  // "" or {}
  out.push_back(',');
  out.append(result.substr(1, result.size() - 2));
}

// floor(100 * written / total) for 0 <= written <= total, total > 0,
// without overflow: 100 * written as shifts and adds (Horner over the bits
// of 100), each step keeping quotient and remainder by total. Remainders
// stay below total < 2^63, so doubling one fits 64 unsigned bits.
std::int64_t FloorPercent(std::int64_t written, std::int64_t total) {
  const auto q = static_cast<std::uint64_t>(total);
  const auto w = static_cast<std::uint64_t>(written);
  std::uint64_t quotient = 0, remainder = 0;
  for (int bit = 6; bit >= 0; --bit) {
    quotient *= 2;
    remainder *= 2;
    if (remainder >= q) {
      ++quotient;
      remainder -= q;
    }
    if ((100 >> bit) & 1) {
      remainder += w;
      if (remainder >= q) {
        ++quotient;
        remainder -= q;
      }
    }
  }
  return static_cast<std::int64_t>(quotient);
}

// meta.progress of docs/jobs.md: {"rows_written":N,"rows_total":N,
// "percent":P}, P = floor(100 * written / total), 100 for a total of 0,
// kept within 0..100 whatever the job type reported.
void AppendProgress(std::string& out, const JobProgress& progress) {
  std::int64_t percent = 100;
  if (progress.rows_total > 0) {
    percent = FloorPercent(std::clamp<std::int64_t>(progress.rows_written, 0, progress.rows_total),
                           progress.rows_total);
  }
  out += ",\"progress\":{\"rows_written\":";
  AppendJsonInt(out, progress.rows_written);
  out += ",\"rows_total\":";
  AppendJsonInt(out, progress.rows_total);
  out += ",\"percent\":";
  AppendJsonInt(out, percent);
  out.push_back('}');
}

}  // namespace

void AppendJobJson(std::string& out, const Job& job, std::string_view public_url) {
  out += "{\"id\":";
  AppendJsonString(out, job.id);
  out += ",\"type\":\"job\",\"job_type\":";
  AppendJsonString(out, job.job_type);
  out += ",\"status\":";
  AppendJsonString(out, ToString(job.status));
  if (job.status == JobStatus::kFailed) {
    out += ",\"error\":";
    AppendJsonString(out, job.error.value_or(""));
  }

  out += ",\"link\":{\"href\":\"";
  if (job.status == JobStatus::kSuccess && job.artifact) {  // as FileHref
    AppendJsonStringContent(out, public_url);
    out += "/exports/";
    AppendJsonStringContent(out, job.artifact->token);
    out += ".csv";
  }
  out += "\"},\"links\":{\"self\":\"";
  AppendJsonStringContent(out, public_url);
  out += "/v2/jobs/";
  AppendJsonStringContent(out, job.id);

  out += "\"},\"timestamps\":{\"created_at\":";
  AppendTimestamp(out, job.created_at);
  out += ",\"updated_at\":";
  AppendTimestamp(out, job.updated_at);

  out += "},\"meta\":{\"attempts\":";
  AppendJsonInt(out, job.attempts);
  AppendResultMembers(out, job.result);
  if (job.interruptions > 0) {
    out += ",\"interruptions\":";
    AppendJsonInt(out, job.interruptions);
  }
  if (job.status == JobStatus::kStarted && job.progress) AppendProgress(out, *job.progress);
  out += "}}";
}

std::string JobDocument(const Job& job, std::string_view public_url) {
  std::string out;
  out.reserve(kJobBytes + 2 * public_url.size());
  out += "{\"data\":";
  AppendJobJson(out, job, public_url);
  out.push_back('}');
  return out;
}

std::string JobListDocument(const JobPage& page, const ListJobsRequest& request,
                            std::string_view public_url) {
  const std::int64_t limit = std::max(request.limit, 1);
  const std::int64_t offset = request.offset;
  const std::int64_t pages = std::max<std::int64_t>(1, (page.total + limit - 1) / limit);
  const std::int64_t last_offset = (pages - 1) * limit;

  std::string out;
  out.reserve(page.jobs.size() * (kJobBytes + 2 * public_url.size()) +
              5 * (public_url.size() + request.filter.size() * 3 + 64) + 128);
  out += "{\"data\":[";
  for (std::size_t i = 0; i < page.jobs.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJobJson(out, page.jobs[i], public_url);
  }

  out += "],\"meta\":{\"page\":{\"limit\":";
  AppendJsonInt(out, limit);
  out += ",\"offset\":";
  AppendJsonInt(out, offset);
  out += ",\"current\":";
  AppendJsonInt(out, offset / limit + 1);
  out += ",\"total\":";
  AppendJsonInt(out, pages);
  out += "},\"results\":{\"total\":";
  AppendJsonInt(out, page.total);

  out += "}},\"links\":{\"current\":";
  AppendPageUrl(out, public_url, request, offset);
  out += ",\"first\":";
  AppendPageUrl(out, public_url, request, 0);
  out += ",\"last\":";
  AppendPageUrl(out, public_url, request, last_offset);
  out += ",\"next\":";
  if (offset + limit < page.total) {
    AppendPageUrl(out, public_url, request, offset + limit);
  } else {
    out += "null";
  }
  out += ",\"prev\":";
  if (offset > 0) {
    AppendPageUrl(out, public_url, request,
                  std::clamp(offset - limit, std::int64_t{0}, last_offset));
  } else {
    out += "null";
  }
  out += "}}";
  return out;
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
