// Time as the engine sees it: nanoseconds since the Unix epoch, UTC.
//
// Stored as INTEGER in SQLite so that comparisons and indexes are exact and
// cheap; formatted only at the edges (JSON, CSV) in Go's RFC3339Nano form.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace jobsd {

using Nanos = std::int64_t;

inline constexpr Nanos kNanosPerSecond = 1'000'000'000;
inline constexpr Nanos kNanosPerDay = 86'400 * kNanosPerSecond;

// "2018-10-04T11:08:49.156490335Z": UTC, trailing zeros of the fraction
// trimmed, no fraction at all when it is zero (Go's time.RFC3339Nano).
std::string FormatRfc3339Nano(Nanos t);

// Appends the same form to `out` without allocating a temporary.
void AppendRfc3339Nano(std::string& out, Nanos t);

// How a time value was written; `eq` on a bare date means the whole day.
enum class TimeForm { kDate, kTimestamp, kEpochMillis };

struct ParsedTime {
  Nanos at = 0;
  TimeForm form = TimeForm::kTimestamp;
};

// Accepts RFC 3339 timestamps ("T", "Z" or an offset, up to 9 fractional
// digits). On failure returns nullopt and, if `reason` is set, says why.
std::optional<Nanos> ParseRfc3339(std::string_view text, std::string* reason);

// Accepts what filters accept: YYYY-MM-DD (midnight UTC), RFC 3339, or
// integer epoch milliseconds. Impossible dates (2024-02-30) are rejected.
std::optional<ParsedTime> ParseFilterTime(std::string_view text, std::string* reason);

// Durations for options: "30s", "15m", "36h", "7d".
std::optional<Nanos> ParseDuration(std::string_view text, std::string* reason);

// The last instant a Nanos can hold (2262-04-11T23:47:16.854775807Z).
inline constexpr Nanos kLatestTime = std::numeric_limits<Nanos>::max();

// t + duration, or kLatestTime where the sum would not fit: an instant that
// far ahead means "never" to every caller, and an overflow would wrap it
// into the past.
constexpr Nanos AddClamped(Nanos t, Nanos duration) {
  Nanos sum = 0;
  return __builtin_add_overflow(t, duration, &sum) ? kLatestTime : sum;
}

// The source of "now"; tests inject a manual clock so nothing sleeps.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Nanos Now() const = 0;
};

// Wall-clock time, strictly increasing within the process so that two jobs
// created back to back never share a created_at.
class SystemClock final : public Clock {
 public:
  Nanos Now() const override;
};

}  // namespace jobsd
