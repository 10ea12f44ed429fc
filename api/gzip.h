// gzip (RFC 1952) with zlib, for the dashboard's assets: compressed once at
// start-up, never per request.
#pragma once

#include <string>
#include <string_view>

namespace jobsd::api {

// The gzip member of `data` at the best compression. Throws
// std::runtime_error when zlib fails (out of memory).
std::string GzipCompress(std::string_view data);

}  // namespace jobsd::api
