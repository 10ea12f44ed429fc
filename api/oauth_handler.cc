// POST /oauth/access_token: the client_credentials grant (docs/jobs.md).
#include <optional>

#include "api/errors.h"
#include "api/handlers.h"

namespace jobsd::api {
namespace {

struct TokenForm {
  std::optional<std::string> grant_type, client_id, client_secret;
};

TokenForm ParseForm(std::string_view body) {
  std::optional<QueryParams> params = ParseQuery(body, /*plus_as_space=*/true);
  if (!params) throw ApiError(ErrorCode::kBadRequest, "Request body is not a valid form");
  TokenForm form;
  for (const auto& [key, value] : params->all()) {
    std::optional<std::string>* slot = key == "grant_type"      ? &form.grant_type
                                       : key == "client_id"     ? &form.client_id
                                       : key == "client_secret" ? &form.client_secret
                                                                : nullptr;
    if (slot == nullptr) continue;
    if (*slot) throw ApiError(ErrorCode::kBadRequest, key + " is given more than once");
    *slot = value;
  }
  return form;
}

}  // namespace

Response PostAccessToken(const HandlerContext& context) {
  if (!HasMediaType(context.request, "application/x-www-form-urlencoded")) {
    throw ApiError(ErrorCode::kBadRequest,
                   "Content-Type must be application/x-www-form-urlencoded");
  }
  const TokenForm form = ParseForm(context.request.body());
  if (!form.grant_type || form.grant_type->empty()) {
    throw ApiError(ErrorCode::kBadRequest, "grant_type is required");
  }
  if (*form.grant_type != "client_credentials") {
    throw ApiError(ErrorCode::kBadRequest, "grant_type must be client_credentials");
  }
  if (!form.client_id || form.client_id->empty()) {
    throw ApiError(ErrorCode::kBadRequest, "client_id is required");
  }
  if (!form.client_secret || form.client_secret->empty()) {
    throw ApiError(ErrorCode::kBadRequest, "client_secret is required");
  }
  std::optional<IssuedToken> token =
      context.services.auth.IssueToken(*form.client_id, *form.client_secret);
  if (!token) throw ApiError(ErrorCode::kInvalidClient, "The client credentials are not valid");

  Response response =
      JsonResponse(http::status::ok, {{"access_token", token->access_token},
                                      {"token_type", "Bearer"},
                                      {"expires_in", token->expires_in},
                                      {"expires", token->expires_at / kNanosPerSecond},
                                      {"identifier", "client_credentials"}});
  // RFC 6749 section 5.1: token responses must not be cached.
  response.headers.set(http::field::cache_control, "no-store");
  response.headers.set(http::field::pragma, "no-cache");
  return response;
}

}  // namespace jobsd::api
