// Reads one request out of a connection's buffered bytes with Beast's
// parser, and adds the checks of RFC 9112 that Beast leaves out, so that one
// message can never be read as two (request smuggling) nor wait forever for
// a line end that will not come. Knows nothing of sockets: the session feeds
// it what it reads, the fuzzer feeds it bytes (fuzz/http_framing_fuzz.cc).
//
// Rejected (400, and the connection must be closed, since where the next
// request starts is no longer known):
//  - a Transfer-Encoding that is not exactly one `chunked` (gzip, identity,
//    `chunked, identity`, empty, repeated, with Content-Length, or in an
//    HTTP/1.0 request); Beast would read such a body as empty and the bytes
//    after the header as the next request (RFC 9112 section 6.1, 6.3);
//  - a folded header line (obs-fold, section 5.2) and a line that ends in a
//    bare LF (section 2.2), including chunk-size and trailer lines;
//  - a missing Host in HTTP/1.1, or more than one Host (section 3.2);
//  - more than one Authorization (which one would be checked is unclear);
//  - trailer fields after a chunked body: Beast adds them to the header
//    fields, where they would pass for headers that were never checked.
// Beast itself rejects: whitespace before a header's colon, bad header
// names, Content-Lengths that differ, a bad chunk size.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/errors.h"
#include "api/http_types.h"

namespace jobsd::api {

// Why a request was not read whole: the answer to send before closing.
struct RequestFailure {
  ErrorCode code = ErrorCode::kBadRequest;
  std::string detail;
};

class RequestReader {
 public:
  enum class Step {
    kNeedMore,  // read more bytes into the buffer and call again
    kDone,      // this part of the request is read (and passed the checks)
    kFailed,    // answer failure() and close the connection
  };

  RequestReader(std::size_t header_limit, std::uint64_t body_limit);

  // Parses the header from `buffer`, consuming the bytes it takes (all of
  // them belong to the header); kDone when it is read and acceptable
  // (header() then holds it).
  Step ParseHeader(boost::beast::flat_buffer& buffer);
  // After ParseHeader: parses the body from `buffer`, consuming its bytes;
  // kDone once the whole message is read. The bytes left in `buffer` belong
  // to the next request.
  Step ParseBody(boost::beast::flat_buffer& buffer);

  const Request& header() const { return parser_.get(); }
  Request Release() { return parser_.release(); }
  const RequestFailure& failure() const { return failure_; }

 private:
  Step Fail(ErrorCode code, std::string detail);
  Step FailParse(const boost::system::error_code& ec);

  http::request_parser<http::string_body> parser_;
  std::size_t header_limit_;
  std::string raw_header_;         // the header's bytes taken so far
  std::size_t header_fields_ = 0;  // how many fields the header had
  std::uint64_t body_limit_;
  RequestFailure failure_;
};

// Why RFC 9112 tells a server to reject a request with this header (400 and
// close), or nullopt. `raw` is the header as received, request line through
// the empty line that ends it.
std::optional<std::string> FramingProblem(const Request& header, std::string_view raw);

// True when `bytes` holds a LF that no CR precedes.
bool HasBareLineFeed(std::string_view bytes);

}  // namespace jobsd::api
