#include "api/ui_headers.h"

#include <boost/beast/core/string.hpp>
#include <cstdlib>
#include <string>

namespace jobsd::api {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The q-value of one Accept-Encoding member's parameters (";q=0.5"); 1
// without one, 0 when malformed (a client that garbles q gets identity).
double QValue(std::string_view parameters) {
  while (!parameters.empty()) {
    const std::size_t semicolon = parameters.find(';');
    const std::string_view parameter = Trim(parameters.substr(0, semicolon));
    parameters =
        semicolon == std::string_view::npos ? std::string_view() : parameters.substr(semicolon + 1);
    if (parameter.size() < 2 || !boost::beast::iequals(parameter.substr(0, 2), "q=")) continue;
    const std::string value(Trim(parameter.substr(2)));
    if (value.empty() || value.size() > 5) return 0;
    for (char c : value) {
      if ((c < '0' || c > '9') && c != '.') return 0;
    }
    return std::strtod(value.c_str(), nullptr);
  }
  return 1;
}

}  // namespace

bool AcceptsGzip(std::string_view accept_encoding) {
  double gzip = -1;      // not named
  double wildcard = -1;  // not named
  while (!accept_encoding.empty()) {
    const std::size_t comma = accept_encoding.find(',');
    const std::string_view member = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const std::size_t semicolon = member.find(';');
    const std::string_view coding = Trim(member.substr(0, semicolon));
    const double q = QValue(semicolon == std::string_view::npos ? std::string_view()
                                                                : member.substr(semicolon + 1));
    if (boost::beast::iequals(coding, "gzip") || boost::beast::iequals(coding, "x-gzip")) {
      gzip = q;
    } else if (coding == "*") {
      wildcard = q;
    }
  }
  if (gzip >= 0) return gzip > 0;
  return wildcard > 0;
}

bool IfNoneMatchHits(std::string_view if_none_match, std::string_view etag) {
  if (Trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view tag = Trim(if_none_match.substr(0, comma));
    if_none_match =
        comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace jobsd::api
