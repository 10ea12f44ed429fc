#include "cli/settings.h"

#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <thread>

#include "engine/byte_size.h"

namespace jobsd::cli {
namespace {

long long ParseWhole(const std::string& text, const std::string& source, long long min,
                     long long max) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    throw UsageError("invalid value '" + text + "' for " + source +
                     ": expected a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  return value;
}

Nanos ParseDurationOrThrow(const std::string& text, const std::string& source) {
  std::string reason;
  std::optional<Nanos> value = ParseDuration(text, &reason);
  if (!value) {
    throw UsageError("invalid duration '" + text + "' for " + source + ": " + reason +
                     " (use a whole number with s, m, h or d, e.g. 30s, 7d)");
  }
  return *value;
}

// The base of every link jobsd writes (links.self, Location, link.href), so
// it must be a plain absolute http(s) URL: a CR or LF in it would end up in
// response headers, and "http://" alone would give "http:/v2/..." links.
// Returns it without trailing slashes.
std::string CheckPublicUrl(std::string url, const std::string& source) {
  const auto fail = [&](const std::string& why) -> UsageError {
    std::string shown;  // the value, with control characters made visible
    for (unsigned char c : url) {
      if (c < 0x20 || c == 0x7f) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        shown += "\\x";
        shown += kHex[c >> 4];
        shown += kHex[c & 0xf];
      } else {
        shown += static_cast<char>(c);
      }
    }
    return UsageError("invalid URL '" + shown + "' for " + source + ": " + why);
  };
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c < 0x20 || c == 0x7f) {
      throw fail("control character at byte " + std::to_string(i + 1));
    }
  }
  const boost::system::result<boost::urls::url_view> parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw fail("not an absolute URL (expected http:// or https:// and a host)");
  const std::string scheme(parsed->scheme());
  if (!boost::beast::iequals(scheme, "http") && !boost::beast::iequals(scheme, "https")) {
    throw fail("the scheme must be http or https");
  }
  if (!parsed->has_authority() || parsed->host().empty()) throw fail("the URL has no host");
  if (parsed->has_userinfo()) throw fail("a user or password does not belong in public links");
  if (parsed->has_query() || parsed->has_fragment()) {
    throw fail("a query or fragment cannot prefix links; give scheme, host, port and path only");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::int64_t ParseByteSizeOrThrow(const std::string& text, const std::string& source) {
  std::string reason;
  std::optional<std::int64_t> value = ParseByteSize(text, &reason);
  if (!value) {
    throw UsageError("invalid size '" + text + "' for " + source + ": " + reason +
                     " (use a whole number of bytes, or with K, M, G or T, alone or as KiB, MiB,"
                     " GiB, TiB: e.g. 512MiB, 1GiB; 0 turns the check off)");
  }
  return *value;
}

}  // namespace

OptionSpec DbOption() {
  return {"db", "PATH", "JOBSD_DB", "./var/jobsd.db",
          "SQLite store file, or a PostgreSQL URI (postgresql://...)"};
}
OptionSpec ExportsOption() {
  return {"exports", "DIR", "JOBSD_EXPORTS", "./var/exports", "directory for export files"};
}
OptionSpec ListenOption() {
  return {"listen", "HOST:PORT", "JOBSD_LISTEN", "127.0.0.1:8080", "address of the HTTP API"};
}
OptionSpec PublicUrlOption() {
  return {"public-url", "URL", "JOBSD_PUBLIC_URL", "http://<listen>",
          "base URL used in links and Location headers"};
}
OptionSpec WorkersOption() {
  return {"workers", "N", "JOBSD_WORKERS", "number of cores", "worker threads running jobs"};
}
OptionSpec RetentionOption() {
  return {"retention", "DURATION", "JOBSD_RETENTION", "7d",
          "how long jobs and their files are kept (s, m, h, d)"};
}
OptionSpec ShutdownGraceOption() {
  return {"shutdown-grace", "DURATION", "JOBSD_SHUTDOWN_GRACE", "30s",
          "how long running jobs may finish on SIGTERM"};
}

OptionSpec MaxActiveJobsOption() {
  return {"max-active-jobs", "N", "JOBSD_MAX_ACTIVE_JOBS", "100",
          "jobs pending or started at once per API client; one more POST /v2/jobs answers 429 "
          "(0: no limit)"};
}
OptionSpec MinFreeDiskOption() {
  return {"min-free-disk", "SIZE", "JOBSD_MIN_FREE_DISK", "1GiB",
          "free space an export leaves on the exports' file system, or it fails (K, M, G, T "
          "or KiB, MiB, GiB, TiB; 0: no check)"};
}

OptionSpec MaxEventStreamsOption() {
  return {"max-event-streams", "N", "JOBSD_MAX_EVENT_STREAMS", "1000",
          "event streams (GET /v2/jobs/{id}/events) open at once; one more answers 503"};
}

OptionSpec LogFormatOption() {
  return {"log-format", "FORMAT", "JOBSD_LOG_FORMAT", "text",
          "log lines on standard error: text, or json (one object per line, for log "
          "collectors)"};
}

Settings ResolveSettings(const ParsedArgs& args) {
  Settings settings;
  if (auto db = args.Get("db")) {
    if (db->empty()) throw UsageError(args.SourceOf("db") + " must not be empty");
    settings.db = *db;
  }
  if (auto exports = args.Get("exports")) {
    if (exports->empty()) throw UsageError(args.SourceOf("exports") + " must not be empty");
    settings.exports = *exports;
  }
  if (auto listen = args.Get("listen")) {
    const std::string source = args.SourceOf("listen");
    const auto colon = listen->rfind(':');
    if (colon == std::string::npos || colon == 0) {
      throw UsageError("invalid address '" + *listen + "' for " + source +
                       ": expected HOST:PORT, e.g. 127.0.0.1:8080");
    }
    settings.listen_host = listen->substr(0, colon);
    if (settings.listen_host.size() > 2 && settings.listen_host.front() == '[' &&
        settings.listen_host.back() == ']') {
      settings.listen_host = settings.listen_host.substr(1, settings.listen_host.size() - 2);
    }
    settings.listen_port = static_cast<std::uint16_t>(
        ParseWhole(listen->substr(colon + 1), source + " (port)", 0, 65535));
  }
  if (auto url = args.Get("public-url")) {
    settings.public_url = CheckPublicUrl(*url, args.SourceOf("public-url"));
  }
  if (auto workers = args.Get("workers")) {
    settings.workers = static_cast<int>(ParseWhole(*workers, args.SourceOf("workers"), 1, 256));
  }
  if (settings.workers == 0) {
    settings.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (auto retention = args.Get("retention")) {
    settings.retention = ParseDurationOrThrow(*retention, args.SourceOf("retention"));
    // Every expiry (created_at + retention) must fit in a Nanos; past it a
    // job would expire before it was created.
    const Nanos latest = kLatestTime - SystemClock().Now();
    if (settings.retention > latest) {
      throw UsageError("invalid duration '" + *retention + "' for " + args.SourceOf("retention") +
                       ": too long, a job created now would expire after " +
                       FormatRfc3339Nano(kLatestTime) +
                       ", the last instant jobsd can store (at most " +
                       std::to_string(latest / kNanosPerDay) + "d)");
    }
  }
  if (auto grace = args.Get("shutdown-grace")) {
    settings.shutdown_grace = ParseDurationOrThrow(*grace, args.SourceOf("shutdown-grace"));
    // Waited for on the steady clock, whose deadline (now + grace) must not
    // overflow into the past and end the wait at once.
    constexpr Nanos kLongestGrace = 36500 * kNanosPerDay;
    if (settings.shutdown_grace > kLongestGrace) {
      throw UsageError("invalid duration '" + *grace + "' for " + args.SourceOf("shutdown-grace") +
                       ": too long (at most 36500d)");
    }
  }
  if (auto max_active = args.Get("max-active-jobs")) {
    settings.max_active_jobs = static_cast<int>(
        ParseWhole(*max_active, args.SourceOf("max-active-jobs"), 0, 1'000'000'000));
  }
  if (auto max_streams = args.Get("max-event-streams")) {
    settings.max_event_streams = static_cast<int>(
        ParseWhole(*max_streams, args.SourceOf("max-event-streams"), 1, 1'000'000));
  }
  if (auto format = args.Get("log-format")) {
    if (!ParseLogFormat(*format, &settings.log_format)) {
      throw UsageError("invalid value '" + *format + "' for " + args.SourceOf("log-format") +
                       ": expected text or json");
    }
  }
  if (auto min_free = args.Get("min-free-disk")) {
    settings.min_free_disk = ParseByteSizeOrThrow(*min_free, args.SourceOf("min-free-disk"));
  }
  return settings;
}

std::string PublicUrl(const Settings& settings) {
  if (!settings.public_url.empty()) return settings.public_url;
  const bool ipv6 = settings.listen_host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + settings.listen_host + "]" : settings.listen_host) + ":" +
         std::to_string(settings.listen_port);
}

}  // namespace jobsd::cli
