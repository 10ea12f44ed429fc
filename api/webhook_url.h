// The URLs webhooks are sent to (the README's "Completion webhooks"): absolute http:// or
// https:// URLs with a host, nothing more. Parsed once when an endpoint is
// added (the CLI refuses anything else) and again by the client on every
// attempt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobsd::api {

inline constexpr std::size_t kMaxWebhookUrlBytes = 2048;

struct WebhookUrl {
  bool tls = false;         // https
  std::string host;         // a name, an IPv4 address, or an IPv6 address without brackets
  bool host_is_ip = false;  // no SNI, the certificate must name the address
  std::uint16_t port = 0;   // the default of the scheme when none was given
  std::string target;       // path (at least "/") and query, percent-encoded as given

  // The Host header: the host (IPv6 in brackets) and a port other than the
  // scheme's default.
  std::string HostHeader() const;
};

// Accepts http and https URLs (the scheme in any case) with a host, an
// optional port from 1 to 65535, a path and a query. Refuses, saying why in
// `problem` when given: anything over kMaxWebhookUrlBytes, other schemes,
// relative URLs, user information (user:password@), an empty or
// percent-encoded host name, IPvFuture hosts, an empty or out-of-range
// port, and a fragment.
std::optional<WebhookUrl> ParseWebhookUrl(std::string_view text, std::string* problem);

}  // namespace jobsd::api
