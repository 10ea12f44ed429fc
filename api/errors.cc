#include "api/errors.h"

#include <boost/json/serialize.hpp>
#include <cstdio>

#include "engine/job_service.h"

namespace jobsd::api {

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
  response.body = boost::json::serialize(body);
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
  } catch (const IdempotencyConflict& e) {
    return ErrorResponse(ErrorCode::kConflict, e.what(), request_id);
  } catch (const InvalidRequest& e) {
    boost::json::object meta;
    if (!e.reason().empty()) meta["reason"] = e.reason();
    return ErrorResponse(ErrorCode::kBadRequest, e.what(), request_id, meta);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error request_id=%.*s internal error: %s\n",
                 static_cast<int>(request_id.size()), request_id.data(), e.what());
  } catch (...) {
    std::fprintf(stderr, "error request_id=%.*s internal error: unknown exception\n",
                 static_cast<int>(request_id.size()), request_id.data());
  }
  return ErrorResponse(ErrorCode::kInternal, kInternalDetail, request_id);
}

}  // namespace jobsd::api
