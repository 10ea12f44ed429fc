// jobsd: the job engine's single executable. Dispatches to the commands of
// cli/commands.h and maps failures to exit codes: 2 for bad usage, 1 for a
// failure, each with its reason on standard error.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/help_examples.h"
#include "engine/queue/job_store.h"

namespace {

using jobsd::cli::Args;

struct Command {
  const char* group;  // "" for a top-level command
  const char* name;
  int (*run)(const Args&);
  const char* summary;
};

const Command kCommands[] = {
    {"", "serve", jobsd::cli::RunServe, "run the HTTP API and the workers"},
    {"", "migrate", jobsd::cli::RunMigrate, "create or upgrade the store"},
    {"orders", "import", jobsd::cli::RunOrdersImport, "import orders from JSON Lines"},
    {"orders", "seed", jobsd::cli::RunOrdersSeed, "write realistic demo orders"},
    {"credentials", "create", jobsd::cli::RunCredentialsCreate, "create API client credentials"},
    {"credentials", "list", jobsd::cli::RunCredentialsList, "list API clients (never secrets)"},
    {"credentials", "revoke", jobsd::cli::RunCredentialsRevoke,
     "delete an API client and its tokens"},
    {"jobs", "submit", jobsd::cli::RunJobsSubmit, "create a job"},
    {"jobs", "list", jobsd::cli::RunJobsList, "list jobs, newest first"},
    {"jobs", "get", jobsd::cli::RunJobsGet, "show one job"},
    {"jobs", "cancel", jobsd::cli::RunJobsCancel, "cancel a pending or started job"},
    {"jobs", "wait", jobsd::cli::RunJobsWait, "follow a job until it ends"},
    {"webhooks", "add", jobsd::cli::RunWebhooksAdd, "register a completion webhook endpoint"},
    {"webhooks", "list", jobsd::cli::RunWebhooksList, "list webhook endpoints (never secrets)"},
    {"webhooks", "remove", jobsd::cli::RunWebhooksRemove, "delete a webhook endpoint"},
    {"webhooks", "deliveries", jobsd::cli::RunWebhooksDeliveries,
     "recent webhook delivery attempts"},
};

void PrintUsage(std::ostream& out, const std::string& group = "") {
  out << "Usage: jobsd " << (group.empty() ? "COMMAND" : group + " COMMAND")
      << " [options]\n\nCommands:\n";
  for (const Command& command : kCommands) {
    if (!group.empty() && group != command.group) continue;
    std::string name = std::string(command.group) + (*command.group ? " " : "") + command.name;
    name.resize(std::max<std::size_t>(name.size(), 22), ' ');
    out << "  " << name << command.summary << "\n";
  }
  out << "\nRun 'jobsd COMMAND --help' for a command's options and examples.\n";
  if (group.empty()) {
    out << "\nExamples:\n";
    std::string_view examples = jobsd::cli::HelpExamples("");
    while (!examples.empty()) {
      const std::size_t end = std::min(examples.find('\n'), examples.size());
      out << "  " << examples.substr(0, end) << "\n";
      examples.remove_prefix(std::min(end + 1, examples.size()));
    }
    out << "\nReference: docs/ in the repository (filters, jobs, errors, CSV), and\n"
           "GET /openapi.json on a running serve.\n";
  }
}

bool IsGroup(const std::string& word) {
  for (const Command& command : kCommands) {
    if (word == command.group) return true;
  }
  return false;
}

int Dispatch(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    PrintUsage(std::cerr);
    return 2;
  }
  if (argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    PrintUsage(std::cout);
    return 0;
  }
  const bool grouped = IsGroup(argv[0]);
  if (grouped && (argv.size() < 2 || argv[1] == "--help" || argv[1] == "-h")) {
    const bool asked = argv.size() >= 2;
    PrintUsage(asked ? std::cout : std::cerr, argv[0]);
    return asked ? 0 : 2;
  }
  const std::string group = grouped ? argv[0] : "";
  const std::string name = grouped ? argv[1] : argv[0];
  for (const Command& command : kCommands) {
    if (group == command.group && name == command.name) {
      return command.run(Args(argv.begin() + (grouped ? 2 : 1), argv.end()));
    }
  }
  std::cerr << "jobsd: unknown command '" << (grouped ? group + " " : "") << name << "'\n\n";
  PrintUsage(std::cerr, group);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    return Dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const jobsd::cli::UsageError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const jobsd::StoreError& e) {
    std::cerr << "jobsd: " << e.what() << "\n";
    if (e.transient()) {
      // Most likely the write lock, held past the busy timeout by another
      // process; say what it means for the user rather than only SQLite's words.
      std::cerr << "jobsd: the store was busy or briefly unavailable and nothing was changed;"
                   " run the command again\n";
    }
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "jobsd: " << e.what() << "\n";
    return 1;
  }
}
