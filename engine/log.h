// jobsd's diagnostic log on standard error: one line per event, in the
// format `jobsd serve --log-format` chose (the README's "Logs").
//
//   text (the default):  jobsd: <message>[ key=value]...
//   json:                {"time":"<RFC 3339, UTC, to the
//   microsecond>","level":"info","msg":"<message>","key":"value",...}
//
// Each line reaches stderr in one write, so lines from several threads
// never interleave. The access log (api/access_log.h) follows the same
// format setting and writes its own lines in batches.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include "engine/time.h"

namespace jobsd {

enum class LogFormat { kText, kJson };
enum class LogLevel { kInfo, kWarning, kError };

// Reads "text" or "json"; false for anything else.
bool ParseLogFormat(std::string_view text, LogFormat* format);

// Appends `text` as a JSON string: quotes, backslashes and control
// characters escaped, and any byte that is not part of valid UTF-8 (a
// client's request path may hold anything) replaced by U+FFFD, so that
// every line stays valid JSON.
void AppendJsonString(std::string& out, std::string_view text);

// Set once at start-up, before other threads log; kText until then.
void SetLogFormat(LogFormat format);
LogFormat CurrentLogFormat();

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t> value;
};

// The line Log writes (with its '\n'), for tests.
std::string FormatLogLine(LogFormat format, Nanos time, LogLevel level, std::string_view message,
                          std::initializer_list<LogField> fields = {});

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
inline void LogInfo(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, message, fields);
}
inline void LogWarning(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, message, fields);
}
inline void LogError(std::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
}

}  // namespace jobsd
