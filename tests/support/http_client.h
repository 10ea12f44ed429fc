// A small HTTP/1.1 client over a plain socket, for tests that talk to a real
// server: whole requests as given (so tests can send malformed bytes on
// purpose), responses read until the server closes or a timeout passes.
// Never hangs a test: every read and write has a timeout.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace jobsd::testing {

struct HttpResponse {
  bool complete = false;  // a whole response arrived (status line, headers, body)
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names; the last of repeated ones
  std::string body;                            // de-chunked when chunked
};

// What the server sent on one connection.
struct RawExchange {
  std::string bytes;       // everything received
  bool closed = false;     // the server closed the connection (EOF or reset)
  bool timed_out = false;  // nothing more arrived within the timeout, still open
};

// A blocking TCP socket connected to 127.0.0.1:`port` (sends time out
// after 10 s), or -1.
int ConnectLoopback(int port);

// Sends `request` as it is on a new connection to 127.0.0.1:`port`, then
// reads until the server closes the connection or sends nothing for
// `timeout`. With `half_close` the client shuts down its sending side after
// the request (like `nc -N`).
RawExchange SendRaw(int port, const std::string& request,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5),
                    bool half_close = false);

// The same with the request in `parts`, sent `pause` apart: a client whose
// bytes arrive in several packets, so that the server parses them in steps.
RawExchange SendRawInParts(int port, const std::vector<std::string>& parts,
                           std::chrono::milliseconds pause,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5),
                           bool half_close = false);

// Every complete response in `raw`, in order (a pipelined exchange may
// hold several). A trailing incomplete one is left out.
std::vector<HttpResponse> ParseResponses(const std::string& raw);
// The first response of `raw` (complete = false when there is none). Not
// for answers to HEAD, which announce a length but carry no body: read
// those from SendRaw.
HttpResponse ParseResponse(const std::string& raw);

// The response at the start of `raw` and, when it is complete, how many
// bytes it took (`used`). `head`: it answers a HEAD request.
HttpResponse ParseResponsePrefix(const std::string& raw, bool head, std::size_t& used);

// One request with Connection: close; `headers` are whole lines without
// CRLF ("Authorization: Bearer x"). A body gets its Content-Length.
HttpResponse Http(int port, const std::string& method, const std::string& target,
                  const std::vector<std::string>& headers = {}, const std::string& body = "");

// The path of an absolute URL (http://host:port/path -> /path).
std::string UrlPath(const std::string& url);

}  // namespace jobsd::testing
