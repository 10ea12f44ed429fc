// A one-line status for long commands (`orders import`, `orders seed`),
// redrawn in place on a terminal ("\r", the text, erase to the end of the
// line) at most ten times a second. On anything else (a pipe, a file, a CI
// log) it draws nothing, so scripts read only the command's own output.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace jobsd::cli {

class ProgressLine {
 public:
  // Draws on `out` when `enabled`; see OnTerminal.
  ProgressLine(std::FILE* out, bool enabled);
  // Draws on standard error when it is a terminal.
  static ProgressLine OnStandardError();
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ProgressLine(ProgressLine&&) noexcept;
  ProgressLine& operator=(ProgressLine&&) = delete;

  // Shows `text` unless the last draw was under 100 ms ago (`force`: now).
  void Update(const std::string& text, bool force = false);
  // Erases the line, so what the command prints next starts clean.
  void Clear();
  bool enabled() const { return enabled_; }

 private:
  std::FILE* out_;
  bool enabled_;
  bool drawn_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_draw_;
};

// 1234567 -> "1,234,567".
std::string GroupDigits(std::int64_t value);
// Seconds as "8 s", "3 min 4 s", "2 h 5 min".
std::string HumanDuration(double seconds);
// "[#########...........]" for fraction in [0, 1], `width` cells inside.
std::string Bar(double fraction, int width = 20);
// The rate and, when the fraction done is known and above zero, the time
// left: "41,000 orders/s, ~9 s left".
std::string RateAndTimeLeft(std::int64_t done, double seconds, std::optional<double> fraction,
                            const char* unit);

}  // namespace jobsd::cli
