#include "api/request_reader.h"

#include <boost/beast/core/string.hpp>
#include <iterator>

namespace jobsd::api {
namespace {

namespace beast = boost::beast;

constexpr std::size_t kLastChunkBytes = 5;  // "0\r\n\r\n"

std::string_view Text(const boost::beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.data().size()};
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A header line that starts with a space or tab continues the one before
// (obs-fold). The raw header ends with CRLF CRLF, so every LF but the last
// is followed by the next line's first byte.
bool HasFoldedLine(std::string_view raw) {
  for (std::size_t at = raw.find('\n'); at != std::string_view::npos && at + 1 < raw.size();
       at = raw.find('\n', at + 1)) {
    if (raw[at + 1] == ' ' || raw[at + 1] == '\t') return true;
  }
  return false;
}

std::optional<std::string> TransferEncodingProblem(const Request& header) {
  const std::size_t count = header.count(http::field::transfer_encoding);
  if (count == 0) return std::nullopt;
  if (header.version() < 11) {
    return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
  }
  if (count > 1) return "Transfer-Encoding may be given only once";
  if (header.count(http::field::content_length) > 0) {
    return "A request may not have both Transfer-Encoding and Content-Length";
  }
  const std::string_view value = TrimBlanks(header[http::field::transfer_encoding]);
  if (!beast::iequals(value, "chunked")) {
    // The value is shown between brackets; Beast let only visible
    // characters and blanks into it.
    return "Transfer-Encoding [" + std::string(value) +
           "] is not supported; the only transfer coding accepted is a single chunked";
  }
  return std::nullopt;
}

std::size_t FieldCount(const Request& request) {
  return static_cast<std::size_t>(std::distance(request.begin(), request.end()));
}

}  // namespace

bool HasBareLineFeed(std::string_view bytes) {
  for (std::size_t at = bytes.find('\n'); at != std::string_view::npos;
       at = bytes.find('\n', at + 1)) {
    if (at == 0 || bytes[at - 1] != '\r') return true;
  }
  return false;
}

std::optional<std::string> FramingProblem(const Request& header, std::string_view raw) {
  if (HasBareLineFeed(raw)) return "Every line of a request must end with CRLF, not a bare LF";
  if (HasFoldedLine(raw)) return "Header lines may not be folded (obs-fold)";
  if (auto problem = TransferEncodingProblem(header)) return problem;
  const std::size_t hosts = header.count(http::field::host);
  if (hosts > 1) return "The Host header may be given only once";
  if (hosts == 0 && header.version() >= 11) return "An HTTP/1.1 request needs a Host header";
  if (header.count(http::field::authorization) > 1) {
    return "The Authorization header may be given only once";
  }
  return std::nullopt;
}

RequestReader::RequestReader(std::size_t header_limit, std::uint64_t body_limit)
    : header_limit_(header_limit), body_limit_(body_limit) {
  parser_.header_limit(static_cast<std::uint32_t>(header_limit));
  parser_.body_limit(body_limit);
}

RequestReader::Step RequestReader::Fail(ErrorCode code, std::string detail) {
  failure_ = {code, std::move(detail)};
  return Step::kFailed;
}

RequestReader::Step RequestReader::FailParse(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit) {
    // Beast counts the request line in the header limit and fills in the
    // target once that line is parsed; without a target, the request line
    // alone was too long, which RFC 9112 section 3 answers with 414.
    if (parser_.get().target().empty()) {
      return Fail(ErrorCode::kUriTooLong, "The request line is too long");
    }
    return Fail(ErrorCode::kHeadersTooLarge, "The request headers are too large");
  }
  if (ec == http::error::body_limit) {
    return Fail(ErrorCode::kPayloadTooLarge,
                "The request body is larger than " + std::to_string(body_limit_) + " bytes");
  }
  return Fail(ErrorCode::kBadRequest, "The request is not valid HTTP/1.1: " + ec.message());
}

RequestReader::Step RequestReader::ParseHeader(beast::flat_buffer& buffer) {
  // RFC 9112 section 2.2: empty lines before a request line are skipped
  // (some clients send a CRLF after a body), where Beast calls it a bad method.
  while (raw_header_.empty() && Text(buffer).starts_with("\r\n")) buffer.consume(2);
  if (buffer.size() == 0 || Text(buffer) == "\r") return Step::kNeedMore;
  boost::system::error_code ec;
  // Beast may take the request line before the rest of the header has
  // arrived; those bytes are kept to be checked once the header is whole.
  const std::size_t used = parser_.put(buffer.data(), ec);
  if (ec == http::error::need_more) {
    raw_header_.append(Text(buffer).substr(0, used));
    buffer.consume(used);
    // Beast waits for CRLF CRLF, which never comes when the client ends its
    // lines with a bare LF: answer now instead of at the read timeout.
    if (HasBareLineFeed(raw_header_ + std::string(Text(buffer)))) {
      return Fail(ErrorCode::kBadRequest,
                  "Every line of a request must end with CRLF, not a bare LF");
    }
    return Step::kNeedMore;
  }
  if (ec) return FailParse(ec);
  // Mostly the header arrives in one piece and is checked where it lies.
  std::string_view raw = Text(buffer).substr(0, used);
  if (!raw_header_.empty()) {
    raw_header_.append(raw);
    raw = raw_header_;
  }
  std::optional<std::string> problem = FramingProblem(parser_.get(), raw);
  buffer.consume(used);
  raw_header_.clear();
  if (problem) return Fail(ErrorCode::kBadRequest, *std::move(problem));
  header_fields_ = FieldCount(parser_.get());
  return Step::kDone;
}

RequestReader::Step RequestReader::ParseBody(beast::flat_buffer& buffer) {
  while (!parser_.is_done()) {
    if (buffer.size() == 0) return Step::kNeedMore;
    // Beast asserts that a last chunk it has begun ("0\r\n", waiting for
    // the end of the trailer) comes back with at least 5 bytes; a client
    // that sends it a byte at a time would abort a build with assertions.
    // No chunked message can end in fewer than 5 bytes ("0\r\n\r\n"), so
    // waiting for them never stalls one.
    if (parser_.chunked() && buffer.size() < kLastChunkBytes) return Step::kNeedMore;
    boost::system::error_code ec;
    const std::size_t used = parser_.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec && ec != http::error::need_more) return FailParse(ec);
    if (ec == http::error::need_more || used == 0) {
      // Chunk data is consumed as it arrives, so what is left of a chunked
      // body is a chunk-size or trailer line still waiting for its CRLF.
      if (parser_.chunked() && HasBareLineFeed(Text(buffer))) {
        return Fail(ErrorCode::kBadRequest,
                    "Every line of a chunked body must end with CRLF, not a bare LF");
      }
      // Nor may such a line grow without end while its CRLF is awaited.
      if (parser_.chunked() && buffer.size() > header_limit_) {
        return Fail(ErrorCode::kBadRequest, "A chunk-size or trailer line is too long");
      }
      return Step::kNeedMore;
    }
  }
  if (FieldCount(parser_.get()) != header_fields_) {
    return Fail(ErrorCode::kBadRequest, "Trailer fields after a chunked body are not accepted");
  }
  return Step::kDone;
}

}  // namespace jobsd::api
