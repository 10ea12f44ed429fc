// Maps method + path to a handler and turns every outcome into a Response.
// Knows nothing of sockets: tests call Handle with a plain request.
//
// Order of checks, as docs/errors.md requires: on /v2/* the bearer token
// first (401 for any path, known or not), then the path (404), then the
// method (405 with Allow). HEAD is served wherever GET is, by the GET
// handler (the session sends no body). Every response carries X-Request-Id.
//
// Thread-safe: Handle may run on many threads at once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/handlers.h"
#include "api/http_types.h"
#include "api/list_cache.h"
#include "api/services.h"

namespace jobsd::api {

class Router {
 public:
  // `public_url` without a trailing slash, e.g. http://127.0.0.1:8080.
  Router(ApiServices services, std::string public_url);

  Response Handle(const Request& request, std::string_view request_id) const;
  // With a fresh request id (tests).
  Response Handle(const Request& request) const;

  // For a request whose header asks for `100 Continue` (the body not yet
  // read): the answer that does not depend on the body, when it is a
  // refusal (401 on /v2/* without a valid token), so that the client is not
  // invited to send a body that will not be read. nullopt to go on.
  std::optional<Response> PrecheckBeforeBody(const Request& header,
                                             std::string_view request_id) const;

  // On the connection's I/O thread, before the request goes to a pool: the
  // answer to a GET or HEAD of /v2/jobs whose page is in the list cache,
  // when the token is one the authenticator remembers and the store tells
  // its version without a network round trip. That is what most polls are,
  // and two thread hand-offs cost more than serving the kept page.
  // nullopt otherwise, and for anything that would be an error: the request
  // then goes to the read pool as usual, and Handle answers it the same.
  std::optional<Response> AnswerFromListCache(const Request& request,
                                              std::string_view request_id) const;

  // What StartPostJob's callback gets: the job created, or the refusal
  // already made into its response, on the thread that saw the error. An
  // exception object never crosses threads here: ThreadSanitizer cannot
  // see libstdc++'s (uninstrumented) reference count of a shared
  // exception_ptr, and reports its last release on another thread as a race.
  struct PostedJob {
    std::optional<Response> refusal;  // complete, with X-Request-Id
    CreateJobResult result;           // when refusal is empty
  };
  using PostedDone = std::function<void(PostedJob)>;

  // On the connection's I/O thread: starts POST /v2/jobs without a pool
  // thread when the store creates jobs without waiting
  // (JobService::CreatesWithoutWaiting) and the token is one the
  // authenticator remembers. A pool thread would only wait for the group
  // commit; 64 of them parked for 64 clients cost a wake-up each way
  // (bench/RESULTS.md). Returns false, having started nothing, otherwise:
  // the request then goes to the write pool and Handle answers it.
  // When true, `done` is called exactly once, on any thread (the store's,
  // or this one before returning for a request refused at once); pass what
  // it got to FinishPostJob, on a thread that may format a response.
  bool StartPostJob(const Request& request, std::string_view request_id, PostedDone done) const;
  // The response Handle would have given for the request StartPostJob
  // started, from what `done` got.
  Response FinishPostJob(std::string_view request_id, PostedJob posted) const;

  const std::string& public_url() const { return public_url_; }

  // Every route template (e.g. /v2/jobs/{id}) with the methods it handles
  // itself (HEAD falls back to GET and is not listed unless handled), in
  // the order they are matched: what docs/openapi.json must describe.
  struct RouteMethods {
    std::string path;
    std::vector<http::verb> methods;
  };
  std::vector<RouteMethods> Routes() const;

 private:
  struct MethodHandler {
    http::verb method;
    Handler handler;
  };
  struct Route {
    std::string_view name;                // the template, e.g. /v2/jobs/{id}
    std::vector<std::string_view> parts;  // "{id}", "{token}.csv" or literal
    std::vector<MethodHandler> methods;
  };

  Response Dispatch(const Request& request, std::string_view request_id,
                    std::string& route_name) const;
  // The bearer token of the Authorization header, trimmed; nullopt when it
  // has none.
  static std::optional<std::string_view> BearerToken(const Request& request);
  // The client_id of the request's bearer token, nullopt when it has none
  // that is valid.
  std::optional<std::string> AuthorizedClient(const Request& request) const;
  // On /v2 paths: the client_id of the request's valid token, or throws the
  // 401 of docs/errors.md; elsewhere nullopt.
  std::optional<std::string> CheckToken(const Request& request, std::string_view path) const;

  ApiServices services_;
  // Shared by every thread that handles requests; locks inside.
  mutable ListCache list_cache_;
  std::string public_url_;
  std::vector<Route> routes_;
};

}  // namespace jobsd::api
