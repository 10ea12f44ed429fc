#include "cli/settings.h"

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
    throw UsageError("invalid value '" + text + "' for " + source + ": expected a whole number from " +
                     std::to_string(min) + " to " + std::to_string(max));
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
  return {"db", "PATH", "JOBSD_DB", "./var/jobsd.db", "SQLite store file"};
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
    settings.listen_port =
        static_cast<std::uint16_t>(ParseWhole(listen->substr(colon + 1), source + " (port)", 0, 65535));
  }
  if (auto url = args.Get("public-url")) {
    const std::string source = args.SourceOf("public-url");
    if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
      throw UsageError("invalid URL '" + *url + "' for " + source +
                       ": expected http:// or https:// followed by a host");
    }
    while (!url->empty() && url->back() == '/') url->pop_back();
    settings.public_url = *url;
  }
  if (auto workers = args.Get("workers")) {
    settings.workers = static_cast<int>(ParseWhole(*workers, args.SourceOf("workers"), 1, 256));
  }
  if (settings.workers == 0) {
    settings.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (auto retention = args.Get("retention")) {
    settings.retention = ParseDurationOrThrow(*retention, args.SourceOf("retention"));
  }
  if (auto grace = args.Get("shutdown-grace")) {
    settings.shutdown_grace = ParseDurationOrThrow(*grace, args.SourceOf("shutdown-grace"));
  }
  if (auto max_active = args.Get("max-active-jobs")) {
    settings.max_active_jobs = static_cast<int>(
        ParseWhole(*max_active, args.SourceOf("max-active-jobs"), 0, 1'000'000'000));
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
