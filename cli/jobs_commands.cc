// jobsd jobs submit|list|get|cancel: the job store from a script, without
// the HTTP API. With --json they print exactly what the API would.
#include <charconv>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string_view>

#include "api/job_json.h"
#include "cli/app.h"
#include "cli/args.h"
#include "cli/commands.h"

namespace jobsd::cli {
namespace {

OptionSpec JsonOption() { return {"json", "", "", "", "print the API's JSON instead of text"}; }

// Links in --json output point where the API would serve them.
std::vector<OptionSpec> StoreOptions(std::vector<OptionSpec> extra) {
  std::vector<OptionSpec> options = {DbOption(), ListenOption(), PublicUrlOption()};
  options.insert(options.end(), extra.begin(), extra.end());
  return options;
}

// The row count an order export put in its result ({"row_count":N}).
std::optional<std::int64_t> RowCountOf(const Job& job) {
  static constexpr std::string_view kMember = "\"row_count\":";
  const std::size_t at = job.result.find(kMember);
  if (at == std::string::npos) return std::nullopt;
  const char* first = job.result.data() + at + kMember.size();
  std::int64_t rows = 0;
  if (std::from_chars(first, job.result.data() + job.result.size(), rows).ec != std::errc()) {
    return std::nullopt;
  }
  return rows;
}

// `artifacts` turns an artifact's key into where it is (the file's path).
void PrintJobText(const Job& job, const ArtifactStore& artifacts) {
  std::cout << "id:         " << job.id << "\n"
            << "job_type:   " << job.job_type << "\n"
            << "status:     " << ToString(job.status) << "\n"
            << "filter:     " << job.params << "\n"
            << "attempts:   " << job.attempts << " of " << job.max_attempts << "\n"
            << "created_at: " << FormatRfc3339Nano(job.created_at) << "\n"
            << "updated_at: " << FormatRfc3339Nano(job.updated_at) << "\n";
  if (job.error) std::cout << "error:      " << *job.error << "\n";
  if (std::optional<std::int64_t> rows = RowCountOf(job)) {
    std::cout << "rows:       " << *rows << "\n";
  }
  if (job.artifact) std::cout << "file:       " << artifacts.Describe(job.artifact->key) << "\n";
}

int ParseBound(const ParsedArgs& args, std::string_view name, int fallback, int min, int max) {
  std::optional<std::string> text = args.Get(name);
  if (!text) return fallback;
  try {
    std::size_t used = 0;
    const int value = std::stoi(*text, &used);
    if (used == text->size() && value >= min && value <= max) return value;
  } catch (const std::exception&) {
  }
  throw UsageError("invalid value '" + *text + "' for --" + std::string(name) +
                   ": expected a whole number from " + std::to_string(min) + " to " +
                   std::to_string(max));
}

}  // namespace

int RunJobsSubmit(const Args& raw) {
  const CommandSpec spec{
      "jobs submit", "", "Creates a job in the store; a running `jobsd serve` picks it up.",
      StoreOptions({{"type", "TYPE", "", "", "job type, e.g. order_export"},
                    {"filter", "FILTER", "", "", "filter over orders (docs/filters.md)"},
                    RetentionOption(),
                    JsonOption()})};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  std::optional<std::string> type = args.Get("type");
  if (!type) throw UsageError("jobsd jobs submit: --type is required (e.g. --type order_export)");
  Settings settings = ResolveSettings(args);
  App app(settings);
  CreateJobRequest request;
  request.job_type = *type;
  request.params = args.Get("filter").value_or("");
  CreateJobResult result;
  try {
    result = app.jobs->Create(request);
  } catch (const InvalidRequest& e) {
    std::string message = e.what();
    if (!e.reason().empty()) message += ": " + e.reason();
    throw UsageError("jobsd jobs submit: " + message);
  }
  if (args.Flag("json")) {
    std::cout << api::JobDocument(result.job, PublicUrl(settings)) << "\n";
  } else {
    std::cout << result.job.id << "\n";
  }
  return 0;
}

int RunJobsList(const Args& raw) {
  const CommandSpec spec{"jobs list", "", "Lists jobs, newest first, as GET /v2/jobs does.",
                         StoreOptions({{"filter", "FILTER", "", "",
                                        "filter over status, job_type, created_at, updated_at"},
                                       {"limit", "N", "", "25", "jobs per page, 1 to 100"},
                                       {"offset", "N", "", "0", "jobs to skip"},
                                       JsonOption()})};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  ListJobsRequest request;
  request.filter = args.Get("filter").value_or("");
  request.limit = ParseBound(args, "limit", 25, 1, 100);
  request.offset = ParseBound(args, "offset", 0, 0, std::numeric_limits<int>::max());
  App app(settings);
  JobPage page;
  try {
    page = app.jobs->List(request);
  } catch (const InvalidRequest& e) {
    throw UsageError("jobsd jobs list: " + std::string(e.what()) + ": " + e.reason());
  }
  if (args.Flag("json")) {
    std::cout << api::JobListDocument(page, request, PublicUrl(settings)) << "\n";
    return 0;
  }
  for (const Job& job : page.jobs) {
    std::cout << job.id << "  " << ToString(job.status) << "\t" << job.job_type << "  "
              << FormatRfc3339Nano(job.created_at);
    if (job.error) std::cout << "  " << *job.error;
    std::cout << "\n";
  }
  std::cerr << page.jobs.size() << " of " << page.total << " jobs\n";
  return 0;
}

int RunJobsGet(const Args& raw) {
  const CommandSpec spec{"jobs get", "ID", "Shows one job.", StoreOptions({JsonOption()}), 1, 1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  App app(settings);
  std::optional<Job> job = app.jobs->Get(args.positionals[0]);
  if (!job) throw CommandError("no job with id " + args.positionals[0] + " (unknown or expired)");
  if (args.Flag("json")) {
    std::cout << api::JobDocument(*job, PublicUrl(settings)) << "\n";
  } else {
    PrintJobText(*job, *app.artifacts);
  }
  return 0;
}

// As POST /v2/jobs/{id}/cancel (docs/jobs.md). Exit 0 with the job as
// `jobs get` shows it once cancelled (a started job's worker, in whichever
// jobsd serve runs it, stops within a second: its next lease renewal finds
// the claim gone); exit 1 with one line on standard error when the job is
// unknown or expired (the API's 404) or has already finished (its 409).
int RunJobsCancel(const Args& raw) {
  const CommandSpec spec{"jobs cancel",
                         "ID",
                         "Cancels a pending or started job: it ends failed with the error "
                         "\"Cancelled by request\" and publishes no file.",
                         StoreOptions({JsonOption()}),
                         1,
                         1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  App app(settings);
  const CancelResult result = app.jobs->Cancel(args.positionals[0]);
  switch (result.kind) {
    case CancelResult::Kind::kCancelled:
      break;
    case CancelResult::Kind::kAlreadyFinished:
      throw CommandError("job " + args.positionals[0] +
                         " has already finished; it was not cancelled. Job status: " +
                         std::string(ToString(result.job.status)));
    case CancelResult::Kind::kNotFound:
      throw CommandError("no job with id " + args.positionals[0] + " (unknown or expired)");
  }
  if (args.Flag("json")) {
    std::cout << api::JobDocument(result.job, PublicUrl(settings)) << "\n";
  } else {
    PrintJobText(result.job, *app.artifacts);
  }
  return 0;
}

}  // namespace jobsd::cli
