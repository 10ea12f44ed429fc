// jobsd migrate, orders import|seed, credentials create|list|revoke:
// commands that prepare a store.
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

#include "cli/app.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/progress_line.h"
#include "engine/credentials.h"
#include "engine/orders/order_import.h"
#include "engine/orders/order_seed.h"

namespace jobsd::cli {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int RunMigrate(const Args& raw) {
  const CommandSpec spec{"migrate",
                         "",
                         "Creates the store if needed and applies pending schema migrations.",
                         {DbOption()}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  std::cout << "store " << StoreLocationForDisplay(settings) << " is at schema version "
            << db->SchemaVersion() << "\n";
  return 0;
}

int RunOrdersImport(const Args& raw) {
  const CommandSpec spec{
      "orders import",
      "FILE|-",
      "Imports orders from JSON Lines (docs/orders-input.md) in one transaction. Any bad line and "
      "nothing is imported, unless --skip-invalid. An order with a known id replaces it.",
      {DbOption(), {"skip-invalid", "", "", "", "import the valid lines, report the others"}},
      1,
      1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  const std::string& source = args.positionals[0];
  std::ifstream file;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) throw CommandError("cannot read " + source + ": " + std::strerror(errno));
  }
  std::istream& in = source == "-" ? std::cin : file;
  // The file's size, when it has one, tells how far the import is.
  std::optional<std::int64_t> input_size;
  if (source != "-") {
    std::error_code size_error;
    const std::uintmax_t size = std::filesystem::file_size(source, size_error);
    if (!size_error && size > 0) input_size = static_cast<std::int64_t>(size);
  }
  auto db = OpenStore(settings);
  ImportOptions options;
  options.skip_invalid = args.Flag("skip-invalid");
  const auto start = std::chrono::steady_clock::now();
  ProgressLine progress = ProgressLine::OnStandardError();
  if (progress.enabled()) {
    options.on_progress = [&](const ImportProgress& at) {
      if (at.committing) {
        progress.Update("importing: " + GroupDigits(at.orders) + " orders read; committing...",
                        true);
        return;
      }
      std::optional<double> fraction;
      std::string text = "importing: " + GroupDigits(at.orders) + " orders";
      if (input_size) {
        fraction = static_cast<double>(at.bytes_read) / static_cast<double>(*input_size);
        text = "importing: " + Bar(*fraction) + " " +
               std::to_string(static_cast<int>(*fraction * 100)) + "% " + GroupDigits(at.orders) +
               " orders";
      }
      progress.Update(text + ", " +
                      RateAndTimeLeft(at.orders, SecondsSince(start), fraction, "orders"));
    };
  }
  ImportReport report = ImportOrders(in, db->orders(), options);
  progress.Clear();
  for (const BadOrderLine& bad : report.bad_lines) {
    std::cerr << source << ":" << bad.line_number << ": " << bad.reason << "\n";
  }
  if (report.bad_line_count > static_cast<std::int64_t>(report.bad_lines.size())) {
    std::cerr << "... and "
              << report.bad_line_count - static_cast<std::int64_t>(report.bad_lines.size())
              << " more bad lines\n";
  }
  if (!report.committed) {
    std::cerr << "jobsd orders import: " << report.bad_line_count
              << " bad line(s); nothing was imported (use --skip-invalid to import the "
              << report.valid_lines << " valid line(s))\n";
    return 1;
  }
  std::cout << "imported " << report.imported << " orders";
  if (report.bad_line_count > 0) std::cout << ", skipped " << report.bad_line_count << " bad lines";
  std::cout << " in " << SecondsSince(start) << " s (the store was locked for "
            << report.commit_seconds << " s of it)\n";
  return 0;
}

int RunOrdersSeed(const Args& raw) {
  const CommandSpec spec{
      "orders seed",
      "",
      "Writes N realistic, deterministic demo orders (same --seed, same orders).",
      {DbOption(),
       {"count", "N", "", "", "how many orders (required)"},
       {"seed", "S", "", "1", "seed of the generator"}}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  auto parse = [](const std::string& name, const std::string& text, long long max) {
    try {
      std::size_t used = 0;
      const long long value = std::stoll(text, &used);
      if (used == text.size() && value >= 0 && value <= max) return value;
    } catch (const std::exception&) {
    }
    throw UsageError("invalid value '" + text + "' for --" + name +
                     ": expected a whole number from 0 to " + std::to_string(max));
  };
  std::optional<std::string> count_text = args.Get("count");
  if (!count_text) throw UsageError("jobsd orders seed: --count is required (e.g. --count 1000)");
  const long long count = parse("count", *count_text, 100'000'000);
  const long long seed =
      parse("seed", args.Get("seed").value_or("1"), std::numeric_limits<long long>::max());
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  const auto start = std::chrono::steady_clock::now();
  ProgressLine progress = ProgressLine::OnStandardError();
  std::function<void(const SeedProgress&)> on_progress;
  if (progress.enabled()) {
    on_progress = [&](const SeedProgress& at) {
      const double fraction =
          at.count > 0 ? static_cast<double>(at.generated) / static_cast<double>(at.count) : 1;
      std::string text = "seeding: " + Bar(fraction) + " " +
                         std::to_string(static_cast<int>(fraction * 100)) + "% " +
                         GroupDigits(at.generated) + "/" + GroupDigits(at.count) + " orders";
      if (at.committing) {
        progress.Update(text + "; committing...", true);
      } else {
        progress.Update(text + ", " +
                        RateAndTimeLeft(at.generated, SecondsSince(start), fraction, "orders"));
      }
    };
  }
  SeedReport report =
      SeedOrders(db->orders(), count, static_cast<std::uint64_t>(seed), kSeedChunk, on_progress);
  progress.Clear();
  const double seconds = SecondsSince(start);
  std::cout << "seeded " << report.written << " orders in " << seconds << " s";
  if (seconds > 0)
    std::cout << " (" << static_cast<long long>(report.written / seconds) << " orders/s)";
  std::cout << "; the store was locked for " << report.commit_seconds << " s of it\n";
  return 0;
}

int RunCredentialsCreate(const Args& raw) {
  const CommandSpec spec{
      "credentials create",
      "",
      "Creates an API client. The secret is printed once; only its salted hash is stored.",
      {DbOption(), {"json", "", "", "", "print {\"client_id\":…,\"client_secret\":…}"}}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  SystemClock clock;
  Authenticator auth(db->credentials(), clock);
  ClientCredentials created = auth.CreateClient();
  if (args.Flag("json")) {
    boost::json::object out{{"client_id", created.client_id},
                            {"client_secret", created.client_secret}};
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::cout << "client_id: " << created.client_id << "\n"
              << "client_secret: " << created.client_secret << "\n";
  }
  return 0;
}

int RunCredentialsList(const Args& raw) {
  const CommandSpec spec{
      "credentials list",
      "",
      "Lists the API clients, oldest first, with when each was created and how many live access "
      "tokens it holds. Secrets are never shown (only their hashes are stored).",
      {DbOption(),
       {"json", "", "", "",
        "print {\"data\":[{\"client_id\":…,\"created_at\":…,\"live_tokens\":…}]}"}}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  auto db = OpenStore(settings);
  SystemClock clock;
  Authenticator auth(db->credentials(), clock);
  const std::vector<ClientSummary> clients = auth.ListClients();
  if (args.Flag("json")) {
    boost::json::array data;
    for (const ClientSummary& client : clients) {
      data.push_back(boost::json::object{{"client_id", client.client_id},
                                         {"created_at", FormatRfc3339Nano(client.created_at)},
                                         {"live_tokens", client.live_tokens}});
    }
    std::cout << boost::json::serialize(boost::json::object{{"data", std::move(data)}}) << "\n";
    return 0;
  }
  if (clients.empty()) {
    std::cout << "no API clients (jobsd credentials create makes one)\n";
    return 0;
  }
  for (const ClientSummary& client : clients) {
    std::cout << client.client_id << "  created " << FormatRfc3339Nano(client.created_at) << "  "
              << client.live_tokens << " live token" << (client.live_tokens == 1 ? "" : "s")
              << "\n";
  }
  return 0;
}

int RunCredentialsRevoke(const Args& raw) {
  const CommandSpec spec{
      "credentials revoke",
      "CLIENT_ID",
      "Deletes an API client and its access tokens. A running jobsd serve stops accepting its "
      "tokens within a second; its jobs stay.",
      {DbOption()},
      1,
      1};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  const std::string& client_id = args.positionals[0];
  auto db = OpenStore(settings);
  SystemClock clock;
  Authenticator auth(db->credentials(), clock);
  if (!auth.DeleteClient(client_id)) {
    throw CommandError("credentials revoke: no API client has client_id '" + client_id +
                       "' (jobsd credentials list shows them)");
  }
  std::cout << "revoked client " << client_id << "\n";
  return 0;
}

}  // namespace jobsd::cli
