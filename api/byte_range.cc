#include "api/byte_range.h"

#include <charconv>

namespace jobsd::api {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::uint64_t> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

RangeRequest ParseRange(std::optional<std::string_view> header, std::uint64_t file_size) {
  using Kind = RangeRequest::Kind;
  RangeRequest whole;
  if (!header) return whole;
  std::string_view spec = Trim(*header);
  constexpr std::string_view kUnit = "bytes=";
  if (spec.substr(0, kUnit.size()) != kUnit) return whole;  // another unit
  spec = Trim(spec.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = Trim(spec.substr(0, dash));
  const std::string_view last_text = Trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // bytes=-n: the last n bytes
    const auto suffix = ParseNumber(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || file_size == 0) return {Kind::kUnsatisfiable, {}};
    const std::uint64_t length = std::min(*suffix, file_size);
    return {Kind::kRange, {file_size - length, length}};
  }
  const auto first = ParseNumber(first_text);
  if (!first) return whole;
  std::uint64_t last = file_size == 0 ? 0 : file_size - 1;
  if (!last_text.empty()) {
    const auto parsed_last = ParseNumber(last_text);
    if (!parsed_last || *parsed_last < *first) return whole;  // invalid: ignored
    last = std::min(*parsed_last, last);
  }
  if (*first >= file_size) return {Kind::kUnsatisfiable, {}};
  return {Kind::kRange, {*first, last - *first + 1}};
}

}  // namespace jobsd::api
