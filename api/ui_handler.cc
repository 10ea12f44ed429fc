// GET / (a redirect to the dashboard) and GET /ui/, /ui/{path}: the
// embedded dashboard (api/ui_assets.h). No token: the files hold no data;
// the dashboard signs in itself and sends its token on /v2/* only.
#include "api/errors.h"
#include "api/handlers.h"
#include "api/ui_assets.h"
#include "api/ui_headers.h"

namespace jobsd::api {
namespace {

// No inline script or style, nothing from another origin; the API on this
// origin is all the dashboard talks to.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

void SetSecurityHeaders(Response& response) {
  response.headers.set("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Referrer-Policy", "no-referrer");
}

Response ServeAsset(const HandlerContext& context, std::string_view name) {
  const UiAsset* asset = FindUiAsset(name);
  if (asset == nullptr) throw ApiError(ErrorCode::kNotFound, std::string(kNotFoundDetail));
  const bool gzip = AcceptsGzip(context.request[http::field::accept_encoding]);
  const UiRepresentation& chosen = gzip ? asset->gzip : asset->identity;

  Response response;
  SetSecurityHeaders(response);
  // The names are not content-hashed: revalidate every time (a 304 is cheap).
  response.headers.set(http::field::cache_control, "no-cache");
  response.headers.set(http::field::vary, "Accept-Encoding");
  response.headers.set(http::field::etag, chosen.etag);
  const auto if_none_match = context.request.find(http::field::if_none_match);
  if (if_none_match != context.request.end() &&
      IfNoneMatchHits(if_none_match->value(), chosen.etag)) {
    response.status = http::status::not_modified;
    return response;
  }
  response.headers.set(http::field::content_type, asset->content_type);
  if (gzip) response.headers.set(http::field::content_encoding, "gzip");
  response.body = chosen.bytes;
  return response;
}

}  // namespace

Response GetRoot(const HandlerContext&) {
  Response response;
  response.status = http::status::found;
  SetSecurityHeaders(response);
  response.headers.set(http::field::location, "/ui/");
  return response;
}

Response GetUiIndex(const HandlerContext& context) { return ServeAsset(context, "index.html"); }

Response GetUiFile(const HandlerContext& context) {
  return ServeAsset(context, context.path_param);
}

}  // namespace jobsd::api
