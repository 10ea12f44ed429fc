#include "engine/time.h"

#include <atomic>
#include <chrono>
#include <limits>

namespace jobsd {
namespace {

// Years whose every instant fits int64 nanoseconds (the full range is
// 1677-09-21 .. 2262-04-11); whole years keep the rule easy to state.
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

constexpr std::string_view kMonthNames[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};

struct CivilDate {
  std::int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil): shifting the year to start in March puts the leap day
// last, so the month lengths follow a fixed pattern.
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                                    // [0, 399]
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

// The inverse of DaysFromCivil (Hinnant's civil_from_days).
CivilDate CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool IsLeapYear(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

int DaysInMonth(std::int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[pos..]; false if any is not a digit.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

void SetReason(std::string* reason, std::string text) {
  if (reason != nullptr) *reason = std::move(text);
}

std::string Pad(int value, int width) {
  std::string s = std::to_string(value);
  if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
  return s;
}

// Parses and validates "YYYY-MM-DD" at the start of `text`; on success the
// days since the epoch.
std::optional<std::int64_t> ParseDatePart(std::string_view text, std::string* reason) {
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &month) || text[7] != '-' || !ReadDigits(text, 8, 2, &day)) {
    SetReason(reason, "expected a date as YYYY-MM-DD");
    return std::nullopt;
  }
  const std::string date(text.substr(0, 10));
  if (month < 1 || month > 12) {
    SetReason(reason, "invalid date " + date + ": month " + Pad(month, 2) + " is not 01-12");
    return std::nullopt;
  }
  if (day < 1 || day > DaysInMonth(year, month)) {
    SetReason(reason, "invalid date " + date + ": " + std::string(kMonthNames[month - 1]) + " " +
                          std::to_string(year) + " has " +
                          std::to_string(DaysInMonth(year, month)) + " days");
    return std::nullopt;
  }
  if (year < kMinYear || year > kMaxYear) {
    SetReason(reason, "year " + std::to_string(year) + " is out of range (" +
                          std::to_string(kMinYear) + "-" + std::to_string(kMaxYear) + ")");
    return std::nullopt;
  }
  return DaysFromCivil(year, month, day);
}

// Parses a non-empty run of decimal digits into a non-negative int64.
std::optional<std::int64_t> ParseUnsigned(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : digits) {
    if (!IsDigit(c)) return std::nullopt;
    const int d = c - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - d) / 10) return std::nullopt;
    value = value * 10 + d;
  }
  return value;
}

}  // namespace

void AppendRfc3339Nano(std::string& out, Nanos t) {
  // Floor division so that times before 1970 get a non-negative fraction.
  std::int64_t secs = t / kNanosPerSecond;
  std::int64_t frac = t % kNanosPerSecond;
  if (frac < 0) {
    frac += kNanosPerSecond;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const int hour = static_cast<int>(sod / 3600);
  const int minute = static_cast<int>(sod / 60 % 60);
  const int second = static_cast<int>(sod % 60);

  // The int64 range keeps the year within 1677..2262, so four digits suffice.
  char buf[32];
  char* p = buf;
  auto put = [&p](std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
    p += width;
  };
  put(date.year, 4);
  *p++ = '-';
  put(date.month, 2);
  *p++ = '-';
  put(date.day, 2);
  *p++ = 'T';
  put(hour, 2);
  *p++ = ':';
  put(minute, 2);
  *p++ = ':';
  put(second, 2);
  if (frac != 0) {
    int digits = 9;
    while (frac % 10 == 0) {
      frac /= 10;
      --digits;
    }
    *p++ = '.';
    put(frac, digits);
  }
  *p++ = 'Z';
  out.append(buf, static_cast<std::size_t>(p - buf));
}

std::string FormatRfc3339Nano(Nanos t) {
  std::string out;
  out.reserve(32);
  AppendRfc3339Nano(out, t);
  return out;
}

std::optional<Nanos> ParseRfc3339(std::string_view text, std::string* reason) {
  const std::optional<std::int64_t> days = ParseDatePart(text, reason);
  if (!days) return std::nullopt;
  if (text.size() == 10) {
    SetReason(reason, "missing time (expected 'T' and hh:mm:ss after the date)");
    return std::nullopt;
  }
  if (text[10] != 'T' && text[10] != 't') {
    SetReason(reason, "expected 'T' between date and time");
    return std::nullopt;
  }
  int hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 11, 2, &hour) || text.size() < 19 || text[13] != ':' ||
      !ReadDigits(text, 14, 2, &minute) || text[16] != ':' || !ReadDigits(text, 17, 2, &second)) {
    SetReason(reason, "expected a time as hh:mm:ss after 'T'");
    return std::nullopt;
  }
  if (hour > 23) {
    SetReason(reason, "invalid hour " + Pad(hour, 2) + " (00-23)");
    return std::nullopt;
  }
  if (minute > 59) {
    SetReason(reason, "invalid minute " + Pad(minute, 2) + " (00-59)");
    return std::nullopt;
  }
  if (second > 59) {
    // Leap seconds cannot be represented on the Unix time line; rejecting is
    // clearer than silently folding them into the next minute.
    SetReason(reason, "invalid second " + Pad(second, 2) + " (00-59; leap seconds unsupported)");
    return std::nullopt;
  }

  std::size_t pos = 19;
  std::int64_t frac = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (++digits > 9) {
        SetReason(reason, "more than 9 fractional digits");
        return std::nullopt;
      }
      frac = frac * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) {
      SetReason(reason, "expected digits after '.'");
      return std::nullopt;
    }
    for (std::size_t i = digits; i < 9; ++i) frac *= 10;
  }

  if (pos >= text.size()) {
    SetReason(reason, "missing time zone (Z or ±hh:mm)");
    return std::nullopt;
  }
  std::int64_t offset_secs = 0;
  const char zone = text[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    int off_h = 0, off_m = 0;
    if (!ReadDigits(text, pos + 1, 2, &off_h) || pos + 6 > text.size() || text[pos + 3] != ':' ||
        !ReadDigits(text, pos + 4, 2, &off_m)) {
      SetReason(reason, "malformed time zone offset (expected ±hh:mm)");
      return std::nullopt;
    }
    if (off_h > 23 || off_m > 59) {
      SetReason(reason, "time zone offset " + std::string(text.substr(pos, 6)) +
                            " is out of range (at most ±23:59)");
      return std::nullopt;
    }
    offset_secs = (off_h * 3600 + off_m * 60) * (zone == '-' ? -1 : 1);
    pos += 6;
  } else {
    SetReason(reason, "missing time zone (Z or ±hh:mm)");
    return std::nullopt;
  }
  if (pos != text.size()) {
    SetReason(reason, "unexpected text after the time zone");
    return std::nullopt;
  }

  // Within years 1678..2261 and offsets under a day this cannot overflow.
  const std::int64_t local_secs = *days * 86400 + hour * 3600 + minute * 60 + second;
  return (local_secs - offset_secs) * kNanosPerSecond + frac;
}

std::optional<ParsedTime> ParseFilterTime(std::string_view text, std::string* reason) {
  if (text.empty()) {
    SetReason(reason, "empty time value");
    return std::nullopt;
  }
  // Epoch milliseconds: an optional '-' and digits only.
  const bool negative = text[0] == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  bool all_digits = !digits.empty();
  for (char c : digits) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    const std::optional<std::int64_t> millis = ParseUnsigned(digits);
    constexpr std::int64_t kMaxMillis = std::numeric_limits<std::int64_t>::max() / 1'000'000;
    if (!millis || *millis > kMaxMillis) {
      SetReason(reason, "epoch milliseconds " + std::string(text) + " are out of range");
      return std::nullopt;
    }
    const Nanos at = *millis * 1'000'000;
    return ParsedTime{negative ? -at : at, TimeForm::kEpochMillis};
  }
  if (text.size() == 10) {
    const std::optional<std::int64_t> days = ParseDatePart(text, reason);
    if (!days) return std::nullopt;
    return ParsedTime{*days * kNanosPerDay, TimeForm::kDate};
  }
  if (text.size() < 10 || text[4] != '-') {
    SetReason(reason,
              "expected a date (YYYY-MM-DD), an RFC 3339 timestamp or integer epoch milliseconds");
    return std::nullopt;
  }
  const std::optional<Nanos> at = ParseRfc3339(text, reason);
  if (!at) return std::nullopt;
  return ParsedTime{*at, TimeForm::kTimestamp};
}

std::optional<Nanos> ParseDuration(std::string_view text, std::string* reason) {
  const auto fail = [&](std::string why) -> std::optional<Nanos> {
    SetReason(reason, "invalid duration [" + std::string(text) + "]: " + std::move(why));
    return std::nullopt;
  };
  if (text.size() < 2) return fail("expected a positive integer and a unit (s, m, h or d)");
  Nanos unit = 0;
  switch (text.back()) {
    case 's':
      unit = kNanosPerSecond;
      break;
    case 'm':
      unit = 60 * kNanosPerSecond;
      break;
    case 'h':
      unit = 3600 * kNanosPerSecond;
      break;
    case 'd':
      unit = kNanosPerDay;
      break;
    default:
      return fail("unit must be s, m, h or d");
  }
  const std::string_view number = text.substr(0, text.size() - 1);
  for (char c : number) {
    if (!IsDigit(c)) return fail("expected a positive integer before the unit");
  }
  const std::optional<std::int64_t> count = ParseUnsigned(number);
  if (!count || *count > std::numeric_limits<Nanos>::max() / unit) return fail("too large");
  if (*count == 0) return fail("must be positive");
  return *count * unit;
}

Nanos SystemClock::Now() const {
  // Process-wide, so that every SystemClock instance agrees on the order.
  static std::atomic<Nanos> last{0};
  const Nanos now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  Nanos prev = last.load(std::memory_order_relaxed);
  Nanos next = 0;
  do {
    next = now > prev ? now : prev + 1;
  } while (!last.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  return next;
}

}  // namespace jobsd
