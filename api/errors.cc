#include "api/errors.h"

#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

#include "api/json_text.h"
#include "engine/limits.h"
#include "engine/log.h"
#include "engine/queue/job_service.h"

namespace jobsd::api {
namespace {

// boost::json::serialize copies the bytes of strings as they are, so request
// text echoed back (a filter quoted in meta.reason, say) could make a body
// that is not JSON. Everything serialize writes outside strings is ASCII, so
// replacing each ill-formed byte with U+FFFD afterwards touches string
// contents only.
std::string WithValidUtf8(std::string text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t length = Utf8SequenceLength(std::string_view(text).substr(at));
    if (length == 0) {
      text.replace(at, 1, "\xEF\xBF\xBD");
      at += 3;
    } else {
      at += length;
    }
  }
  return text;
}

// The 503 detail for a store that could not take a write: what is wrong,
// in words, never the store's own message (it names files and SQL).
std::string StoreUnavailableDetail(StoreFault fault) {
  switch (fault) {
    case StoreFault::kBusy:
      return std::string(kStoreBusyDetail);
    case StoreFault::kDiskFull:
      return "The disk is full: the job store cannot grow. Nothing was changed; retry once space "
             "has been freed.";
    case StoreFault::kMoved:
      return "The job store file was removed or replaced while the service was running. Nothing "
             "was changed; retry once the service has been restarted.";
    default:
      break;
  }
  std::string detail(DescribeStoreFault(fault));
  detail[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(detail[0])));
  return detail + ". Nothing was changed; retry the request shortly.";
}

}  // namespace

http::status StatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return http::status::bad_request;
    case ErrorCode::kInvalidToken:
    case ErrorCode::kInvalidClient:
      return http::status::unauthorized;
    case ErrorCode::kNotFound:
      return http::status::not_found;
    case ErrorCode::kMethodNotAllowed:
      return http::status::method_not_allowed;
    case ErrorCode::kConflict:
      return http::status::conflict;
    case ErrorCode::kPayloadTooLarge:
      return http::status::payload_too_large;
    case ErrorCode::kRangeNotSatisfiable:
      return http::status::range_not_satisfiable;
    case ErrorCode::kUnprocessable:
      return http::status::unprocessable_entity;
    case ErrorCode::kUriTooLong:
      return http::status::uri_too_long;
    case ErrorCode::kTooManyRequests:
      return http::status::too_many_requests;
    case ErrorCode::kHeadersTooLarge:
      return http::status::request_header_fields_too_large;
    case ErrorCode::kInternal:
      return http::status::internal_server_error;
    case ErrorCode::kUnavailable:
      return http::status::service_unavailable;
  }
  return http::status::internal_server_error;
}

std::string_view TitleOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "Bad Request";
    case ErrorCode::kInvalidToken:
      return kInvalidTokenTitle;
    case ErrorCode::kInvalidClient:
      return "Unauthorized";
    case ErrorCode::kNotFound:
      return "Resource Not Found";
    case ErrorCode::kMethodNotAllowed:
      return "Method Not Allowed";
    case ErrorCode::kConflict:
      return "Conflict";
    case ErrorCode::kPayloadTooLarge:
      return "Payload Too Large";
    case ErrorCode::kRangeNotSatisfiable:
      return "Range Not Satisfiable";
    case ErrorCode::kUnprocessable:
      return "Unprocessable Entity";
    case ErrorCode::kUriTooLong:
      return "URI Too Long";
    case ErrorCode::kTooManyRequests:
      return "Too Many Requests";
    case ErrorCode::kHeadersTooLarge:
      return "Request Header Fields Too Large";
    case ErrorCode::kInternal:
      return "Internal Server Error";
    case ErrorCode::kUnavailable:
      return "Service Unavailable";
  }
  return "Internal Server Error";
}

Response JsonResponse(http::status status, const boost::json::value& body) {
  Response response;
  response.status = status;
  response.headers.set(http::field::content_type, "application/json");
  response.body = WithValidUtf8(boost::json::serialize(body));
  return response;
}

Response JsonTextResponse(http::status status, std::string body) {
  Response response;
  response.status = status;
  response.headers.set(http::field::content_type, "application/json");
  response.body = std::move(body);
  return response;
}

Response JsonTextResponse(http::status status, std::shared_ptr<const std::string> body) {
  Response response;
  response.status = status;
  response.headers.set(http::field::content_type, "application/json");
  response.shared_body = std::move(body);
  return response;
}

Response ErrorResponse(ErrorCode code, std::string_view detail, std::string_view request_id,
                       const boost::json::object& meta) {
  boost::json::object error;
  error["status"] = static_cast<int>(StatusOf(code));
  error["title"] = TitleOf(code);
  error["detail"] = detail;
  error["request_id"] = request_id;
  if (!meta.empty()) error["meta"] = meta;
  boost::json::object body;
  body["errors"] = boost::json::array{std::move(error)};
  return JsonResponse(StatusOf(code), body);
}

Response ErrorFromCurrentException(std::string_view request_id) {
  try {
    throw;
  } catch (const ApiError& e) {
    return ErrorResponse(e.code(), e.what(), request_id, e.meta());
  } catch (const LimitReached& e) {
    Response response = ErrorResponse(ErrorCode::kTooManyRequests, e.what(), request_id);
    response.headers.set(http::field::retry_after, std::to_string(e.retry_after_seconds()));
    return response;
  } catch (const IdempotencyConflict& e) {
    return ErrorResponse(ErrorCode::kConflict, e.what(), request_id);
  } catch (const InvalidRequest& e) {
    boost::json::object meta;
    if (!e.reason().empty()) meta["reason"] = e.reason();
    return ErrorResponse(ErrorCode::kBadRequest, e.what(), request_id, meta);
  } catch (const StoreError& e) {
    LogError(std::string("store error: ") + e.what(), {{"request_id", request_id}});
    if (!e.transient()) return ErrorResponse(ErrorCode::kInternal, kInternalDetail, request_id);
    // The store was busy past the busy timeout (another process, e.g. an
    // orders import, held its write lock), hit an I/O error or a full disk,
    // could not be written or was deleted: nothing was written, and the same request may well pass
    // in a moment. 503 + Retry-After says exactly that to clients and proxies, where a 500 would
    // read as a bug.
    Response response =
        ErrorResponse(ErrorCode::kUnavailable, StoreUnavailableDetail(e.fault()), request_id);
    response.headers.set(http::field::retry_after, "1");
    return response;
  } catch (const std::exception& e) {
    LogError(std::string("internal error: ") + e.what(), {{"request_id", request_id}});
  } catch (...) {
    LogError("internal error: unknown exception", {{"request_id", request_id}});
  }
  return ErrorResponse(ErrorCode::kInternal, kInternalDetail, request_id);
}

}  // namespace jobsd::api
