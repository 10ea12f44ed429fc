#include "cli/progress_line.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace jobsd::cli {

ProgressLine::ProgressLine(std::FILE* out, bool enabled) : out_(out), enabled_(enabled) {}

ProgressLine ProgressLine::OnStandardError() {
  return ProgressLine(stderr, ::isatty(STDERR_FILENO) == 1);
}

ProgressLine::ProgressLine(ProgressLine&& other) noexcept
    : out_(other.out_),
      enabled_(other.enabled_),
      drawn_(other.drawn_),
      last_draw_(other.last_draw_) {
  other.enabled_ = false;
  other.drawn_ = false;
}

ProgressLine::~ProgressLine() { Clear(); }

void ProgressLine::Update(const std::string& text, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && last_draw_ && now - *last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::fprintf(out_, "\r%s\x1b[K", text.c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::Clear() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\x1b[K", out_);
  std::fflush(out_);
  drawn_ = false;
}

std::string GroupDigits(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, ",");
  return value < 0 ? "-" + digits : digits;
}

std::string HumanDuration(double seconds) {
  const auto total = static_cast<std::int64_t>(std::max(0.0, std::round(seconds)));
  if (total < 60) return std::to_string(total) + " s";
  if (total < 3600) {
    return std::to_string(total / 60) + " min " + std::to_string(total % 60) + " s";
  }
  return std::to_string(total / 3600) + " h " + std::to_string(total % 3600 / 60) + " min";
}

std::string Bar(double fraction, int width) {
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(width));
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '.') + "]";
}

std::string RateAndTimeLeft(std::int64_t done, double seconds, std::optional<double> fraction,
                            const char* unit) {
  if (seconds <= 0) return "";
  const double rate = static_cast<double>(done) / seconds;
  std::string text = GroupDigits(static_cast<std::int64_t>(rate)) + " " + unit + "/s";
  if (fraction && *fraction > 0 && *fraction < 1) {
    text += ", ~" + HumanDuration(seconds * (1 - *fraction) / *fraction) + " left";
  }
  return text;
}

}  // namespace jobsd::cli
