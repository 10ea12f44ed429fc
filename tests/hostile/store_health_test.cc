// The store and the process under broken surroundings (issue 9, the README's "Security and
// limits"): a store locked by another process, read-only, deleted or on a full disk, an exports
// folder that cannot be used, and SIGTERM while a request waits on the lock. Each test runs the
// real binary.
//
// Tests run as root in CI, and root writes through chmod: read-only cases
// run jobsd as `nobody` (setpriv) when the test is root. Full disks are
// small private tmpfs mounts, which need CAP_SYS_ADMIN; without it those
// tests are skipped, saying why.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

#include "storage/sqlite/sqlite.h"
#include "tests/support/live_jobsd.h"

namespace jobsd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::HttpResponse;
using testing::LiveJobsd;
using testing::RunResult;
using Clock = std::chrono::steady_clock;

constexpr uid_t kNobody = 65534;

// Another process's write transaction on the store, as `sqlite3 store.db
// 'BEGIN IMMEDIATE; ...'` left open would hold it.
class WriteLock {
 public:
  explicit WriteLock(const fs::path& db) : connection_(storage::sqlite::Connection::Open(db)) {
    // serve's own writes (a worker claiming a job) hold the lock for a moment.
    connection_->SetBusyWait(5s, nullptr);
    connection_->Exec("BEGIN IMMEDIATE");
  }
  ~WriteLock() { Release(); }
  void Release() {
    if (!connection_->InAutocommit()) connection_->Exec("ROLLBACK");
  }

 private:
  std::unique_ptr<storage::sqlite::Connection> connection_;
};

// A small private tmpfs, unmounted when the test ends.
class Tmpfs {
 public:
  explicit Tmpfs(const fs::path& where, const std::string& size) : where_(where) {
    fs::create_directories(where_);
    mounted_ = ::mount("tmpfs", where_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

  // Writes a file until the file system is full.
  void Fill(const std::string& name) {
    std::ofstream out(where_ / name, std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
    out.close();
    // The last partial block too: fill every byte that is left.
    std::ofstream tail(where_ / (name + ".tail"), std::ios::binary);
    while (tail.put('x')) {
    }
  }
  void Free(const std::string& name) {
    fs::remove(where_ / name);
    fs::remove(where_ / (name + ".tail"));
  }

 private:
  fs::path where_;
  bool mounted_ = false;
};

// argv run as an unprivileged user when the test is root (root writes
// through permissions); nullopt when that is not possible here.
std::optional<std::vector<std::string>> Unprivileged(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  if (::access("/usr/bin/setpriv", X_OK) != 0) return std::nullopt;
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=" + std::to_string(kNobody),
                                      "--regid=" + std::to_string(kNobody), "--clear-groups"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

// Runs `jobsd serve` that should refuse to start: its result, or a failure
// (exit code -1) if it is still running after 10 s, as it did before.
RunResult ServeThatShouldRefuse(const std::vector<std::string>& argv,
                                const std::map<std::string, std::string>& env,
                                const fs::path& logs) {
  testing::Background serve(argv, (logs / "refused").string(), env);
  std::optional<RunResult> result = serve.Wait(10s);
  if (result) return *result;
  RunResult still_running;
  still_running.err = "still running after 10 s: " + serve.Stderr();
  still_running.out = serve.Stdout();
  return still_running;  // ~Background kills it
}

std::string ErrorDetail(const HttpResponse& response) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response.body, ec);
  if (ec) return "";
  const auto* detail = body.find_pointer("/errors/0/detail", ec);
  return detail != nullptr && detail->is_string() ? std::string(detail->as_string()) : "";
}

std::string JobField(const HttpResponse& response, const std::string& pointer) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response.body, ec);
  if (ec) return "";
  const auto* value = body.find_pointer(pointer, ec);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

// Polls /readyz until it answers `status` or `timeout` passes.
bool ReadyzBecomes(LiveJobsd& jobsd, int status, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (jobsd.Get("/readyz").status == status) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

int LineCount(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines + (!text.empty() && text.back() != '\n');
}

// Nothing a client or a log reader should see: SQL, the store's path.
void ExpectNoInternals(const std::string& text, const LiveJobsd& jobsd) {
  EXPECT_EQ(text.find(jobsd.dir().path().string()), std::string::npos) << text;
  for (const char* sql : {"SELECT", "INSERT", "UPDATE", "DELETE FROM", "BEGIN", "sqlite"}) {
    EXPECT_EQ(text.find(sql), std::string::npos) << sql << " in: " << text;
  }
}

// Item: /readyz said ready while the store could not be written.
TEST(StoreHealthTest, ReadyzAnswers503WhileTheStoreIsLockedAnd200AgainOnceItIsFree) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  ASSERT_TRUE(ReadyzBecomes(jobsd, 200, 5s));
  {
    WriteLock lock(jobsd.db());
    EXPECT_TRUE(ReadyzBecomes(jobsd, 503, 3s)) << "readyz stayed 200 with the store locked";
    HttpResponse unready = jobsd.Get("/readyz");
    EXPECT_EQ(unready.status, 503);
    EXPECT_NE(ErrorDetail(unready).find("busy"), std::string::npos) << unready.body;
    ExpectNoInternals(unready.body, jobsd);
  }
  EXPECT_TRUE(ReadyzBecomes(jobsd, 200, 3s)) << "readyz did not come back once the lock was gone";
  EXPECT_EQ(jobsd.Stop().exit_code, 0);
}

TEST(StoreHealthTest, ReadyzAnswers503WhenTheStoreFileIsTruncatedUnderIt) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  ASSERT_TRUE(ReadyzBecomes(jobsd, 200, 5s));
  fs::resize_file(jobsd.db(), 0);
  EXPECT_TRUE(ReadyzBecomes(jobsd, 503, 3s)) << "readyz stayed 200 with the store truncated";
  HttpResponse unready = jobsd.Get("/readyz");
  EXPECT_NE(ErrorDetail(unready).find("truncated"), std::string::npos) << unready.body;
  ExpectNoInternals(unready.body, jobsd);
  jobsd.Stop();
}

// Item: a read-only store started, said ready, answered 500 to every write
// and logged a hundred lines a second.
TEST(StoreHealthTest, ServeRefusesAStoreFileItCannotWriteWithOneLineAndExit1) {
  LiveJobsd jobsd;
  ASSERT_EQ(jobsd.Jobsd({"migrate"}).exit_code, 0);
  fs::permissions(jobsd.dir().path(), fs::perms::all);  // the directory is fine
  fs::permissions(jobsd.db(),
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto argv = Unprivileged({testing::JobsdBinary(), "serve"});
  if (!argv) GTEST_SKIP() << "running as root without setpriv: cannot drop privileges";
  const auto start = Clock::now();
  RunResult result = ServeThatShouldRefuse(*argv, jobsd.env(), jobsd.dir().path());
  EXPECT_LT(Since(start), 10s);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(LineCount(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("cannot be written"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("listening"), std::string::npos) << result.out;
}

TEST(StoreHealthTest, ServeRefusesAStoreWhoseDirectoryCannotHoldTheWalWithOneLineAndExit1) {
  LiveJobsd jobsd;
  ASSERT_EQ(jobsd.Jobsd({"migrate"}).exit_code, 0);
  fs::permissions(jobsd.db(), fs::perms::all);  // the file itself is writable
  fs::permissions(jobsd.dir().path(), fs::perms::owner_all | fs::perms::group_read |
                                          fs::perms::group_exec | fs::perms::others_read |
                                          fs::perms::others_exec);
  auto argv = Unprivileged({testing::JobsdBinary(), "serve"});
  if (!argv) GTEST_SKIP() << "running as root without setpriv: cannot drop privileges";
  // Exports elsewhere, writable: only the store is at fault.
  auto env = jobsd.env();
  testing::TempDir exports;
  fs::permissions(exports.path(), fs::perms::all);
  env["JOBSD_EXPORTS"] = exports.path().string();
  RunResult result = ServeThatShouldRefuse(*argv, env, jobsd.dir().path());
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(LineCount(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("directory"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("cannot be written"), std::string::npos) << result.err;
}

// Item: a store that keeps refusing made the workers log on every retry,
// each line with a whole SQL statement.
TEST(StoreHealthTest, AStoreThatStaysLockedIsLoggedOncePerEpisodeWithoutSql) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start({"--workers", "4"}));
  {
    WriteLock lock(jobsd.db());
    // Longer than serve's lock wait (5 s), so that claims fail and retry.
    std::this_thread::sleep_for(8s);
  }
  std::this_thread::sleep_for(1500ms);  // they work again
  RunResult stopped = jobsd.Stop();
  const std::string& err = stopped.err;
  int failure_lines = 0;
  for (std::size_t at = 0; (at = err.find("failed:", at)) != std::string::npos; ++at) {
    ++failure_lines;
  }
  // One line per task that met the lock (claims, maintenance), not one per try.
  EXPECT_GE(failure_lines, 1) << err;
  EXPECT_LE(failure_lines, 3) << err;
  EXPECT_NE(err.find("works again"), std::string::npos) << err;
  for (const char* sql : {"SELECT", "UPDATE", "INSERT"}) {
    EXPECT_EQ(err.find(sql), std::string::npos) << sql << " in: " << err;
  }
}

// Item: four writes waiting on another process's lock took every handler
// thread; /healthz took 19 s and reads waited too.
TEST(StoreHealthTest, HealthzAndReadsAnswerAtOnceWhileWritesWaitOnAnotherProcessesLock) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  const std::string auth = jobsd.AuthHeader();  // a token first: issuing one writes
  HttpResponse created = jobsd.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = JobField(created, "/data/id");

  WriteLock lock(jobsd.db());
  std::vector<std::future<HttpResponse>> writes;
  for (int i = 0; i < 8; ++i) {
    writes.push_back(std::async(std::launch::async, [&jobsd] { return jobsd.PostExport(""); }));
  }
  std::this_thread::sleep_for(300ms);  // the writes are all waiting now
  for (const std::string& target :
       std::vector<std::string>{"/healthz", "/v2/jobs", "/v2/jobs/" + id, "/metrics"}) {
    const auto start = Clock::now();
    HttpResponse response = jobsd.Get(target, {auth});
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    EXPECT_LT(Since(start), 1s) << target << " waited for the lock";
  }
  for (auto& write : writes) {
    HttpResponse response = write.get();
    EXPECT_EQ(response.status, 503) << response.body;
    EXPECT_FALSE(response.headers["retry-after"].empty());
    ExpectNoInternals(response.body, jobsd);
  }
  lock.Release();
  EXPECT_EQ(jobsd.PostExport("").status, 202);
  EXPECT_EQ(jobsd.Stop().exit_code, 0);
}

// Item: SIGTERM took ~60 s whatever --shutdown-grace said while a request
// waited on the lock.
TEST(StoreHealthTest, SigtermWhileARequestWaitsOnTheLockExitsWithinTheGrace) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start({"--shutdown-grace", "1s"}));
  jobsd.AuthHeader();
  WriteLock lock(jobsd.db());
  auto waiting = std::async(std::launch::async, [&jobsd] { return jobsd.PostExport(""); });
  std::this_thread::sleep_for(300ms);
  const auto start = Clock::now();
  RunResult stopped = jobsd.Stop(30s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_LT(Since(start), 3s) << "grace 1 s; " << stopped.err;
  waiting.wait();
}

// Item: on a full disk the API said "busy" and job errors showed internals.
TEST(StoreHealthTest, AFullDiskIsSaidInWordsToClientsAndReadyzUntilSpaceIsFreed) {
  LiveJobsd jobsd;
  Tmpfs disk(jobsd.dir() / "disk", "8m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  jobsd.env()["JOBSD_DB"] = (jobsd.dir() / "disk" / "store.db").string();
  ASSERT_TRUE(jobsd.Start());
  jobsd.AuthHeader();
  ASSERT_EQ(jobsd.PostExport("").status, 202);
  disk.Fill("filler");
  HttpResponse refused = jobsd.PostExport("");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(ErrorDetail(refused).find("disk is full"), std::string::npos) << refused.body;
  EXPECT_FALSE(refused.headers["retry-after"].empty());
  ExpectNoInternals(refused.body, jobsd);
  EXPECT_TRUE(ReadyzBecomes(jobsd, 503, 3s));
  EXPECT_NE(ErrorDetail(jobsd.Get("/readyz")).find("disk is full"), std::string::npos);
  disk.Free("filler");
  EXPECT_TRUE(ReadyzBecomes(jobsd, 200, 3s));
  EXPECT_EQ(jobsd.PostExport("").status, 202);
  EXPECT_EQ(jobsd.Stop().exit_code, 0);
}

TEST(StoreHealthTest, AnExportOnAFullDiskFailsSayingSoWithoutPaths) {
  LiveJobsd jobsd;
  Tmpfs disk(jobsd.dir() / "exports-disk", "1m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN)";
  jobsd.env()["JOBSD_EXPORTS"] = (jobsd.dir() / "exports-disk" / "exports").string();
  ASSERT_EQ(
      jobsd.Jobsd({"orders", "import", testing::TestDataFile("orders.example.jsonl")}).exit_code,
      0);
  // Without the reserve of --min-free-disk, so that the write itself meets
  // the full disk.
  ASSERT_TRUE(jobsd.Start({"--min-free-disk", "0"}));
  disk.Fill("filler");
  HttpResponse created = jobsd.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id = JobField(created, "/data/id");
  std::string status, error;
  for (auto until = Clock::now() + 10s; Clock::now() < until;) {
    HttpResponse job = jobsd.Get("/v2/jobs/" + id, {jobsd.AuthHeader()});
    status = JobField(job, "/data/status");
    error = JobField(job, "/data/error");
    if (status == "failed" || status == "success") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, "failed");
  EXPECT_NE(error.find("disk is full"), std::string::npos) << error;
  EXPECT_EQ(error.find('/'), std::string::npos) << error;
  ExpectNoInternals(error, jobsd);
  EXPECT_EQ(jobsd.Stop().exit_code, 0);
}

// Item: writes went on into a deleted store file and were lost at restart.
TEST(StoreHealthTest, AStoreFileDeletedWhileServingIsNotReadyAndRefusesWrites) {
  LiveJobsd jobsd;
  ASSERT_TRUE(jobsd.Start());
  jobsd.AuthHeader();
  ASSERT_EQ(jobsd.PostExport("").status, 202);
  fs::remove(jobsd.db());
  EXPECT_TRUE(ReadyzBecomes(jobsd, 503, 3s)) << "readyz stayed 200 with the store deleted";
  HttpResponse refused = jobsd.PostExport("");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(ErrorDetail(refused).find("removed"), std::string::npos) << refused.body;
  ExpectNoInternals(refused.body, jobsd);
  // A token is an acknowledged write too: refused, not issued into the
  // deleted file.
  const std::string form = "grant_type=client_credentials&client_id=" + jobsd.client_id() +
                           "&client_secret=" + jobsd.client_secret();
  HttpResponse token =
      jobsd.Post("/oauth/access_token", form, {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(token.status, 503) << token.body;
  // Reads on new connections fail rather than make an empty store there.
  for (int i = 0; i < 8; ++i) jobsd.Get("/v2/jobs", {jobsd.AuthHeader()});
  EXPECT_FALSE(fs::exists(jobsd.db())) << "an empty store was created at the deleted path";
  EXPECT_EQ(jobsd.Stop().exit_code, 0);
}

// Item: --exports naming a file or a folder jobsd cannot write started,
// said ready, then failed every export.
TEST(StoreHealthTest, ServeRefusesAnExportsPathThatIsAFileWithExit2) {
  LiveJobsd jobsd;
  testing::WriteFile(jobsd.dir() / "a-file", "not a folder");
  jobsd.env()["JOBSD_EXPORTS"] = (jobsd.dir() / "a-file").string();
  RunResult result =
      ServeThatShouldRefuse({testing::JobsdBinary(), "serve"}, jobsd.env(), jobsd.dir().path());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(LineCount(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("not a directory"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("listening"), std::string::npos);
}

TEST(StoreHealthTest, ServeRefusesAnExportsFolderItCannotWriteWithExit1) {
  LiveJobsd jobsd;
  fs::permissions(jobsd.dir().path(), fs::perms::all);  // the store is fine
  fs::create_directories(jobsd.exports());
  fs::permissions(jobsd.exports(), fs::perms::owner_all | fs::perms::group_read |
                                       fs::perms::group_exec | fs::perms::others_read |
                                       fs::perms::others_exec);
  auto argv = Unprivileged({testing::JobsdBinary(), "serve"});
  if (!argv) GTEST_SKIP() << "running as root without setpriv: cannot drop privileges";
  RunResult result = ServeThatShouldRefuse(*argv, jobsd.env(), jobsd.dir().path());
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(LineCount(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("exports"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("listening"), std::string::npos);
}

}  // namespace
}  // namespace jobsd
