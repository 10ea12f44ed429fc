// Fuzzes HTTP/1.1 framing: raw bytes of a connection go through
// api::RequestReader as the session feeds it (header, then body, then the
// next request on the same connection), with no socket.
//
// Input: the first byte picks how the bytes arrive (1 to 64 at a time, or
// all at once); the rest is what the client sends.
//
// Properties, beyond "does not crash":
//  - how the bytes arrive changes nothing: the same requests are accepted,
//    each of the same length, and the connection ends the same way (but
//    for a request that is incomplete: see SameFraming);
//  - a rejected request ends the connection: nothing after it is read as a
//    request, so one ambiguous message never gets two answers;
//  - every accepted request has an unambiguous header, checked here on its
//    raw text, independently of Beast and of RequestReader: exactly one
//    Host (HTTP/1.1), at most one Authorization, no Transfer-Encoding but a
//    single `chunked` (without Content-Length, HTTP/1.1 only), no folded
//    line, no bare LF;
//  - a rejection is 400, 413, 414 or 431, with a detail.
#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "api/request_reader.h"

namespace {

using jobsd::api::ErrorCode;
using jobsd::api::RequestReader;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr int kMaxRequests = 32;

[[noreturn]] void Violation(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "http_framing_fuzz: %.*s\n%.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void Check(bool ok, std::string_view what, std::string_view detail) {
  if (!ok) Violation(what, detail);
}

struct Outcome {
  std::vector<std::size_t> accepted;  // the length of each accepted request
  bool rejected = false;              // the connection ended with an error answer
  bool waiting = false;               // the last request is incomplete
};

// Beast rejects some malformed headers before they are complete when it
// sees enough of them at once, and waits for the end when they come in
// pieces: a rejection may stand against waiting, nothing else may differ.
bool SameFraming(const Outcome& a, const Outcome& b) {
  if (a.accepted != b.accepted) return false;
  if (a.rejected == b.rejected && a.waiting == b.waiting) return true;
  return (a.rejected && b.waiting) || (a.waiting && b.rejected);
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The oracle: reads the raw header of an accepted request line by line.
void CheckAcceptedHeader(std::string_view raw, unsigned version) {
  const std::string shown(raw.substr(0, 2000));
  while (raw.starts_with("\r\n")) raw.remove_prefix(2);  // empty lines before a request
  for (std::size_t at = 0; at < raw.size(); ++at) {
    if (raw[at] != '\n') continue;
    Check(at > 0 && raw[at - 1] == '\r', "accepted a bare LF", shown);
    if (at + 1 < raw.size()) {
      Check(raw[at + 1] != ' ' && raw[at + 1] != '\t', "accepted a folded line", shown);
    }
  }
  int hosts = 0, authorizations = 0, encodings = 0, lengths = 0;
  std::string_view encoding;
  std::string_view rest = raw.substr(raw.find("\r\n") + 2);
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    if (boost::beast::iequals(name, "host")) ++hosts;
    if (boost::beast::iequals(name, "authorization")) ++authorizations;
    if (boost::beast::iequals(name, "content-length")) ++lengths;
    if (boost::beast::iequals(name, "transfer-encoding")) {
      ++encodings;
      encoding = Trim(line.substr(colon + 1));
    }
  }
  Check(hosts <= 1 && (version < 11 || hosts == 1), "accepted a missing or repeated Host", shown);
  Check(authorizations <= 1, "accepted a repeated Authorization", shown);
  if (encodings > 0) {
    Check(encodings == 1 && version >= 11 && lengths == 0 &&
              boost::beast::iequals(encoding, "chunked"),
          "accepted an ambiguous Transfer-Encoding", shown);
  }
}

// Feeds `stream` to requests read one after another, `piece` bytes at a
// time (0: all at once), as a session does.
Outcome Serve(std::string_view stream, std::size_t piece) {
  Outcome outcome;
  boost::beast::flat_buffer buffer;
  std::size_t sent = 0;  // bytes of `stream` put into the buffer
  auto send_more = [&] {
    if (sent == stream.size()) return false;
    const std::size_t n = piece == 0 ? stream.size() - sent : std::min(piece, stream.size() - sent);
    auto space = buffer.prepare(n);
    std::memcpy(space.data(), stream.data() + sent, n);
    buffer.commit(n);
    sent += n;
    return true;
  };
  auto read = [&](RequestReader& reader,
                  RequestReader::Step (RequestReader::*step)(boost::beast::flat_buffer&)) {
    for (;;) {
      const RequestReader::Step result = (reader.*step)(buffer);
      if (result != RequestReader::Step::kNeedMore) return result;
      if (!send_more()) return result;  // the client has nothing more to say
    }
  };

  for (int i = 0; i < kMaxRequests; ++i) {
    const std::size_t start = sent - buffer.size();
    RequestReader reader(kHeaderLimit, kBodyLimit);
    RequestReader::Step step = read(reader, &RequestReader::ParseHeader);
    if (step == RequestReader::Step::kDone) {
      const std::size_t header_end = sent - buffer.size();
      CheckAcceptedHeader(stream.substr(start, header_end - start), reader.header().version());
      step = read(reader, &RequestReader::ParseBody);
    }
    if (step == RequestReader::Step::kNeedMore) {
      outcome.waiting = true;  // until the read timeout
      return outcome;
    }
    if (step == RequestReader::Step::kFailed) {
      const ErrorCode code = reader.failure().code;
      Check(code == ErrorCode::kBadRequest || code == ErrorCode::kPayloadTooLarge ||
                code == ErrorCode::kUriTooLong || code == ErrorCode::kHeadersTooLarge,
            "a rejection that is not 400, 413, 414 or 431", reader.failure().detail);
      Check(!reader.failure().detail.empty(), "a rejection without a detail", "");
      outcome.rejected = true;
      return outcome;  // the session closes: nothing after it is read
    }
    const std::size_t end = sent - buffer.size();
    Check(end > start, "a request of no bytes", "");
    outcome.accepted.push_back(end - start);
    if (!reader.header().keep_alive()) return outcome;
  }
  return outcome;
}

std::string Describe(const Outcome& outcome) {
  std::string text = "accepted:";
  for (std::size_t length : outcome.accepted) text += " " + std::to_string(length);
  return text + (outcome.rejected ? ", then rejected" : "") +
         (outcome.waiting ? ", then waiting" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] % 65;  // 0: all at once
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const Outcome whole = Serve(stream, 0);
  if (piece != 0) {
    const Outcome pieces = Serve(stream, piece);
    Check(SameFraming(whole, pieces), "the outcome depends on how the bytes arrive",
          "all at once: " + Describe(whole) + "\n" + std::to_string(piece) +
              " at a time: " + Describe(pieces));
  }
  return 0;
}
