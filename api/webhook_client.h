// The outbound side of completion webhooks (the README's "Completion webhooks"): one POST of
// a JSON body to an http:// or https:// URL, with Beast.
//
// - HTTPS goes through Asio's OpenSSL stream with the peer verified against
//   the system's trusted certificates (plus extra_ca_file when given), the
//   host name (or IP address) checked against the certificate, and SNI.
// - Timeouts: connecting gives up after connect_timeout, and the whole
//   attempt (resolve, connect, TLS, request, answer) after
//   response_timeout, whatever the server does (a hang, a slow drip).
// - Redirects are not followed: a 3xx is an answer like any non-2xx.
// - The answer's header may take max_header_bytes; up to max_body_bytes of
//   its body are read and dropped, the rest ignored.
// No server can crash the client: garbage, huge headers, a connection cut
// mid-way each end the attempt with an error text.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jobsd::api {

struct WebhookClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds response_timeout{10'000};
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // A PEM file of certificates trusted besides the system's (tests, or an
  // internal CA); "" for the system store alone.
  std::string extra_ca_file;
};

struct WebhookPost {
  std::string url;
  // Sent as given after Host, User-Agent, Content-Type: application/json,
  // Content-Length and Connection: close (the webhook-* headers).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct WebhookPostResult {
  std::optional<int> status;  // the answer's status code, once its header arrived
  // "" when the answer was 2xx; else why not, for `webhooks deliveries`:
  // "HTTP 500", "connect: Connection refused", "timed out after 10000 ms"...
  // Never holds a header value or the body sent.
  std::string error;
  std::chrono::nanoseconds duration{0};  // from the start to the end of the attempt

  bool delivered() const { return status && *status >= 200 && *status < 300; }
};

// Thread-safe: Post may be called from many threads at once; each call
// runs its own I/O to completion on the calling thread.
class WebhookClient {
 public:
  // Throws std::runtime_error when the TLS context cannot be set up (the
  // extra CA file unreadable).
  explicit WebhookClient(WebhookClientOptions options = {});
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // Blocks until the answer, an error or the timeout. Never throws for
  // what the network or the server does.
  WebhookPostResult Post(const WebhookPost& post) const;

 private:
  struct Tls;  // the OpenSSL context, kept out of this header
  WebhookClientOptions options_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace jobsd::api
