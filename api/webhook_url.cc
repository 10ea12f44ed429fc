#include "api/webhook_url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace jobsd::api {
namespace {

std::optional<WebhookUrl> Refuse(std::string* problem, std::string why) {
  if (problem) *problem = std::move(why);
  return std::nullopt;
}

std::optional<std::uint16_t> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string WebhookUrl::HostHeader() const {
  std::string header = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) header += ":" + std::to_string(port);
  return header;
}

std::optional<WebhookUrl> ParseWebhookUrl(std::string_view text, std::string* problem) {
  namespace urls = boost::urls;
  if (text.size() > kMaxWebhookUrlBytes) {
    return Refuse(problem, "longer than " + std::to_string(kMaxWebhookUrlBytes) + " bytes");
  }
  // parse_uri, not parse_absolute_uri: a fragment gets its own refusal.
  auto parsed = urls::parse_uri(text);
  if (!parsed) return Refuse(problem, "not an absolute URL");
  const urls::url_view url = *parsed;
  WebhookUrl out;
  if (url.scheme_id() == urls::scheme::https) {
    out.tls = true;
  } else if (url.scheme_id() != urls::scheme::http) {
    return Refuse(problem, "the scheme must be http or https");
  }
  if (!url.has_authority()) return Refuse(problem, "no host");
  if (url.has_userinfo())
    return Refuse(problem, "user information (user:password@) is not allowed");
  switch (url.host_type()) {
    case urls::host_type::name: {
      const std::string_view encoded = url.encoded_host();
      if (encoded.empty()) return Refuse(problem, "no host");
      if (encoded.find('%') != std::string_view::npos) {
        return Refuse(problem, "the host name may not be percent-encoded");
      }
      // A DNS name: letters, digits, '-', '_' and '.'. RFC 3986 lets a
      // reg-name hold sub-delims ('*', '!', '$', ...) that no resolver
      // takes.
      for (const char c : encoded) {
        const bool name_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!name_char) {
          return Refuse(problem, "the host name may hold only letters, digits, '-', '_' and '.'");
        }
      }
      out.host = std::string(encoded);
      break;
    }
    case urls::host_type::ipv4:
      out.host = url.host_ipv4_address().to_string();
      out.host_is_ip = true;
      break;
    case urls::host_type::ipv6:
      out.host = url.host_ipv6_address().to_string();
      out.host_is_ip = true;
      break;
    case urls::host_type::ipvfuture:
    case urls::host_type::none:
      return Refuse(problem, "the host must be a name, an IPv4 or an IPv6 address");
  }
  if (url.has_port()) {
    std::optional<std::uint16_t> port = ParsePort(url.port());
    if (!port) return Refuse(problem, "the port must be a number from 1 to 65535");
    out.port = *port;
  } else {
    out.port = out.tls ? 443 : 80;
  }
  if (url.has_fragment()) return Refuse(problem, "a fragment (#...) is not allowed");
  // Boost.URL reads "http://127.0.0.1*9000/hook" as the IPv4 host and a
  // path "*9000/hook": a path that does not start with '/' is refused.
  if (!url.encoded_path().empty() && url.encoded_path().front() != '/') {
    return Refuse(problem, "the path must start with /");
  }
  out.target = url.encoded_path().empty() ? "/" : std::string(url.encoded_path());
  if (url.has_query()) out.target += "?" + std::string(url.encoded_query());
  return out;
}

}  // namespace jobsd::api
