#include "engine/byte_size.h"

#include <array>
#include <charconv>
#include <limits>

namespace jobsd {
namespace {

struct Unit {
  std::string_view short_name, long_name;
  int shift;
};

constexpr std::array<Unit, 4> kUnits = {{
    {"K", "KiB", 10},
    {"M", "MiB", 20},
    {"G", "GiB", 30},
    {"T", "TiB", 40},
}};

}  // namespace

std::optional<std::int64_t> ParseByteSize(std::string_view text, std::string* reason) {
  auto fail = [&](std::string why) -> std::optional<std::int64_t> {
    if (reason != nullptr) *reason = std::move(why);
    return std::nullopt;
  };
  std::int64_t number = 0;
  const char* end = text.data() + text.size();
  auto [unit_at, ec] = std::from_chars(text.data(), end, number);
  if (text.empty() || unit_at == text.data() || text.front() == '-' || text.front() == '+') {
    return fail("expected a whole number of bytes, optionally with a unit");
  }
  if (ec == std::errc::result_out_of_range) return fail("too large");
  const std::string_view unit(unit_at, static_cast<std::size_t>(end - unit_at));
  if (unit.empty() || unit == "B") return number;
  for (const Unit& candidate : kUnits) {
    if (unit != candidate.short_name && unit != candidate.long_name) continue;
    if (number > (std::numeric_limits<std::int64_t>::max() >> candidate.shift)) {
      return fail("too large");
    }
    return number << candidate.shift;
  }
  return fail("unknown unit [" + std::string(unit) + "]");
}

std::string FormatByteSize(std::int64_t bytes) {
  for (auto unit = kUnits.rbegin(); unit != kUnits.rend(); ++unit) {
    const std::int64_t size = std::int64_t{1} << unit->shift;
    if (bytes != 0 && bytes % size == 0) {
      return std::to_string(bytes / size) + std::string(unit->long_name);
    }
  }
  return std::to_string(bytes);
}

}  // namespace jobsd
