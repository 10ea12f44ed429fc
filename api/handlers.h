// The endpoint handlers. Each gets the request and what the router matched,
// and returns a Response or throws (ApiError, or an engine exception that
// errors.h maps). They run on a pool, never on an I/O thread; only
// ListJobsFromCache (Router::AnswerFromListCache) and PostJob's halves
// (Router::StartPostJob) do.
#pragma once

#include <optional>
#include <string_view>

#include "api/http_types.h"
#include "api/list_cache.h"
#include "api/request_target.h"
#include "api/services.h"

namespace jobsd::api {

struct HandlerContext {
  const Request& request;
  const ApiServices& services;
  std::string_view public_url;
  std::string_view request_id;
  std::string_view path_param;  // {id} or {token} of the route, else ""
  const QueryParams& query;
  ListCache& list_cache;  // GET /v2/jobs bodies while still right
  // On /v2/*: the client_id the bearer token belongs to; "" elsewhere.
  std::string_view client_id = {};
};

using Handler = Response (*)(const HandlerContext&);

// api/jobs_handlers.cc
Response PostJob(const HandlerContext& context);
// PostJob's two halves, which Router::StartPostJob runs apart: the job the
// body asks for (or ApiError naming what is wrong), and the 202 for the
// job created.
CreateJobRequest ParseCreateBody(const Request& request);
Response CreatedJobResponse(const CreateJobResult& result, std::string_view public_url);
Response ListJobs(const HandlerContext& context);
// The page ListJobs would answer when its list cache has it, else nullopt
// (also for parameters ListJobs refuses: it says why). Reads no more than
// the store's change version.
std::optional<Response> ListJobsFromCache(const HandlerContext& context);
Response GetJob(const HandlerContext& context);
Response GetJobFile(const HandlerContext& context);
Response PostCancelJob(const HandlerContext& context);
// GET /v2/jobs/{id}/events: finds the job (404) and hands the stream to
// the session (Response::events).
Response GetJobEvents(const HandlerContext& context);

// api/oauth_handler.cc
Response PostAccessToken(const HandlerContext& context);

// api/export_handler.cc (GET and HEAD)
Response GetExport(const HandlerContext& context);

// api/ops_handlers.cc
Response GetHealth(const HandlerContext& context);
Response GetReady(const HandlerContext& context);
Response GetMetrics(const HandlerContext& context);
// GET /openapi.json: the embedded docs/openapi.json.
Response GetOpenApi(const HandlerContext& context);

// api/ui_handler.cc (no token): GET / redirects to /ui/; GET /ui/ is the
// dashboard's index.html, GET /ui/{path} one of its embedded files.
Response GetRoot(const HandlerContext& context);
Response GetUiIndex(const HandlerContext& context);
Response GetUiFile(const HandlerContext& context);

// True when the Content-Type header names `media_type`, ignoring case and
// parameters such as charset.
bool HasMediaType(const Request& request, std::string_view media_type);

}  // namespace jobsd::api
