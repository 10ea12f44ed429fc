#include "api/router.h"

#include <algorithm>

#include "api/errors.h"
#include "api/request_id.h"
#include "api/request_target.h"
#include "api/ui_assets.h"

namespace jobsd::api {
namespace {

constexpr std::string_view kCsvSuffix = ".csv";

// Matches one decoded path segment against a route part; a placeholder
// captures into `param`.
bool MatchPart(std::string_view part, std::string_view segment, std::string_view& param) {
  if (part.empty() || part.front() != '{') return part == segment;
  if (part.ends_with(kCsvSuffix)) {
    if (segment.size() <= kCsvSuffix.size() || !segment.ends_with(kCsvSuffix)) return false;
    param = segment.substr(0, segment.size() - kCsvSuffix.size());
    return true;
  }
  if (segment.empty()) return false;
  param = segment;
  return true;
}

bool Serves(const std::vector<http::verb>& methods, http::verb method) {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

// The route's methods, with HEAD after GET where GET serves it.
std::string AllowHeader(const std::vector<http::verb>& methods) {
  std::string allow;
  for (http::verb method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += http::to_string(method);
    if (method == http::verb::get && !Serves(methods, http::verb::head)) allow += ", HEAD";
  }
  return allow;
}

bool IsV2Path(std::string_view path) { return path == "/v2" || path.starts_with("/v2/"); }

}  // namespace

Router::Router(ApiServices services, std::string public_url)
    : services_(std::move(services)), public_url_(std::move(public_url)) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
  using V = http::verb;
  routes_ = {
      {"/v2/jobs", {"v2", "jobs"}, {{V::get, &ListJobs}, {V::post, &PostJob}}},
      {"/v2/jobs/{id}", {"v2", "jobs", "{id}"}, {{V::get, &GetJob}}},
      {"/v2/jobs/{id}/file", {"v2", "jobs", "{id}", "file"}, {{V::get, &GetJobFile}}},
      {"/v2/jobs/{id}/cancel", {"v2", "jobs", "{id}", "cancel"}, {{V::post, &PostCancelJob}}},
      {"/v2/jobs/{id}/events", {"v2", "jobs", "{id}", "events"}, {{V::get, &GetJobEvents}}},
      {"/oauth/access_token", {"oauth", "access_token"}, {{V::post, &PostAccessToken}}},
      {"/exports/{token}.csv",
       {"exports", "{token}.csv"},
       {{V::get, &GetExport}, {V::head, &GetExport}}},
      {"/healthz", {"healthz"}, {{V::get, &GetHealth}}},
      {"/readyz", {"readyz"}, {{V::get, &GetReady}}},
      {"/metrics", {"metrics"}, {{V::get, &GetMetrics}}},
      {"/openapi.json", {"openapi.json"}, {{V::get, &GetOpenApi}}},
      // The dashboard. Segments are matched whole and decoded after the
      // split, so "..", "%2e%2e%2f" or "a/b" can only miss the embedded
      // names (404); no path reaches the file system.
      {"/", {""}, {{V::get, &GetRoot}}},
      {"/ui/", {"ui", ""}, {{V::get, &GetUiIndex}}},
      {"/ui/{path}", {"ui", "{path}"}, {{V::get, &GetUiFile}}},
  };
  // Compress the dashboard's files now rather than on its first request.
  FindUiAsset("index.html");
}

std::vector<Router::RouteMethods> Router::Routes() const {
  std::vector<RouteMethods> routes;
  for (const Route& route : routes_) {
    RouteMethods described{std::string(route.name), {}};
    for (const MethodHandler& handler : route.methods) described.methods.push_back(handler.method);
    routes.push_back(std::move(described));
  }
  return routes;
}

Response Router::Handle(const Request& request) const { return Handle(request, NewRequestId()); }

Response Router::Handle(const Request& request, std::string_view request_id) const {
  std::string route_name = "unmatched";
  Response response;
  try {
    response = Dispatch(request, request_id, route_name);
  } catch (...) {
    response = ErrorFromCurrentException(request_id);
  }
  response.route = std::move(route_name);
  response.headers.set("X-Request-Id", request_id);
  return response;
}

std::optional<std::string_view> Router::BearerToken(const Request& request) {
  auto it = request.find(http::field::authorization);
  if (it == request.end()) return std::nullopt;
  std::string_view value = it->value();
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size() ||
      !boost::beast::iequals(value.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

std::optional<std::string> Router::AuthorizedClient(const Request& request) const {
  const std::optional<std::string_view> token = BearerToken(request);
  if (!token) return std::nullopt;
  return services_.auth.Authenticate(*token);
}

std::optional<Response> Router::AnswerFromListCache(const Request& request,
                                                    std::string_view request_id) const {
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return std::nullopt;
  }
  if (!services_.jobs.ListVersionIsLocal()) return std::nullopt;
  try {
    const std::optional<RequestTarget> target = ParseRequestTarget(request.target());
    if (!target || target->path != "/v2/jobs") return std::nullopt;
    const std::optional<std::string_view> token = BearerToken(request);
    if (!token) return std::nullopt;
    const std::optional<std::string> client = services_.auth.AuthenticateRemembered(*token);
    if (!client) return std::nullopt;
    HandlerContext context{request, services_,     public_url_, request_id,
                           {},      target->query, list_cache_, *client};
    std::optional<Response> response = ListJobsFromCache(context);
    if (!response) return std::nullopt;
    response->route = "/v2/jobs";
    response->headers.set("X-Request-Id", request_id);
    return response;
  } catch (...) {
    return std::nullopt;  // the pool's Handle says what went wrong
  }
}

bool Router::StartPostJob(const Request& request, std::string_view request_id,
                          PostedDone done) const {
  if (request.method() != http::verb::post || !services_.jobs.CreatesWithoutWaiting()) {
    return false;
  }
  std::optional<std::string> client;
  try {
    const std::optional<RequestTarget> target = ParseRequestTarget(request.target());
    if (!target || target->path != "/v2/jobs") return false;
    const std::optional<std::string_view> token = BearerToken(request);
    if (!token) return false;
    client = services_.auth.AuthenticateRemembered(*token);
    if (!client) return false;
  } catch (...) {
    return false;  // the pool's Handle says what went wrong
  }
  // Runs where the outcome is known: a refusal becomes its response there.
  auto report = [id = std::string(request_id), done = std::move(done)](std::exception_ptr error,
                                                                       CreateJobResult result) {
    PostedJob posted;
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (...) {
        posted.refusal = ErrorFromCurrentException(id);
      }
      posted.refusal->route = "/v2/jobs";
      posted.refusal->headers.set("X-Request-Id", id);
    } else {
      posted.result = std::move(result);
    }
    done(std::move(posted));
  };
  try {
    CreateJobRequest create = ParseCreateBody(request);
    create.client_id = std::move(client);
    services_.jobs.CreateAsync(create, report);
  } catch (...) {
    report(std::current_exception(), {});
  }
  return true;
}

Response Router::FinishPostJob(std::string_view request_id, PostedJob posted) const {
  if (posted.refusal) return *std::move(posted.refusal);
  Response response;
  try {
    response = CreatedJobResponse(posted.result, public_url_);
  } catch (...) {
    response = ErrorFromCurrentException(request_id);
  }
  response.route = "/v2/jobs";
  response.headers.set("X-Request-Id", request_id);
  return response;
}

std::optional<std::string> Router::CheckToken(const Request& request, std::string_view path) const {
  if (!IsV2Path(path)) return std::nullopt;
  if (std::optional<std::string> client = AuthorizedClient(request)) return client;
  throw ApiError(ErrorCode::kInvalidToken,
                 request.find(http::field::authorization) == request.end()
                     ? "An Authorization header with a Bearer access token is required"
                     : "The access token is missing, invalid or expired");
}

std::optional<Response> Router::PrecheckBeforeBody(const Request& header,
                                                   std::string_view request_id) const {
  const std::optional<RequestTarget> target = ParseRequestTarget(header.target());
  // A bad target is answered as usual once the body is read.
  if (!target) return std::nullopt;
  Response response;
  try {
    CheckToken(header, target->path);
    return std::nullopt;
  } catch (...) {
    response = ErrorFromCurrentException(request_id);
  }
  response.headers.set("X-Request-Id", request_id);
  return response;
}

Response Router::Dispatch(const Request& request, std::string_view request_id,
                          std::string& route_name) const {
  const std::optional<RequestTarget> target = ParseRequestTarget(request.target());
  if (!target) throw ApiError(ErrorCode::kBadRequest, "The request target is not a valid URL");
  const std::optional<std::string> client_id = CheckToken(request, target->path);

  const std::string_view client = client_id ? std::string_view(*client_id) : std::string_view();
  const std::vector<std::string>& segments = target->segments;
  for (const Route& route : routes_) {
    if (route.parts.size() != segments.size()) continue;
    std::string_view param;
    bool matched = true;
    for (std::size_t i = 0; i < segments.size() && matched; ++i) {
      matched = MatchPart(route.parts[i], segments[i], param);
    }
    if (!matched) continue;

    route_name = route.name;
    std::vector<http::verb> allowed;
    for (const MethodHandler& candidate : route.methods) allowed.push_back(candidate.method);
    // HEAD falls back to GET (RFC 9110 section 9.3.2) unless the route
    // handles HEAD itself.
    const http::verb wanted =
        request.method() == http::verb::head && !Serves(allowed, http::verb::head)
            ? http::verb::get
            : request.method();
    for (const MethodHandler& candidate : route.methods) {
      if (candidate.method == wanted) {
        HandlerContext context{request, services_,     public_url_, request_id,
                               param,   target->query, list_cache_, client};
        return candidate.handler(context);
      }
    }
    Response response =
        ErrorResponse(ErrorCode::kMethodNotAllowed,
                      "Method " + std::string(request.method_string()) + " is not allowed on " +
                          std::string(route.name) + "; allowed: " + AllowHeader(allowed),
                      request_id);
    response.headers.set(http::field::allow, AllowHeader(allowed));
    return response;
  }
  throw ApiError(ErrorCode::kNotFound, std::string(kNotFoundDetail));
}

}  // namespace jobsd::api
