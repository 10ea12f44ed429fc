// The one error boundary of the API (docs/errors.md). Every error body is
// {"errors":[{"status","title","detail","request_id"[,"meta"]}]} and is
// built here, with the fixed titles and details clients rely on.
//
// Handlers throw ApiError for outcomes they decide; engine exceptions are
// mapped by ErrorFromCurrentException. What the client sees is kept apart
// from what is logged: internals of a 500 go to stderr only.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "api/http_types.h"

namespace jobsd::api {

enum class ErrorCode {
  kBadRequest,           // 400 Bad Request
  kInvalidToken,         // 401 Unable to validate access token
  kInvalidClient,        // 401 Unauthorized (wrong client credentials)
  kNotFound,             // 404 Resource Not Found
  kMethodNotAllowed,     // 405 Method Not Allowed
  kConflict,             // 409 Conflict
  kPayloadTooLarge,      // 413 Payload Too Large
  kRangeNotSatisfiable,  // 416 Range Not Satisfiable
  kUnprocessable,        // 422 Unprocessable Entity
  kUriTooLong,           // 414 URI Too Long
  kTooManyRequests,      // 429 Too Many Requests (a limit of the README's "Security and limits")
  kHeadersTooLarge,      // 431 Request Header Fields Too Large
  kInternal,             // 500 Internal Server Error
  kUnavailable,          // 503 Service Unavailable
};

inline constexpr std::string_view kNotFoundDetail =
    "The resource you are requesting does not exist";
inline constexpr std::string_view kInternalDetail =
    "There was an internal server error, you can report with your request id.";
// 503 for a store that stayed locked past the busy timeout (or a transient
// I/O error): nothing was written, retrying is safe.
inline constexpr std::string_view kStoreBusyDetail =
    "The job store is busy (another process holds its write lock, e.g. an orders import); "
    "nothing was changed, retry the request shortly.";
inline constexpr std::string_view kInvalidTokenTitle = "Unable to validate access token";

http::status StatusOf(ErrorCode code);
std::string_view TitleOf(ErrorCode code);

// An outcome a handler decided on; `detail` is safe to show the client.
class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string detail, boost::json::object meta = {})
      : std::runtime_error(std::move(detail)), code_(code), meta_(std::move(meta)) {}
  ErrorCode code() const { return code_; }
  const boost::json::object& meta() const { return meta_; }

 private:
  ErrorCode code_;
  boost::json::object meta_;
};

Response ErrorResponse(ErrorCode code, std::string_view detail, std::string_view request_id,
                       const boost::json::object& meta = {});

// Call inside a catch block: maps the exception in flight to its response
// (ApiError, InvalidRequest -> 400, IdempotencyConflict -> 409,
// LimitReached -> 429 with Retry-After, a transient
// StoreError -> 503 with Retry-After, anything else -> 500; store errors and
// the unexpected are logged to stderr with the request id).
Response ErrorFromCurrentException(std::string_view request_id);

// A JSON body with Content-Type application/json.
Response JsonResponse(http::status status, const boost::json::value& body);
// The same for a body already written as JSON text (api/json_text.h),
// which must be well-formed UTF-8: it is sent as it is.
Response JsonTextResponse(http::status status, std::string body);
// The same for a body kept by a cache: shared, not copied.
Response JsonTextResponse(http::status status, std::shared_ptr<const std::string> body);

}  // namespace jobsd::api
