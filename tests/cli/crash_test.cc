// The crash suite: the real `jobsd serve` is killed with SIGKILL many times
// while jobs are submitted (by `jobsd jobs submit` and over HTTP) and their
// files downloaded. It proves what "acknowledged means stored" promises:
// no acknowledged job is lost, none stays stuck, every file equals the one
// an undisturbed run writes, and no partial file is ever served or left.
//
// It reads the store through its ports (tests/support/store_reader.h), so
// CTest runs it twice: on a SQLite file with its exports directory, and
// (JOBSD_TEST_STORE=postgres, `postgres:` prefix) on a PostgreSQL schema
// that keeps the files itself.
//
// JOBSD_CRASH_KILLS sets the number of kills (default 20) and
// JOBSD_CRASH_SEED the random seed (printed, to replay a failing run).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string_view>
#include <thread>

#include "engine/queue/job.h"
#include "tests/support/http_client.h"
#include "tests/support/live_jobsd.h"
#include "tests/support/process.h"
#include "tests/support/store_reader.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"

namespace jobsd {
namespace {

using namespace std::chrono_literals;
using testing::Background;
using testing::JobsdBinary;
using testing::RunResult;
using SteadyClock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Enough orders that a full export takes a noticeable time, so kills land
// in the middle of exports; fewer under sanitizers, which are ~5x slower.
constexpr int kOrders = kSanitized ? 12000 : 60000;
constexpr auto kFinalWait = kSanitized ? 600s : 180s;

// Six filters; the last matches nothing (order numbers are never this).
const std::vector<std::string> kFilters = {
    "",
    "eq(payment,paid)",
    "in(status,complete,processing)",
    "eq(currency,EUR):eq(shipping,fulfilled)",
    "eq(product_sku,mug-002)",
    "eq(order_number,no-such-order)",
};
constexpr std::size_t kNoMatch = 5;
constexpr std::string_view kNoResults = "No results matched the supplied filter";

int EnvInt(const char* name, int fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::stoi(text) : fallback;
}

std::string Str(const boost::json::value& value) {
  return value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
}

// How many started jobs a serve took back from the process killed before it.
int TakenBack(const std::string& serve_stderr) {
  std::smatch match;
  if (!std::regex_search(serve_stderr, match, std::regex("took back (\\d+) job"))) return 0;
  return std::stoi(match[1]);
}

using testing::Http;
using testing::HttpResponse;
using testing::UrlPath;

// ---- The store, read through its ports ---------------------------------

struct StoredJob {
  std::string id, status, filter, error, artifact_key;
  std::int64_t row_count = -1;
  int interruptions = 0;
};

StoredJob Stored(const Job& job) {
  StoredJob stored{job.id,
                   std::string(ToString(job.status)),
                   job.params,
                   job.error.value_or(""),
                   job.artifact ? job.artifact->key : "",
                   -1,
                   job.interruptions};
  if (!job.result.empty()) {
    const boost::json::value result = boost::json::parse(job.result);
    if (const boost::json::value* rows = result.as_object().if_contains("row_count")) {
      stored.row_count = rows->as_int64();
    }
  }
  return stored;
}

// Every job in the store.
std::vector<StoredJob> ReadStoredJobs(testing::StoreReader& store) {
  std::vector<StoredJob> jobs;
  for (const Job& job : store.Jobs()) jobs.push_back(Stored(job));
  return jobs;
}

bool IsStarted(testing::StoreReader& store, const std::string& id) {
  std::optional<Job> job = store.Find(id);
  return job && job->status == JobStatus::kStarted;
}

// The file of a success job, as the store keeps it.
std::string ReadArtifact(testing::StoreReader& store, const StoredJob& job) {
  std::optional<std::string> bytes = store.Read(job.artifact_key);
  EXPECT_TRUE(bytes) << job.id << ": no file under " << job.artifact_key;
  return bytes.value_or("");
}

// Started jobs one interruption away from the limit. The engine deliberately
// fails a job whose runs were cut short kMaxInterruptions times (README,
// "Crash recovery": it cannot tell a job that crashes jobsd from an outside
// kill), so with many kills the suite never kills a server running one of
// these: it lets it finish. With the default 20 kills this never happens.
std::vector<StoredJob> JobsOnTheirLastAttempt(testing::StoreReader& store) {
  std::vector<StoredJob> last;
  for (StoredJob& job : ReadStoredJobs(store)) {
    if (job.status == "started" && job.interruptions + 1 >= kMaxInterruptions) {
      last.push_back(std::move(job));
    }
  }
  return last;
}

// ---- The fixture: a store in a temp dir (or a PostgreSQL schema), the real binary

class CrashTest : public ::testing::Test {
 protected:
  static bool OnPostgres() {
    const char* store = std::getenv("JOBSD_TEST_STORE");
    return store != nullptr && std::string_view(store) == "postgres";
  }

  std::map<std::string, std::string> Env() {
    return {{"JOBSD_DB", location_},
            {"JOBSD_EXPORTS", exports_.string()},
            {"JOBSD_LISTEN", "127.0.0.1:0"}};
  }

  RunResult Jobsd(std::vector<std::string> args) {
    args.insert(args.begin(), JobsdBinary());
    return testing::Run(args, Env());
  }

  // Starts serve and returns it with its port (0 when it did not come up).
  std::pair<std::unique_ptr<Background>, int> StartServe(const std::string& log_name) {
    auto serve = std::make_unique<Background>(
        std::vector<std::string>{JobsdBinary(), "serve", "--workers", "2"},
        (dir_ / log_name).string(), Env());
    const int port = testing::WaitForListeningPort(*serve, kSanitized ? 120s : 30s);
    return {std::move(serve), port};
  }

  // Jobs not yet success or failed, as the store sees them.
  std::int64_t UnfinishedJobs() {
    RunResult listed =
        Jobsd({"jobs", "list", "--json", "--limit", "1", "--filter", "in(status,pending,started)"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    if (listed.exit_code != 0) return -1;
    return boost::json::parse(listed.out).at("meta").at("results").at("total").as_int64();
  }

  bool WaitUntilAllFinal(std::chrono::seconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (SteadyClock::now() < deadline) {
      if (UnfinishedJobs() == 0) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // The store, read directly; opened on first use (a command created it).
  testing::StoreReader& Store() {
    if (!store_) store_ = std::make_unique<testing::StoreReader>(location_, exports_);
    return *store_;
  }

  testing::TempDir dir_;
  std::string location_ =
      OnPostgres() ? testing::FreshPostgresSchema() : (dir_ / "store.db").string();
  std::filesystem::path exports_ = dir_ / "exports";
  std::unique_ptr<testing::StoreReader> store_;
};

// What the chaos run learned, shared by its threads.
struct ChaosLog {
  std::mutex mutex;
  std::map<std::string, std::size_t> acknowledged;  // job id -> filter index
  std::set<std::string> verified_over_http;
  int cli_submissions = 0, http_submissions = 0, http_refused = 0;
  int downloads = 0, interrupted_downloads = 0;
};

TEST_F(CrashTest, KillNineNeverLosesAnAcknowledgedJobNorServesAPartialFile) {
  const int kills = EnvInt("JOBSD_CRASH_KILLS", 20);
  const auto seed = static_cast<std::uint64_t>(
      EnvInt("JOBSD_CRASH_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  std::cout << "crash suite: seed " << seed << " (JOBSD_CRASH_SEED=" << seed << " replays it), "
            << kills << " kills, " << kOrders << " orders\n"
            << std::flush;
  const auto began = SteadyClock::now();

  // ---- Set-up: orders, credentials, and the reference files of an
  // undisturbed run, one per filter, before any chaos.
  ASSERT_EQ(Jobsd({"orders", "seed", "--count", std::to_string(kOrders), "--seed", "5"}).exit_code,
            0);
  RunResult created = Jobsd({"credentials", "create", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const boost::json::value credentials = boost::json::parse(created.out);

  std::vector<std::string> reference(kFilters.size());
  {
    std::vector<std::string> ids;
    for (const std::string& filter : kFilters) {
      RunResult submitted = Jobsd({"jobs", "submit", "--type", "order_export", "--filter", filter});
      ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
      ids.push_back(submitted.out.substr(0, 36));
    }
    auto [serve, port] = StartServe("reference");
    ASSERT_GT(port, 0) << serve->Stderr();
    const auto started = SteadyClock::now();
    ASSERT_TRUE(WaitUntilAllFinal(kFinalWait)) << serve->Stderr();
    std::cout << "crash suite: reference run exported " << kFilters.size() << " filters in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started)
                     .count()
              << " ms\n";
    serve->Signal(SIGTERM);
    std::optional<RunResult> exited = serve->Wait(60s);
    ASSERT_TRUE(exited);
    ASSERT_EQ(exited->exit_code, 0) << exited->err;
    std::map<std::string, StoredJob> stored;
    for (StoredJob& job : ReadStoredJobs(Store())) stored[job.id] = job;
    for (std::size_t i = 0; i < kFilters.size(); ++i) {
      const StoredJob& job = stored[ids[i]];
      if (i == kNoMatch) {
        ASSERT_EQ(job.status, "failed");
        ASSERT_EQ(job.error, kNoResults);
        continue;
      }
      ASSERT_EQ(job.status, "success") << kFilters[i] << ": " << job.error;
      reference[i] = ReadArtifact(Store(), job);
      ASSERT_GT(job.row_count, 0);
    }
  }

  // ---- Chaos: submissions and downloads while serve is killed again and again.
  ChaosLog log;
  std::atomic<int> live_port{0};  // 0 while serve is down
  std::atomic<bool> chaos_over{false};
  std::string token;

  auto submit_over_http = [&](int port, std::size_t filter) {
    boost::json::object data{
        {"type", "job"}, {"job_type", "order_export"}, {"filter", kFilters[filter]}};
    HttpResponse response =
        Http(port, "POST", "/v2/jobs",
             {"Authorization: Bearer " + token, "Content-Type: application/json"},
             boost::json::serialize(boost::json::object{{"data", data}}));
    std::lock_guard lock(log.mutex);
    ++log.http_submissions;
    // Only a whole 202 acknowledges; anything else (refused, cut) does not.
    if (!response.complete || response.status != 202) {
      ++log.http_refused;
      if (response.complete && response.status != 202 && response.status != 503) {
        ADD_FAILURE() << "POST /v2/jobs answered " << response.status << ": " << response.body;
      }
      return;
    }
    log.acknowledged[Str(boost::json::parse(response.body).at("data").at("id"))] = filter;
  };

  auto submit_with_cli = [&](std::size_t filter) {
    RunResult submitted =
        Jobsd({"jobs", "submit", "--type", "order_export", "--filter", kFilters[filter]});
    // The CLI works on the store itself: a killed serve must never stop it.
    EXPECT_EQ(submitted.exit_code, 0) << submitted.err;
    std::lock_guard lock(log.mutex);
    ++log.cli_submissions;
    if (submitted.exit_code == 0) log.acknowledged[submitted.out.substr(0, 36)] = filter;
  };

  // Downloads the file of every job that is success (once each, plus a
  // random earlier one each pass), judging every response that arrived whole.
  auto verify_files = [&](int port, std::mt19937_64& random, bool final_pass) {
    std::vector<std::pair<std::string, std::string>> files;  // id, href
    for (int offset = 0;; offset += 100) {
      HttpResponse page = Http(port, "GET",
                               "/v2/jobs?page[limit]=100&page[offset]=" + std::to_string(offset) +
                                   "&filter=eq(status,success)",
                               {"Authorization: Bearer " + token});
      if (!page.complete || page.status != 200) {
        if (final_pass) ADD_FAILURE() << "listing jobs: " << page.status << " " << page.body;
        return;
      }
      const boost::json::value body = boost::json::parse(page.body);
      for (const boost::json::value& job : body.at("data").as_array()) {
        files.emplace_back(Str(job.at("id")), Str(job.at("link").at("href")));
      }
      if (body.at("links").at("next").is_null()) break;
    }
    std::vector<std::pair<std::string, std::string>> todo;
    {
      std::lock_guard lock(log.mutex);
      for (const auto& file : files) {
        if (final_pass || log.verified_over_http.count(file.first) == 0) todo.push_back(file);
      }
      if (!final_pass && !files.empty()) todo.push_back(files[random() % files.size()]);
    }
    for (const auto& [id, href] : todo) {
      if (!final_pass && live_port.load() != port) return;  // about to be killed
      std::size_t filter;
      {
        std::lock_guard lock(log.mutex);
        auto known = log.acknowledged.find(id);
        if (known == log.acknowledged.end()) continue;  // not ours (a reference or cut POST)
        filter = known->second;
      }
      EXPECT_NE(href, "") << "success without a link: " << id;
      HttpResponse file = Http(port, "GET", UrlPath(href));
      std::lock_guard lock(log.mutex);
      ++log.downloads;
      if (!file.complete) {
        ++log.interrupted_downloads;
        if (final_pass) ADD_FAILURE() << "download of " << id << " was cut";
        continue;
      }
      EXPECT_EQ(file.status, 200) << "the file of success job " << id << ": " << file.body;
      EXPECT_TRUE(file.body == reference[filter])
          << "job " << id << " (" << kFilters[filter] << ") served " << file.body.size()
          << " bytes, the reference has " << reference[filter].size();
      log.verified_over_http.insert(id);
    }
  };

  std::mt19937_64 random(seed);
  int kills_survived = 0, kills_deferred = 0, taken_back = 0;
  std::unique_ptr<Background> serve;
  int port = 0;
  {
    std::tie(serve, port) = StartServe("chaos-0");
    ASSERT_GT(port, 0) << serve->Stderr();
    HttpResponse granted = Http(
        port, "POST", "/oauth/access_token", {"Content-Type: application/x-www-form-urlencoded"},
        "grant_type=client_credentials&client_id=" + Str(credentials.at("client_id")) +
            "&client_secret=" + Str(credentials.at("client_secret")));
    ASSERT_EQ(granted.status, 200) << granted.body;
    token = Str(boost::json::parse(granted.body).at("access_token"));
  }

  std::thread submitter([&, random = std::mt19937_64(seed + 1)]() mutable {
    for (std::size_t n = 0; !chaos_over.load(); ++n) {
      const std::size_t filter = n % kFilters.size();
      if (n % 2 == 0) {
        submit_with_cli(filter);
      } else if (const int p = live_port.load(); p != 0) {
        submit_over_http(p, filter);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50 + random() % 200));
    }
  });
  std::thread downloader([&, random = std::mt19937_64(seed + 2)]() mutable {
    while (!chaos_over.load()) {
      if (const int p = live_port.load(); p != 0) verify_files(p, random, false);
      std::this_thread::sleep_for(50ms);
    }
  });

  for (int kill = 0; kill < kills; ++kill) {
    if (kill > 0) std::tie(serve, port) = StartServe("chaos-" + std::to_string(kill));
    if (port == 0) {
      ADD_FAILURE() << "serve did not start after kill " << kill << ": " << serve->Stderr();
      break;
    }
    taken_back += TakenBack(serve->Stderr());
    live_port.store(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + random() % 751));
    live_port.store(0);
    // Frozen, the server claims nothing while we look at what it runs.
    serve->Signal(SIGSTOP);
    for (std::vector<StoredJob> last; !(last = JobsOnTheirLastAttempt(Store())).empty();) {
      ++kills_deferred;
      serve->Signal(SIGCONT);
      const auto deadline = SteadyClock::now() + kFinalWait;
      for (const StoredJob& job : last) {
        while (SteadyClock::now() < deadline && IsStarted(Store(), job.id)) {
          std::this_thread::sleep_for(20ms);
        }
      }
      serve->Signal(SIGSTOP);
    }
    if (std::optional<RunResult> early = serve->Wait(0ms)) {
      ADD_FAILURE() << "serve exited by itself (code " << early->exit_code << ", signal "
                    << early->signal << "): " << early->err;
      break;
    }
    serve->Signal(SIGKILL);
    std::optional<RunResult> killed = serve->Wait(30s);
    ASSERT_TRUE(killed);
    EXPECT_EQ(killed->signal, SIGKILL);
    ++kills_survived;
  }
  chaos_over.store(true);
  submitter.join();
  downloader.join();

  // ---- End: one last run drains the queue undisturbed.
  std::tie(serve, port) = StartServe("final");
  ASSERT_GT(port, 0) << serve->Stderr();
  taken_back += TakenBack(serve->Stderr());
  EXPECT_TRUE(WaitUntilAllFinal(kFinalWait)) << "jobs still unfinished: " << serve->Stderr();
  {
    std::mt19937_64 unused(seed);
    verify_files(port, unused, true);
  }
  serve->Signal(SIGTERM);
  std::optional<RunResult> exited = serve->Wait(60s);
  ASSERT_TRUE(exited) << "serve did not stop on SIGTERM";
  EXPECT_EQ(exited->exit_code, 0) << exited->err;

  // Every acknowledged job exists, as the CLI (the API's JSON) shows it.
  int checked = 0;
  for (const auto& [id, filter] : log.acknowledged) {
    RunResult got = Jobsd({"jobs", "get", id, "--json"});
    ASSERT_EQ(got.exit_code, 0) << "acknowledged job " << id << " is lost: " << got.err;
    const boost::json::value job = boost::json::parse(got.out).at("data");
    const std::string status = Str(job.at("status"));
    if (filter == kNoMatch) {
      EXPECT_EQ(status, "failed") << id;
      if (status == "failed") {
        EXPECT_EQ(Str(job.at("error")), kNoResults) << id;
      }
    } else {
      EXPECT_EQ(status, "success")
          << id << " (" << kFilters[filter] << ") "
          << (job.as_object().contains("error") ? Str(job.at("error")) : "");
    }
    ++checked;
  }

  // Every job in the store (acknowledged or cut off mid-answer) is final;
  // every file is whole, equal to the reference, and referenced by a job.
  int files_verified = 0;
  std::map<std::string, std::size_t> filter_index;
  for (std::size_t i = 0; i < kFilters.size(); ++i) filter_index[kFilters[i]] = i;
  for (const StoredJob& job : ReadStoredJobs(Store())) {
    EXPECT_TRUE(job.status == "success" || job.status == "failed")
        << job.id << " is stuck in " << job.status;
    const std::size_t filter = filter_index.at(job.filter);
    if (job.status == "failed") {
      EXPECT_EQ(filter, kNoMatch) << job.id << " (" << job.filter << ") failed: " << job.error;
      EXPECT_EQ(job.error, kNoResults) << job.id;
      EXPECT_EQ(job.artifact_key, "") << job.id;
      continue;
    }
    if (job.status != "success") continue;
    EXPECT_TRUE(ReadArtifact(Store(), job) == reference[filter])
        << job.id << " (" << job.filter << "): the file differs from the reference";
    ++files_verified;
  }
  // What the kills left: temporaries of exports cut short, files published
  // just before a kill whose job never recorded them. The start-up sweep of
  // the final run removed them all (SQLite); on PostgreSQL the sweep spares
  // them for a grace period (another node may be writing them), so there
  // they may remain, but none may be readable unless it is a whole file.
  int leftovers = 0;
  for (const std::string& key : Store().Leftovers()) {
    ++leftovers;
    if (!Store().SweepKeepsRecentLeftovers()) {
      ADD_FAILURE() << "left behind after the start-up sweep: " << key;
      continue;
    }
    if (std::optional<std::string> bytes = Store().Read(key)) {
      EXPECT_TRUE(std::find(reference.begin(), reference.end(), *bytes) != reference.end())
          << "a published file no job refers to is not whole: " << key;
    }
  }

  EXPECT_EQ(kills_survived, kills);
  EXPECT_GT(log.acknowledged.size(), 0u);
  EXPECT_GT(log.verified_over_http.size(), 0u) << "no file was downloaded during the chaos";
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - began).count();
  std::cout << "crash suite: " << log.cli_submissions << " CLI and " << log.http_submissions
            << " HTTP submissions (" << log.http_refused << " not acknowledged), " << taken_back
            << " running jobs taken back after kills, " << kills_deferred
            << " kills deferred for a job at its interruption limit, " << log.downloads
            << " downloads (" << log.interrupted_downloads << " cut by a kill), " << seconds
            << " s, seed " << seed << "\n";
  std::cout << "crash suite: " << kills_survived << " kills survived, " << checked
            << " jobs checked, " << files_verified << " files verified, " << leftovers
            << " leftovers within the sweep's grace\n";
}

// Scripts run `jobsd jobs submit|list` while serve is busy claiming and
// finishing jobs: they must wait for the store, never fail with "database
// is locked".
TEST_F(CrashTest, CliCommandsNeverFailWhileServeIsBusy) {
  ASSERT_EQ(Jobsd({"orders", "seed", "--count", "2000", "--seed", "7"}).exit_code, 0);
  auto [serve, port] = StartServe("busy");
  ASSERT_GT(port, 0) << serve->Stderr();

  std::atomic<bool> submitting{true};
  std::vector<std::string> ids;
  std::mutex mutex;
  auto check = [](const RunResult& result, const std::string& what) {
    EXPECT_EQ(result.exit_code, 0) << what << ": " << result.err;
    EXPECT_EQ(result.err.find("locked"), std::string::npos) << what << ": " << result.err;
    EXPECT_EQ(result.err.find("busy"), std::string::npos) << what << ": " << result.err;
  };
  auto submit_many = [&](int count, std::size_t first_filter) {
    for (int i = 0; i < count; ++i) {
      const std::string& filter = kFilters[(first_filter + i) % (kFilters.size() - 1)];
      RunResult submitted = Jobsd({"jobs", "submit", "--type", "order_export", "--filter", filter});
      check(submitted, "jobs submit");
      std::lock_guard lock(mutex);
      if (submitted.exit_code == 0) ids.push_back(submitted.out.substr(0, 36));
    }
  };
  int lists = 0;
  std::thread lister([&] {
    while (submitting.load()) {
      check(Jobsd({"jobs", "list", "--limit", "100"}), "jobs list");
      check(Jobsd({"jobs", "list", "--json", "--filter", "eq(status,started)"}), "jobs list");
      lists += 2;
    }
  });
  std::thread first([&] { submit_many(50, 0); });
  std::thread second([&] { submit_many(50, 2); });
  first.join();
  second.join();
  submitting.store(false);
  lister.join();

  ASSERT_EQ(ids.size(), 100u);
  EXPECT_TRUE(WaitUntilAllFinal(kFinalWait)) << serve->Stderr();
  for (const StoredJob& job : ReadStoredJobs(Store())) {
    EXPECT_EQ(job.status, "success") << job.id << " (" << job.filter << "): " << job.error;
  }
  serve->Signal(SIGTERM);
  std::optional<RunResult> exited = serve->Wait(60s);
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit_code, 0) << exited->err;
  EXPECT_EQ(exited->err.find("locked"), std::string::npos) << exited->err;
  std::cout << "busy serve: 100 submissions and " << lists << " lists, all exit 0\n";
}

// An `orders import` while serve runs and scripts keep submitting jobs. The
// import stages its orders without locking the store and takes the write
// lock only for its final merge, so no submission fails or waits long, and
// the export jobs keep finishing.
TEST_F(CrashTest, OrdersImportWhileServingFailsNoSubmission) {
  ASSERT_EQ(Jobsd({"orders", "seed", "--count", "500", "--seed", "3"}).exit_code, 0);
  auto [serve, port] = StartServe("import");
  ASSERT_GT(port, 0) << serve->Stderr();

  // Many copies of the example's first order under new ids.
  std::ifstream example(testing::TestDataFile("orders.example.jsonl"));
  std::string line;
  ASSERT_TRUE(std::getline(example, line));
  const std::string example_id = "9ac74c41-7d64-45b6-b8e6-7e41e557b176";
  const std::size_t id_at = line.find(example_id);
  ASSERT_NE(id_at, std::string::npos);
  const int imported = kSanitized ? 10'000 : 40'000;
  const std::filesystem::path file = dir_ / "orders.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < imported; ++i) {
      char id[37];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
      out << line.substr(0, id_at) << id << line.substr(id_at + example_id.size()) << "\n";
    }
  }

  Background import({JobsdBinary(), "orders", "import", file.string()}, (dir_ / "import").string(),
                    Env());
  int submitted = 0, while_importing = 0;
  std::optional<RunResult> import_result;
  while (!import_result) {
    import_result = import.Wait(0ms);
    RunResult result = Jobsd({"jobs", "submit", "--type", "order_export"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err.find("locked"), std::string::npos) << result.err;
    ++submitted;
    if (!import_result) ++while_importing;
  }
  EXPECT_EQ(import_result->exit_code, 0) << import_result->err;
  EXPECT_NE(import_result->out.find("imported " + std::to_string(imported) + " orders"),
            std::string::npos)
      << import_result->out;
  EXPECT_GT(while_importing, 0) << "the import ended before the first submission";

  EXPECT_TRUE(WaitUntilAllFinal(kFinalWait)) << serve->Stderr();
  std::set<std::int64_t> row_counts;
  for (const StoredJob& job : ReadStoredJobs(Store())) {
    EXPECT_EQ(job.status, "success") << job.id << ": " << job.error;
    row_counts.insert(job.row_count);
  }
  // Each export saw the orders either before the import or after it: the
  // merge is one transaction.
  for (std::int64_t rows : row_counts) EXPECT_TRUE(rows == 500 || rows == 500 + imported) << rows;
  serve->Signal(SIGTERM);
  ASSERT_TRUE(serve->Wait(60s));
  std::cout << "import while serving: " << submitted << " submissions (" << while_importing
            << " during the import), all exit 0; " << import_result->out;
}

}  // namespace
}  // namespace jobsd
