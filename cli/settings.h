// The settings shared by jobsd's commands (the README's "From the command line"), resolved from
// options and environment variables and checked once, with messages that
// name the option or variable at fault.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "cli/args.h"
#include "engine/limits.h"
#include "engine/log.h"
#include "engine/time.h"

namespace jobsd::cli {

struct Settings {
  std::filesystem::path db = "./var/jobsd.db";
  std::filesystem::path exports = "./var/exports";
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string public_url;  // "" until resolved: http://<listen>
  int workers = 0;         // 0: number of cores
  Nanos retention = 7 * kNanosPerDay;
  Nanos shutdown_grace = 30 * kNanosPerSecond;
  // the README's "Security and limits"; 0 turns either off.
  int max_active_jobs = kDefaultMaxActiveJobs;
  std::int64_t min_free_disk = kDefaultMinFreeDiskBytes;
  // GET /v2/jobs/{id}/events open at once; one more answers 503.
  int max_event_streams = 1000;
  // serve's log lines on stderr (engine/log.h).
  LogFormat log_format = LogFormat::kText;
};

// Option specs, to compose each command's list.
OptionSpec DbOption();
OptionSpec ExportsOption();
OptionSpec ListenOption();
OptionSpec PublicUrlOption();
OptionSpec WorkersOption();
OptionSpec RetentionOption();
OptionSpec ShutdownGraceOption();
OptionSpec MaxActiveJobsOption();
OptionSpec MinFreeDiskOption();
OptionSpec MaxEventStreamsOption();
OptionSpec LogFormatOption();

// Reads whichever of the options above the command has. Throws UsageError.
Settings ResolveSettings(const ParsedArgs& args);

// "http://" + the listen address unless a public URL was set; no trailing '/'.
std::string PublicUrl(const Settings& settings);

}  // namespace jobsd::cli
