// GET /healthz, GET /readyz, GET /metrics: no token, for probes and scrapers.
#include "api/errors.h"
#include "api/handlers.h"
#include "api/openapi_document.h"

namespace jobsd::api {

Response GetHealth(const HandlerContext&) {
  return JsonResponse(http::status::ok, {{"status", "ok"}});
}

Response GetReady(const HandlerContext& context) {
  bool ready = false;
  try {
    ready = context.services.ready && context.services.ready();
  } catch (const std::exception&) {
    ready = false;  // a store that throws is not ready; that is the answer
  }
  if (!ready) {
    std::string reason;
    try {
      if (context.services.not_ready_reason) reason = context.services.not_ready_reason();
    } catch (const std::exception&) {
      reason.clear();
    }
    throw ApiError(ErrorCode::kUnavailable, reason.empty() ? "The service is not ready"
                                                           : "The service is not ready: " + reason);
  }
  return JsonResponse(http::status::ok, {{"status", "ready"}});
}

Response GetMetrics(const HandlerContext& context) {
  Response response;
  response.headers.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  response.body = context.services.metrics.RenderPrometheus(context.services.jobs.CountByStatus());
  return response;
}

Response GetOpenApi(const HandlerContext&) {
  return JsonTextResponse(http::status::ok, std::string(OpenApiDocument()));
}

}  // namespace jobsd::api
