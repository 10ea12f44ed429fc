// The request target split into decoded path segments and query
// parameters. Hand-written rather than Boost.URL because clients send
// page[limit]=... with literal brackets, which RFC 3986 (and so Boost.URL's
// strict parser) does not allow in a query, yet every client of the
// Commerce API does it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobsd::api {

// Name/value pairs in order; a name may repeat.
class QueryParams {
 public:
  void Add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  const std::vector<std::pair<std::string, std::string>>& all() const { return params_; }
  // The first value of `name`.
  std::optional<std::string_view> Find(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

struct RequestTarget {
  std::string path;                   // decoded
  std::vector<std::string> segments;  // decoded, split on '/'
  QueryParams query;
};

// Percent-decodes `text`; with `plus_as_space` (HTML forms) '+' is a space.
// nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_as_space);

// Parses `a=1&b=2` (no leading '?'). nullopt for a malformed escape.
std::optional<QueryParams> ParseQuery(std::string_view query, bool plus_as_space);

// The origin form ("/path?query") of a request target in origin form or in
// absolute form ("http://host:port/path?query", RFC 9112 section 3.2.2:
// a server must accept it; the path and query are what count). nullopt
// for any other form.
std::optional<std::string> OriginForm(std::string_view target);

// Origin or absolute form. nullopt when malformed.
std::optional<RequestTarget> ParseRequestTarget(std::string_view target);

}  // namespace jobsd::api
