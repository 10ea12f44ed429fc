#include "api/request_target.h"

namespace jobsd::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = IsAsciiAlpha(a[i]) ? static_cast<char>(a[i] | 0x20) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> OriginForm(std::string_view target) {
  if (!target.empty() && target.front() == '/') return std::string(target);
  const std::size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = target.substr(0, scheme_end);
  if (!IEquals(scheme, "http") && !IEquals(scheme, "https")) return std::nullopt;
  const std::string_view rest = target.substr(scheme_end + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  // RFC 9110 section 4.2.1: an http URI with an empty host is invalid;
  // userinfo ("user@host") is deprecated and never needed by a client here.
  if (authority.empty() || authority.front() == ':' ||
      authority.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  if (authority_end == std::string_view::npos) return std::string("/");
  const std::string_view path_and_query = rest.substr(authority_end);
  if (path_and_query.front() == '#') return std::nullopt;
  if (path_and_query.front() == '?') return "/" + std::string(path_and_query);
  return std::string(path_and_query);
}

std::optional<std::string_view> QueryParams::Find(std::string_view name) const {
  for (const auto& [key, value] : params_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<QueryParams> ParseQuery(std::string_view query, bool plus_as_space) {
  QueryParams params;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), plus_as_space);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), plus_as_space);
    if (!name || !value) return std::nullopt;
    params.Add(*std::move(name), *std::move(value));
  }
  return params;
}

std::optional<RequestTarget> ParseRequestTarget(std::string_view full_target) {
  const std::optional<std::string> origin_form = OriginForm(full_target);
  if (!origin_form) return std::nullopt;
  const std::string_view target = *origin_form;
  const std::size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  RequestTarget parsed;
  // Segments are split before decoding, so an encoded %2F stays inside its
  // segment instead of creating a new one.
  std::string_view rest = raw_path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    auto segment = PercentDecode(rest.substr(0, slash), false);
    if (!segment) return std::nullopt;
    parsed.segments.push_back(*std::move(segment));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  auto path = PercentDecode(raw_path, false);
  if (!path) return std::nullopt;
  parsed.path = *std::move(path);
  if (question != std::string_view::npos) {
    // '+' is a space in queries too, as browsers, Go and Python encode it.
    auto query = ParseQuery(target.substr(question + 1), true);
    if (!query) return std::nullopt;
    parsed.query = *std::move(query);
  }
  return parsed;
}

}  // namespace jobsd::api
