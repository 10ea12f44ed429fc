// Request headers the dashboard's assets answer to: Accept-Encoding (RFC
// 9110 section 12.5.3) and If-None-Match (section 13.1.2).
#pragma once

#include <string_view>

namespace jobsd::api {

// True when an Accept-Encoding value allows gzip: `gzip` (or `x-gzip`, or
// `*` when gzip is not named) with a q-value above 0.
bool AcceptsGzip(std::string_view accept_encoding);

// True when an If-None-Match value names `etag` (strong comparison; weak
// validators W/"..." compare by their opaque tag, as GET allows) or is `*`.
bool IfNoneMatchHits(std::string_view if_none_match, std::string_view etag);

}  // namespace jobsd::api
