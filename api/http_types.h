// The request and response values the router works with. A Response is a
// plain value (status, headers, body or a file slice) so that handlers can
// be tested without a socket; the session turns it into bytes on the wire.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/queue/artifact_store.h"

namespace jobsd::api {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;

// Bytes [offset, offset + length) of an open artifact, sent after the
// headers in chunks: a download is never loaded whole into memory. The
// artifact is opened by the handler, so one deleted after the lookup still
// streams.
struct FileSlice {
  std::shared_ptr<ArtifactReader> reader;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// GET /v2/jobs/{id}/events, once the job was found: the session answers
// with the stream's headers, sends `first` as event 1 and then follows the
// job (api/event_stream.h).
struct EventStreamStart {
  std::string job_id;
  std::string first;   // the job's document, as GET /v2/jobs/{id} answered it
  bool ended = false;  // the job is already success or failed: event 1 is the last
};

struct Response {
  http::status status = http::status::ok;
  http::fields headers;
  std::string body;                        // ignored when `file` or `shared_body` is set
  // A body shared with a cache (pages of GET /v2/jobs): sent as it is, with
  // no copy per request.
  std::shared_ptr<const std::string> shared_body;
  std::optional<FileSlice> file;           // Content-Length is set by the handler then
  std::optional<EventStreamStart> events;  // a stream follows the headers
  // The route template (e.g. /v2/jobs/{id}) for the access log and the
  // metrics; "unmatched" for unknown paths so raw paths never become labels.
  std::string route = "unmatched";

  std::string_view BodyText() const { return shared_body ? std::string_view(*shared_body) : body; }
};

}  // namespace jobsd::api
