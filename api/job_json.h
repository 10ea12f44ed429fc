// Jobs as JSON, exactly as docs/jobs.md shows them, and the list
// envelope of GET /v2/jobs. Plain functions: the CLI prints the same
// documents for `jobs get --json` and `jobs list --json`.
//
// The documents are written straight into one string (api/json_text.h)
// rather than built as a Boost.JSON DOM and serialized: these are the
// responses clients poll, and the DOM's allocations were most of their
// cost. The bytes are those the DOM gave (tests/api/job_json_test.cc keeps
// the DOM as the oracle).
#pragma once

#include <string>
#include <string_view>

#include "engine/queue/job.h"
#include "engine/queue/job_service.h"
#include "engine/queue/job_store.h"

namespace jobsd::api {

// <public_url>/v2/jobs/<id>
std::string JobUrl(std::string_view public_url, std::string_view job_id);
// <public_url>/exports/<file_token>.csv
std::string ExportUrl(std::string_view public_url, std::string_view file_token);
// link.href: the export URL once the job succeeded, "" before.
std::string FileHref(const Job& job, std::string_view public_url);

// One job object: id, type, job_type, status, error (only when failed),
// link, links, timestamps, and a meta object with attempts, the members of
// the job's result (an export's row_count) and interruptions (when any), in
// that order.
void AppendJobJson(std::string& out, const Job& job, std::string_view public_url);

// {"data":<the job>}: the body of GET /v2/jobs/{id} and POST /v2/jobs.
std::string JobDocument(const Job& job, std::string_view public_url);

// {"data":[...],"meta":{"page":{...},"results":{...}},"links":{...}} for
// `page`, the answer to `request`.
//
// Pages are counted in steps of `limit` from offset 0: current is
// offset / limit + 1 (rounded down, so an offset that is not a multiple of
// the limit belongs to the page it starts in); total is the number of pages,
// at least 1. next is offset + limit while that is below the total, prev is
// offset - limit (never below 0, never past the last page), null on the
// first page (offset 0).
std::string JobListDocument(const JobPage& page, const ListJobsRequest& request,
                            std::string_view public_url);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view text);

}  // namespace jobsd::api
