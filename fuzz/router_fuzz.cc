// Fuzzes the whole request path through the Router (api/router.h) without a
// network, against the real back end of fuzz/api_fuzz_support.h.
//
// Input, as text: "METHOD TARGET" on the first line, then "Name: value"
// header lines up to an empty line, then the body. "$TOKEN" in a header
// value becomes a valid access token, so the fuzzer gets past the token
// check. What the session's HTTP parser would never hand over (a header name
// that is not a token, CR/LF/NUL in a value, a space in the target) is
// dropped or mended, so every decoded Request is one a client could send.
//
// Properties, beyond "does not crash":
//  - never 500 (hostile input is the client's problem, never an internal
//    failure); every response carries X-Request-Id and every error the
//    envelope of docs/errors.md;
//  - on /v2/* without an Authorization header, always 401;
//  - 405 always comes with an Allow header;
//  - no file is ever served: no job of this world has succeeded, so no
//    path trick may reach a file;
//  - an event stream (GET /v2/jobs/{id}/events) only ever starts with 200.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/request_target.h"
#include "engine/random.h"
#include "fuzz/api_fuzz_support.h"

namespace {

using jobsd::api::Request;
using jobsd::api::Response;
namespace http = jobsd::api::http;
using jobsd::fuzz::Check;
using jobsd::fuzz::World;

constexpr std::string_view kFuzzer = "router_fuzz";

bool IsTokenChar(char c) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Cuts the first line (without its '\n') off `rest`.
std::string_view NextLine(std::string_view& rest) {
  const std::size_t end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

Request Decode(std::string_view input) {
  Request request;
  request.version(11);
  std::string_view request_line = Trim(NextLine(input));
  const std::size_t space = request_line.find(' ');
  const std::string_view method = request_line.substr(0, space);
  request.method_string(IsToken(method) ? method : "GET");

  std::string target;
  if (space != std::string_view::npos) {
    for (char c : Trim(request_line.substr(space + 1))) {
      if (static_cast<unsigned char>(c) > 0x20 && c != 0x7f) target += c;
    }
  }
  request.target(target.empty() ? "/" : target);

  while (!input.empty()) {
    const std::string_view line = NextLine(input);
    if (Trim(line).empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) continue;
    std::string value;
    for (char c : Trim(line.substr(colon + 1))) {
      if (c != '\r' && c != '\n' && c != '\0') value += c;
    }
    for (std::size_t at = value.find("$TOKEN"); at != std::string::npos;
         at = value.find("$TOKEN", at)) {
      value.replace(at, 6, World().token);
      at += World().token.size();
    }
    request.insert(line.substr(0, colon), value);
  }
  request.body().assign(input.data(), input.size());
  // Frame the body the way the session's parser hands it over: by its length,
  // whatever the method. prepare_payload() would throw on a TRACE with a body,
  // a request the parser accepts (the router then answers it).
  request.erase(http::field::transfer_encoding);
  request.erase(http::field::content_length);
  if (!request.body().empty()) request.content_length(request.body().size());
  return request;
}

bool UnderV2(std::string_view target) {
  const std::optional<jobsd::api::RequestTarget> parsed = jobsd::api::ParseRequestTarget(target);
  if (!parsed) return false;  // a 400 before the token check is fine
  return parsed->path == "/v2" || parsed->path.starts_with("/v2/");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Request request = Decode(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string request_id = jobsd::NewUuidV4();
  const Response response = World().router->Handle(request, request_id);
  jobsd::fuzz::CheckResponse(kFuzzer, response, request_id);

  const std::string summary =
      std::string(request.method_string()) + " " + std::string(request.target()) + " -> " +
      std::to_string(static_cast<unsigned>(response.status)) + " " + response.body;
  Check(response.status != http::status::internal_server_error, kFuzzer, "500", summary);
  if (request.find(http::field::authorization) == request.end() && UnderV2(request.target())) {
    Check(response.status == http::status::unauthorized, kFuzzer, "/v2 without a token, not 401",
          summary);
  }
  if (response.status == http::status::method_not_allowed) {
    auto allow = response.headers.find(http::field::allow);
    Check(allow != response.headers.end() && !allow->value().empty(), kFuzzer, "405 without Allow",
          summary);
  }
  Check(!response.file.has_value(), kFuzzer, "a file was served", summary);
  Check(!response.events.has_value() || response.status == http::status::ok, kFuzzer,
        "an event stream starts with something other than 200", summary);
  return 0;
}
