// JSON text written straight into a string, for responses whose shape is
// fixed in code (the job documents): no DOM, no temporary strings.
//
// Strings come out byte for byte as boost::json::serialize writes them
// followed by the UTF-8 repair JsonResponse applies: '"' and '\' escaped,
// \b \t \n \f \r as short escapes, other control characters as \u00xx
// (lowercase hex), everything else copied, except that each byte that does
// not start a well-formed UTF-8 sequence becomes U+FFFD. The API answers the
// same bytes whichever way a document was built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jobsd::api {

// Length of the well-formed UTF-8 sequence (RFC 3629) that starts `text`,
// 0 when its first byte does not start one. REQUIRES: !text.empty().
std::size_t Utf8SequenceLength(std::string_view text);

// Appends `text` escaped, without the surrounding quotes, so that a string
// can be written in pieces. Pieces must meet at ASCII characters (they do
// in URLs: "/v2/jobs/" between the public URL and the id), so that the
// repair of a piece's ends matches the repair of the whole.
void AppendJsonStringContent(std::string& out, std::string_view text);

// Appends "text", quoted and escaped.
inline void AppendJsonString(std::string& out, std::string_view text) {
  out.push_back('"');
  AppendJsonStringContent(out, text);
  out.push_back('"');
}

// Appends a JSON integer.
void AppendJsonInt(std::string& out, std::int64_t number);

}  // namespace jobsd::api
