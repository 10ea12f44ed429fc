// jobsd jobs wait ID [--timeout DURATION]: follows one job in the store
// (like `jobs get`, no server needed) until it ends. On a terminal one line
// redrawn in place with a progress bar; otherwise one plain line per change:
//
//   <id> pending
//   <id> started 42% (420000/1000000 rows)
//   <id> success (1000000 rows)
//   <id> failed: <error>
//
// What it shows is read from the job's JSON (exactly GET /v2/jobs/{id}),
// so `meta.progress` appears as soon as the engine reports it.
// Exit 0 on success, 1 on failed (or an unknown job), 3 on timeout.
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "api/job_json.h"
#include "cli/app.h"
#include "cli/args.h"
#include "cli/commands.h"

namespace jobsd::cli {
namespace {

// The store is checked this often (its change version; the job is read
// only when that moved), as the event streams do.
constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr int kTimedOutExitCode = 3;
constexpr int kBarWidth = 20;

// What the line shows of a job, from its JSON document.
struct JobLine {
  std::string status;
  std::string error;
  std::optional<std::int64_t> percent, rows_written, rows_total, row_count;
};

std::optional<std::int64_t> IntegerAt(const boost::json::object* object, std::string_view key) {
  if (object == nullptr) return std::nullopt;
  const boost::json::value* value = object->if_contains(key);
  if (value == nullptr || !value->is_int64()) return std::nullopt;
  return value->get_int64();
}

JobLine ReadJobLine(const std::string& document) {
  JobLine line;
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(document, ec);
  if (ec || !parsed.is_object()) return line;
  const boost::json::value* data_value = parsed.get_object().if_contains("data");
  const boost::json::object* data = data_value ? data_value->if_object() : nullptr;
  if (data == nullptr) return line;
  if (const auto* status = data->if_contains("status"); status && status->is_string()) {
    line.status = status->get_string();
  }
  if (const auto* error = data->if_contains("error"); error && error->is_string()) {
    line.error = error->get_string();
  }
  const boost::json::value* meta = data->if_contains("meta");
  const boost::json::object* meta_object = meta ? meta->if_object() : nullptr;
  line.row_count = IntegerAt(meta_object, "row_count");
  const boost::json::value* progress = meta_object ? meta_object->if_contains("progress") : nullptr;
  const boost::json::object* progress_object = progress ? progress->if_object() : nullptr;
  line.percent = IntegerAt(progress_object, "percent");
  line.rows_written = IntegerAt(progress_object, "rows_written");
  line.rows_total = IntegerAt(progress_object, "rows_total");
  return line;
}

std::string Describe(const std::string& id, const JobLine& line, bool bar) {
  std::string text = id + " " + line.status;
  if (line.status == "failed") return text + ": " + line.error;
  if (line.status == "success") {
    if (line.row_count) text += " (" + std::to_string(*line.row_count) + " rows)";
    return text;
  }
  if (!line.percent) return text;
  const std::int64_t percent = std::clamp<std::int64_t>(*line.percent, 0, 100);
  if (bar) {
    const auto filled = static_cast<int>(percent * kBarWidth / 100);
    text += " [" + std::string(static_cast<std::size_t>(filled), '#') +
            std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "]";
  }
  text += " " + std::to_string(percent) + "%";
  if (line.rows_written && line.rows_total) {
    text += " (" + std::to_string(*line.rows_written) + "/" + std::to_string(*line.rows_total) +
            " rows)";
  }
  return text;
}

}  // namespace

int RunJobsWait(const Args& raw) {
  const CommandSpec spec{
      "jobs wait",
      "ID",
      "Follows a job until it ends: a progress bar on a terminal, one line per change "
      "otherwise. Exit 0 on success, 1 on failed, 3 on timeout.",
      {DbOption(),
       ListenOption(),
       PublicUrlOption(),
       {"timeout", "DURATION", "", "none", "give up after this long (s, m, h, d), exit 3"}},
      1,
      1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  std::optional<Nanos> timeout;
  if (std::optional<std::string> text = args.Get("timeout")) {
    std::string reason;
    timeout = ParseDuration(*text, &reason);
    if (!timeout) {
      throw UsageError("invalid duration '" + *text + "' for --timeout: " + reason +
                       " (use a whole number with s, m, h or d, e.g. 30s, 7d)");
    }
  }
  Settings settings = ResolveSettings(args);
  const std::string public_url = PublicUrl(settings);
  const std::string& id = args.positionals[0];
  App app(settings);

  const bool terminal = isatty(STDOUT_FILENO) == 1;
  const auto deadline = timeout
                            ? std::chrono::steady_clock::now() + std::chrono::nanoseconds(*timeout)
                            : std::chrono::steady_clock::time_point::max();
  std::optional<std::uint64_t> version;
  std::string shown;  // the line last printed
  JobLine line;
  for (;;) {
    const std::uint64_t now_version = app.jobs->ListVersion();
    if (version != now_version) {
      version = now_version;
      std::optional<Job> job = app.jobs->Get(id);
      if (!job) {
        if (terminal && !shown.empty()) std::cout << "\n" << std::flush;
        throw CommandError(shown.empty() ? "no job with id " + id + " (unknown or expired)"
                                         : "job " + id + " is gone (expired)");
      }
      line = ReadJobLine(api::JobDocument(*job, public_url));
      const std::string text = Describe(id, line, terminal);
      if (text != shown) {
        shown = text;
        if (terminal) {
          std::cout << "\r\033[K" << text << std::flush;  // redrawn in place
        } else {
          std::cout << text << "\n" << std::flush;
        }
      }
      if (IsFinal(job->status)) {
        if (terminal) std::cout << "\n" << std::flush;
        return job->status == JobStatus::kSuccess ? 0 : 1;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (terminal) std::cout << "\n" << std::flush;
      std::cerr << "jobsd: timed out after " << *args.Get("timeout") << ": job " << id
                << " is still " << line.status << "\n";
      return kTimedOutExitCode;
    }
    std::this_thread::sleep_until(
        std::min(deadline, std::chrono::steady_clock::now() + kPollInterval));
  }
}

}  // namespace jobsd::cli
