// Jobs as JSON, exactly as API.md section 1 shows them, and the list
// envelope of GET /v2/jobs. Plain functions: the CLI prints the same
// documents for `jobs get --json` and `jobs list --json`.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "engine/job.h"
#include "engine/job_service.h"
#include "engine/job_store.h"

namespace jobsd::api {

// <public_url>/v2/jobs/<id>
std::string JobUrl(std::string_view public_url, std::string_view job_id);
// <public_url>/exports/<file_token>.csv
std::string ExportUrl(std::string_view public_url, std::string_view file_token);
// link.href: the export URL once the job succeeded, "" before.
std::string FileHref(const Job& job, std::string_view public_url);

// One job: id, type, job_type, status, error (only when failed), link,
// links, timestamps, and a meta object with attempts and row_count.
boost::json::object JobToJson(const Job& job, std::string_view public_url);

// {"data":[...],"meta":{"page":{...},"results":{...}},"links":{...}} for
// `page`, the answer to `request`.
//
// Pages are counted in steps of `limit` from offset 0: current is
// offset / limit + 1 (rounded down, so an offset that is not a multiple of
// the limit belongs to the page it starts in); total is the number of pages,
// at least 1. next is offset + limit while that is below the total, prev is
// offset - limit (never below 0, never past the last page), null on the
// first page (offset 0).
boost::json::object JobListToJson(const JobPage& page, const ListJobsRequest& request,
                                  std::string_view public_url);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view text);

}  // namespace jobsd::api
