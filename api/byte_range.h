// The single byte range of a Range header (RFC 9110 section 14): bytes=a-b,
// bytes=a- and bytes=-n. Multiple ranges and other units are ignored (the
// whole file is sent), which the RFC allows.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jobsd::api {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

struct RangeRequest {
  enum class Kind { kWholeFile, kRange, kUnsatisfiable };
  Kind kind = Kind::kWholeFile;
  ByteRange range;  // kRange
};

// `header` is the Range header's value, or nullopt when absent.
RangeRequest ParseRange(std::optional<std::string_view> header, std::uint64_t file_size);

}  // namespace jobsd::api
