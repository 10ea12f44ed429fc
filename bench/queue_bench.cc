// Queue throughput and latency of the engine without export work: a no-op
// job type that only this binary registers, the real store with its durable
// settings (a SQLite file, or PostgreSQL when --db is a postgresql:// URI),
// the real worker pool. bench/run.sh drives it and compares its figures with
// references measured in the same run.
//
//   jobsd_queue_bench enqueue --db PATH --jobs N --mode single|batch [--batch 1000]
//   jobsd_queue_bench drain --db PATH --workers W [--nodes K]
//   jobsd_queue_bench latency --db PATH --rate R --seconds S --workers W [--nodes K]
//   jobsd_queue_bench rawsqlite --db PATH --n N
//   jobsd_queue_bench rawbatch --db PATH --jobs N [--batch 1000]
//   jobsd_queue_bench deeppage --db PATH --seconds S --threads T --limit L
//
// With --nodes K the workers run in K node processes (this binary's `node`
// command, each with its own store connections and worker pool, as K `jobsd
// serve` on one PostgreSQL would): drain starts K nodes and asks them, not
// the store, how many jobs they have finished; latency creates the jobs in
// this process (node A, with its own workers) and starts K-1 more nodes, so a
// job starts on any node.
//
// Each prints one line of key=value figures.
#include <fcntl.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/queue/job_service.h"
#include "engine/queue/worker_pool.h"
#include "storage/files/local_artifact_store.h"
#include "storage/job_row.h"
#include "storage/open_store.h"
#include "storage/sqlite/job_id_codec.h"
#include "storage/sqlite/sqlite_job_store.h"

namespace jobsd::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kNoopType = "noop";
// About the ~100-byte payload of the reference workload.
const std::string kPayload(100, 'x');

class NoopJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {}
  JobOutcome Run(const JobContext&) override { return JobOutcome::Failed("done"); }
};

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

std::map<std::string, std::string> ParseFlags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    if (name.rfind("--", 0) != 0) throw std::invalid_argument("expected --flag value, got " + name);
    flags[name.substr(2)] = argv[i + 1];
  }
  return flags;
}

std::string Need(const std::map<std::string, std::string>& flags, const std::string& name) {
  auto it = flags.find(name);
  if (it == flags.end()) throw std::invalid_argument("missing --" + name);
  return it->second;
}

struct Engine {
  explicit Engine(const std::string& db)
      : database(storage::OpenStore(storage::StoreOptions{db})),
        service(database->jobs(), registry, clock, JobServiceOptions{}),
        local_artifacts(std::filesystem::temp_directory_path() / "jobsd-bench-exports") {
    registry.Register(std::string(kNoopType), std::make_unique<NoopJob>());
  }
  // Where the pool sweeps and deletes outputs, as `jobsd serve` picks it: the
  // store's own (PostgreSQL) or files beside it. The no-op type writes none.
  ArtifactStore& artifacts() {
    ArtifactStore* own = database->own_artifacts();
    return own != nullptr ? *own : local_artifacts;
  }
  JobTypeRegistry registry;
  SystemClock clock;
  std::unique_ptr<storage::Store> database;
  JobService service;
  storage::LocalArtifactStore local_artifacts;
};

int Enqueue(const std::map<std::string, std::string>& flags) {
  Engine engine(Need(flags, "db"));
  const long jobs = std::stol(Need(flags, "jobs"));
  const std::string mode = Need(flags, "mode");
  const long batch = flags.count("batch") ? std::stol(flags.at("batch")) : 1000;
  const auto start = SteadyClock::now();
  if (mode == "single") {
    for (long i = 0; i < jobs; ++i) engine.service.Create({std::string(kNoopType), kPayload, {}});
  } else if (mode == "batch") {
    std::vector<CreateJobRequest> requests;
    for (long done = 0; done < jobs; done += batch) {
      requests.assign(static_cast<std::size_t>(std::min(batch, jobs - done)),
                      CreateJobRequest{std::string(kNoopType), kPayload, {}});
      engine.service.CreateMany(requests);
    }
  } else {
    throw std::invalid_argument("--mode must be single or batch");
  }
  const double seconds = Seconds(SteadyClock::now() - start);
  std::printf("enqueue_jobs_per_s=%.0f jobs=%ld mode=%s seconds=%.3f\n", jobs / seconds, jobs,
              mode.c_str(), seconds);
  return 0;
}

// Counts finished jobs and remembers when the last one was committed.
class DrainObserver final : public JobObserver {
 public:
  void OnJobStarted(const Job&) override {}
  void OnJobFinished(const Job&, JobStatus, Nanos, std::int64_t) override {
    std::lock_guard lock(mutex_);
    ++finished_;
    last_ = SteadyClock::now();
  }
  long finished() {
    std::lock_guard lock(mutex_);
    return finished_;
  }
  SteadyClock::time_point last() {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  std::mutex mutex_;
  long finished_ = 0;
  SteadyClock::time_point last_;
};

int Drain(const std::map<std::string, std::string>& flags) {
  Engine engine(Need(flags, "db"));
  const int workers = std::stoi(Need(flags, "workers"));
  const long pending = static_cast<long>(
      engine.database->jobs().CountByStatus(engine.clock.Now())[JobStatus::kPending]);
  DrainObserver observer;
  WorkerPoolOptions options;
  options.workers = workers;
  options.artifacts = &engine.artifacts();
  options.cluster = engine.database->cluster();
  WorkerPool pool(engine.database->jobs(), engine.registry, engine.clock, options, &observer);
  const auto start = SteadyClock::now();
  pool.Start();
  while (observer.finished() < pending) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double seconds = Seconds(observer.last() - start);
  pool.Shutdown(kNanosPerSecond);
  std::printf("drain_jobs_per_s=%.0f jobs=%ld workers=%d seconds=%.3f\n", pending / seconds,
              pending, workers, seconds);
  return 0;
}

// Records, for each job, when it started; with the time its Create returned
// (the commit) the latency splits into enqueue (created_at to committed)
// and pick-up (committed to started), which have different causes.
class LatencyObserver final : public JobObserver {
 public:
  explicit LatencyObserver(const Clock& clock) : clock_(clock) {}
  void OnJobStarted(const Job& job) override {
    const Nanos now = clock_.Now();
    std::lock_guard lock(mutex_);
    started_[job.id] = Started{job.created_at, now};
  }
  void OnJobFinished(const Job&, JobStatus, Nanos, std::int64_t) override {}
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return started_.size();
  }
  struct Started {
    Nanos created_at = 0;
    Nanos started_at = 0;
  };
  std::map<std::string, Started> started() {
    std::lock_guard lock(mutex_);
    return started_;
  }

 private:
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Started> started_;
};

// The q-quantile of `samples` (sorted here) in milliseconds.
double QuantileMs(std::vector<Nanos>& samples, double q) {
  std::sort(samples.begin(), samples.end());
  if (samples.empty()) return 0;
  return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))] / 1e6;
}

int Latency(const std::map<std::string, std::string>& flags) {
  Engine engine(Need(flags, "db"));
  const double rate = std::stod(Need(flags, "rate"));
  const double seconds = std::stod(Need(flags, "seconds"));
  const int workers = std::stoi(Need(flags, "workers"));
  LatencyObserver observer(engine.clock);
  WorkerPoolOptions options;
  options.workers = workers;
  options.artifacts = &engine.artifacts();
  options.cluster = engine.database->cluster();
  WorkerPool pool(engine.database->jobs(), engine.registry, engine.clock, options, &observer);
  engine.service.SetOnCreated([&pool] { pool.Wake(); });
  pool.Start();
  // Offered load: jobs at fixed times, not "as fast as the last one
  // returned", so a slow enqueue shows up as latency instead of hiding it.
  const long total = static_cast<long>(rate * seconds);
  std::map<std::string, Nanos> committed;  // job id -> when its Create returned
  const auto start = SteadyClock::now();
  for (long i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::nanoseconds(static_cast<long>(i * 1e9 / rate)));
    CreateJobResult created = engine.service.Create({std::string(kNoopType), kPayload, {}});
    committed[created.job.id] = engine.clock.Now();
  }
  while (static_cast<long>(observer.count()) < total) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  pool.Shutdown(kNanosPerSecond);
  std::vector<Nanos> total_wait, enqueue, pickup;
  for (const auto& [id, job] : observer.started()) {
    total_wait.push_back(job.started_at - job.created_at);
    enqueue.push_back(committed.at(id) - job.created_at);
    // A worker may start the job before Create has returned to its caller.
    pickup.push_back(std::max<Nanos>(0, job.started_at - committed.at(id)));
  }
  const double max_ms = QuantileMs(total_wait, 1.0);
  std::printf(
      "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f jobs=%ld rate=%.0f"
      " enqueue_p50_ms=%.3f enqueue_p99_ms=%.3f pickup_p50_ms=%.3f pickup_p99_ms=%.3f\n",
      QuantileMs(total_wait, 0.5), QuantileMs(total_wait, 0.99), max_ms, total, rate,
      QuantileMs(enqueue, 0.5), QuantileMs(enqueue, 0.99), QuantileMs(pickup, 0.5),
      QuantileMs(pickup, 0.99));
  return 0;
}

// ---- several nodes: child processes of this binary ----------------------

// A node process as its parent sees it: a line protocol over its stdin and
// stdout ("ready", then "go", any number of "count", then "stop"; the node
// answers each "count" with its finished jobs so far, "stop" with its report).
class NodeProcess {
 public:
  NodeProcess(const std::string& db, int workers, bool record) {
    int to_child[2], from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::vector<std::string> args = {
        "jobsd_queue_bench", "node", "--db", db, "--workers", std::to_string(workers), "--record",
        record ? "1" : "0"};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    if (rc != 0) throw std::runtime_error("cannot start a node process");
    to_node_ = to_child[1];
    from_node_ = fdopen(from_child[0], "r");
  }
  ~NodeProcess() {
    if (to_node_ >= 0) close(to_node_);
    if (from_node_ != nullptr) fclose(from_node_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  void Send(const std::string& line) {
    const std::string text = line + "\n";
    if (write(to_node_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      throw std::runtime_error("a node process is gone");
    }
  }
  std::string ReadLine() {
    char* line = nullptr;
    std::size_t capacity = 0;
    const ssize_t n = getline(&line, &capacity, from_node_);
    std::string text = n > 0 ? std::string(line, static_cast<std::size_t>(n)) : std::string();
    free(line);
    if (n <= 0) throw std::runtime_error("a node process ended early (see its messages above)");
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  bool Alive() { return waitpid(pid_, nullptr, WNOHANG) == 0; }
  // Waits for the node to exit after "stop"; its exit status must be 0.
  void Join() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("a node process failed");
    }
  }

 private:
  pid_t pid_ = -1;
  int to_node_ = -1;
  FILE* from_node_ = nullptr;
};

// What a node reports when stopped: how many jobs it finished, when the last
// one finished (steady clock: CLOCK_MONOTONIC, one clock for every process
// on this machine), and, when asked to record, when each job started.
struct NodeReport {
  long finished = 0;
  std::int64_t last_steady_ns = 0;
  std::map<std::string, LatencyObserver::Started> started;
};

NodeReport ReadReport(NodeProcess& node) {
  NodeReport report;
  for (;;) {
    const std::string line = node.ReadLine();
    char id[128];
    long long created = 0, started = 0;
    if (std::sscanf(line.c_str(), "started %127s %lld %lld", id, &created, &started) == 3) {
      report.started[id] = {created, started};
    } else if (std::sscanf(line.c_str(), "finished=%ld last_steady_ns=%lld", &report.finished,
                           &started) == 2) {
      report.last_steady_ns = started;
      return report;
    } else {
      throw std::runtime_error("unexpected line from a node: " + line);
    }
  }
}

std::int64_t SteadyNs(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Both: counts finished jobs (drain) and records starts (latency).
class NodeObserver final : public JobObserver {
 public:
  NodeObserver(const Clock& clock, bool record) : starts_(clock), record_(record) {}
  void OnJobStarted(const Job& job) override {
    if (record_) starts_.OnJobStarted(job);
  }
  void OnJobFinished(const Job& job, JobStatus status, Nanos duration, std::int64_t rows) override {
    finishes_.OnJobFinished(job, status, duration, rows);
  }
  LatencyObserver starts_;
  DrainObserver finishes_;

 private:
  const bool record_;
};

std::string ReadStdinLine() {
  std::string line;
  if (!std::getline(std::cin, line)) throw std::runtime_error("the parent went away");
  return line;
}

// One node: a worker pool on the store, started on "go", stopped on "stop".
int Node(const std::map<std::string, std::string>& flags) {
  Engine engine(Need(flags, "db"));
  const bool record = flags.count("record") && flags.at("record") == "1";
  NodeObserver observer(engine.clock, record);
  WorkerPoolOptions options;
  options.workers = std::stoi(Need(flags, "workers"));
  options.artifacts = &engine.artifacts();
  options.cluster = engine.database->cluster();
  WorkerPool pool(engine.database->jobs(), engine.registry, engine.clock, options, &observer);
  std::printf("ready\n");
  std::fflush(stdout);
  if (ReadStdinLine() != "go") throw std::runtime_error("expected go");
  pool.Start();
  // "count" asks how many jobs this node has finished so far, so that the
  // parent learns a drain's end without querying the store it measures.
  for (std::string line = ReadStdinLine(); line != "stop"; line = ReadStdinLine()) {
    if (line != "count") throw std::runtime_error("expected count or stop, got " + line);
    std::printf("count %ld\n", observer.finishes_.finished());
    std::fflush(stdout);
  }
  pool.Shutdown(kNanosPerSecond);
  for (const auto& [id, job] : observer.starts_.started()) {
    std::printf("started %s %lld %lld\n", id.c_str(), static_cast<long long>(job.created_at),
                static_cast<long long>(job.started_at));
  }
  const long finished = observer.finishes_.finished();
  std::printf("finished=%ld last_steady_ns=%lld\n", finished,
              static_cast<long long>(finished > 0 ? SteadyNs(observer.finishes_.last()) : 0));
  std::fflush(stdout);
  return 0;
}

std::vector<std::unique_ptr<NodeProcess>> StartNodes(const std::string& db, int count, int workers,
                                                     bool record) {
  std::vector<std::unique_ptr<NodeProcess>> nodes;
  for (int i = 0; i < count; ++i) {
    nodes.push_back(std::make_unique<NodeProcess>(db, workers, record));
  }
  for (auto& node : nodes) {
    if (node->ReadLine() != "ready") throw std::runtime_error("a node did not get ready");
  }
  return nodes;
}

// Waits until the store holds no pending or started job, watching that every
// node lives; gives up after `timeout`. The drain's end is the nodes' last
// completion, not this poll's, so it polls only every 100 ms: each poll
// counts every job, and at 20 ms the counting took a quarter of a core
// from the nodes and the server it measures.
void WaitUntilIdle(Engine& engine, std::vector<std::unique_ptr<NodeProcess>>& nodes,
                   std::chrono::seconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto counts = engine.database->jobs().CountByStatus(engine.clock.Now());
    if (counts[JobStatus::kPending] + counts[JobStatus::kStarted] == 0) return;
    for (auto& node : nodes) {
      if (!node->Alive()) throw std::runtime_error("a node process died");
    }
    if (SteadyClock::now() > deadline) throw std::runtime_error("the jobs did not finish in time");
  }
}

// Waits until the nodes together have finished `jobs` jobs, asking them every
// 20 ms; gives up after `timeout`. The nodes count in memory, so this puts no
// load on the store being measured: WaitUntilIdle's count scans every job,
// and took 9-31 ms of the server's time per poll in a logged 3-node drain.
void WaitUntilNodesFinished(std::vector<std::unique_ptr<NodeProcess>>& nodes, long jobs,
                            std::chrono::seconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    long finished = 0;
    for (auto& node : nodes) node->Send("count");
    for (auto& node : nodes) {
      long count = 0;
      const std::string line = node->ReadLine();
      if (std::sscanf(line.c_str(), "count %ld", &count) != 1) {
        throw std::runtime_error("unexpected line from a node: " + line);
      }
      finished += count;
    }
    if (finished >= jobs) return;
    if (SteadyClock::now() > deadline) throw std::runtime_error("the jobs did not finish in time");
  }
}

std::vector<NodeReport> StopNodes(std::vector<std::unique_ptr<NodeProcess>>& nodes) {
  for (auto& node : nodes) node->Send("stop");
  std::vector<NodeReport> reports;
  for (auto& node : nodes) {
    reports.push_back(ReadReport(*node));
    node->Join();
  }
  return reports;
}

constexpr std::chrono::seconds kNodesTimeout{600};

int DrainNodes(const std::map<std::string, std::string>& flags) {
  const std::string db = Need(flags, "db");
  Engine engine(db);  // watches the store; runs no worker
  const int workers = std::stoi(Need(flags, "workers"));
  const int count = std::stoi(Need(flags, "nodes"));
  const long pending = static_cast<long>(
      engine.database->jobs().CountByStatus(engine.clock.Now())[JobStatus::kPending]);
  auto nodes = StartNodes(db, count, workers, /*record=*/false);
  const auto start = SteadyClock::now();
  for (auto& node : nodes) node->Send("go");
  WaitUntilNodesFinished(nodes, pending, kNodesTimeout);
  // Then the store must agree: nothing left pending or started.
  WaitUntilIdle(engine, nodes, kNodesTimeout);
  long finished = 0;
  std::int64_t last = 0;
  std::string per_node;
  for (const NodeReport& report : StopNodes(nodes)) {
    finished += report.finished;
    last = std::max(last, report.last_steady_ns);
    per_node += (per_node.empty() ? "" : ",") + std::to_string(report.finished);
  }
  const double seconds = (last - SteadyNs(start)) / 1e9;
  std::printf(
      "drain_jobs_per_s=%.0f jobs=%ld pending=%ld workers=%d nodes=%d seconds=%.3f "
      "per_node=%s\n",
      finished / seconds, finished, pending, workers, count, seconds, per_node.c_str());
  return 0;
}

int LatencyNodes(const std::map<std::string, std::string>& flags) {
  const std::string db = Need(flags, "db");
  Engine engine(db);
  const double rate = std::stod(Need(flags, "rate"));
  const double seconds = std::stod(Need(flags, "seconds"));
  const int workers = std::stoi(Need(flags, "workers"));
  const int count = std::stoi(Need(flags, "nodes"));
  if (count < 1) throw std::invalid_argument("--nodes must be at least 1");
  // Node A: this process creates every job and runs workers too.
  LatencyObserver observer(engine.clock);
  WorkerPoolOptions options;
  options.workers = workers;
  options.artifacts = &engine.artifacts();
  options.cluster = engine.database->cluster();
  WorkerPool pool(engine.database->jobs(), engine.registry, engine.clock, options, &observer);
  engine.service.SetOnCreated([&pool] { pool.Wake(); });
  auto others = StartNodes(db, count - 1, workers, /*record=*/true);
  for (auto& node : others) node->Send("go");
  pool.Start();
  const long total = static_cast<long>(rate * seconds);
  std::map<std::string, Nanos> committed;
  const auto start = SteadyClock::now();
  for (long i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::nanoseconds(static_cast<long>(i * 1e9 / rate)));
    CreateJobResult created = engine.service.Create({std::string(kNoopType), kPayload, {}});
    committed[created.job.id] = engine.clock.Now();
  }
  WaitUntilIdle(engine, others, kNodesTimeout);
  pool.Shutdown(kNanosPerSecond);
  auto started = observer.started();
  const std::size_t on_a = started.size();
  for (NodeReport& report : StopNodes(others)) started.merge(report.started);
  if (static_cast<long>(started.size()) != total) {
    throw std::runtime_error("started " + std::to_string(started.size()) + " of " +
                             std::to_string(total) + " jobs");
  }
  std::vector<Nanos> total_wait, enqueue, pickup;
  for (const auto& [id, job] : started) {
    total_wait.push_back(job.started_at - job.created_at);
    enqueue.push_back(committed.at(id) - job.created_at);
    pickup.push_back(std::max<Nanos>(0, job.started_at - committed.at(id)));
  }
  const double max_ms = QuantileMs(total_wait, 1.0);
  std::printf(
      "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f jobs=%ld rate=%.0f nodes=%d started_on_other_nodes=%.2f"
      " enqueue_p50_ms=%.3f enqueue_p99_ms=%.3f pickup_p50_ms=%.3f pickup_p99_ms=%.3f\n",
      QuantileMs(total_wait, 0.5), QuantileMs(total_wait, 0.99), max_ms, total, rate, count,
      total > 0 ? 1.0 - static_cast<double>(on_a) / static_cast<double>(total) : 0.0,
      QuantileMs(enqueue, 0.5), QuantileMs(enqueue, 0.99), QuantileMs(pickup, 0.5),
      QuantileMs(pickup, 0.99));
  return 0;
}

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

// The raw limit: single-row write transactions per second, same settings as
// the store (WAL, synchronous=FULL).
int RawSqlite(const std::map<std::string, std::string>& flags) {
  const std::string path = Need(flags, "db");
  const long n = std::stol(Need(flags, "n"));
  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db), db, "open");
  Check(sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, payload TEXT)",
                     nullptr, nullptr, nullptr),
        db, "setup");
  sqlite3_stmt* insert = nullptr;
  Check(sqlite3_prepare_v2(db, "INSERT INTO t (payload) VALUES (?)", -1, &insert, nullptr), db,
        "prepare");
  const auto start = SteadyClock::now();
  for (long i = 0; i < n; ++i) {
    sqlite3_bind_text(insert, 1, kPayload.data(), static_cast<int>(kPayload.size()), SQLITE_STATIC);
    Check(sqlite3_step(insert), db, "insert");  // autocommit: one transaction each
    sqlite3_reset(insert);
  }
  const double seconds = Seconds(SteadyClock::now() - start);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::printf("raw_tx_per_s=%.0f n=%ld seconds=%.3f\n", n / seconds, n, seconds);
  return 0;
}

// Counts the WAL frames each commit writes. A WAL hook replaces SQLite's
// automatic checkpoint, so this one checkpoints as that would (PASSIVE, once
// the WAL holds 1000 frames): the timing stays that of a plain connection.
struct WalFrameCounter {
  long frames = 0;
  long commits = 0;
  int last = 0;
  static int Hook(void* self, sqlite3* db, const char* schema, int frames_in_wal) {
    auto& counter = *static_cast<WalFrameCounter*>(self);
    // The WAL starts over after a checkpoint: then all its frames are new.
    counter.frames += frames_in_wal >= counter.last ? frames_in_wal - counter.last : frames_in_wal;
    counter.last = frames_in_wal;
    ++counter.commits;
    if (frames_in_wal >= 1000) {
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    return SQLITE_OK;
  }
};

// The floor of a batch enqueue: the rows `enqueue --mode batch` stores, put
// into a jobsd store (its schema, indexes and triggers, migrated by the
// store itself) by raw SQLite with the store's settings (WAL,
// synchronous=FULL), in the engine's statement shape: 32 rows per INSERT,
// one transaction per batch, counted in job_counts by one UPDATE as the
// store counts each write's jobs (0017). Ids (derived from sequence numbers, as the
// store makes them) are drawn before the clock starts; the
// rest of the engine's work (validation, results, group commit) is not here.
int RawBatch(const std::map<std::string, std::string>& flags) {
  const std::string path = Need(flags, "db");
  const long jobs = std::stol(Need(flags, "jobs"));
  const long batch = flags.count("batch") ? std::stol(flags.at("batch")) : 1000;
  if (jobs <= 0 || batch <= 0) throw std::invalid_argument("--jobs and --batch must be positive");
  storage::OpenStore(storage::StoreOptions{path});  // migrated, then closed
  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db), db, "open");
  Check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", nullptr, nullptr,
                     nullptr),
        db, "setup");
  WalFrameCounter wal;
  sqlite3_wal_hook(db, &WalFrameCounter::Hook, &wal);

  constexpr long kRows = 32;
  auto prepare = [&](long rows) {
    std::string sql =
        "INSERT OR FAIL INTO jobs (id, job_type, status, params, attempts, max_attempts,"
        " created_at, updated_at, run_after, expires_at, seq, id_from_seq) VALUES ";
    for (long row = 0; row < rows; ++row) {
      sql += std::string(row > 0 ? ", " : "") + "(?, ?, 'pending', ?, 0, 3, ?, ?, ?, ?, ?, 1)";
    }
    sqlite3_stmt* statement = nullptr;
    Check(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), db, "prepare");
    return statement;
  };
  sqlite3_stmt* many = prepare(kRows);
  sqlite3_stmt* one = prepare(1);
  // The store counts each write's inserted jobs itself, once (0017).
  sqlite3_stmt* count = nullptr;
  Check(sqlite3_prepare_v2(db, "UPDATE job_counts SET jobs = jobs + ? WHERE status = 'pending'",
                           -1, &count, nullptr),
        db, "prepare");
  // The ids the store would make (0014): derived from the next sequence
  // numbers under its key, drawn before the clock starts, as the engine's
  // random ids are drawn outside the store.
  std::vector<std::pair<std::int64_t, std::string>> ids;
  {
    sqlite3_stmt* read = nullptr;
    Check(sqlite3_prepare_v2(db,
                             "SELECT (SELECT key FROM job_id_key),"
                             " coalesce((SELECT max(seq) FROM jobs), 0) + 1",
                             -1, &read, nullptr),
          db, "prepare");
    Check(sqlite3_step(read), db, "read key");
    const storage::JobIdCodec codec(
        std::string_view(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(read, 0))));
    std::int64_t seq = sqlite3_column_int64(read, 1);
    sqlite3_finalize(read);
    for (long i = 0; i < jobs; ++i, ++seq) {
      std::optional<std::string> id = codec.Encode(seq);
      while (!id) id = codec.Encode(++seq);
      ids.emplace_back(seq, std::move(*id));
    }
  }
  constexpr std::int64_t kRetention = std::int64_t{7} * 24 * 3600 * 1'000'000'000;
  const auto start = SteadyClock::now();
  for (long first = 0; first < jobs; first += batch) {
    const long end = std::min(jobs, first + batch);
    Check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db, "begin");
    for (long row = first; row < end;) {
      sqlite3_stmt* insert = end - row >= kRows ? many : one;
      const long rows = insert == many ? kRows : 1;
      for (long k = 0; k < rows; ++k, ++row) {
        const int base = static_cast<int>(k * 8);
        const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        const auto& [seq, id] = ids[static_cast<std::size_t>(row)];
        sqlite3_bind_text(insert, base + 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert, base + 2, kNoopType.data(), static_cast<int>(kNoopType.size()),
                          SQLITE_STATIC);
        sqlite3_bind_text(insert, base + 3, kPayload.data(), static_cast<int>(kPayload.size()),
                          SQLITE_STATIC);
        for (int column = 4; column <= 6; ++column) sqlite3_bind_int64(insert, base + column, now);
        sqlite3_bind_int64(insert, base + 7, now + kRetention);
        sqlite3_bind_int64(insert, base + 8, seq);
      }
      Check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    sqlite3_bind_int64(count, 1, end - first);
    Check(sqlite3_step(count), db, "count");
    sqlite3_reset(count);
    Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  const double seconds = Seconds(SteadyClock::now() - start);
  sqlite3_finalize(many);
  sqlite3_finalize(one);
  sqlite3_finalize(count);
  sqlite3_close(db);
  std::printf("rawbatch_jobs_per_s=%.0f jobs=%ld seconds=%.3f wal_frames_per_commit=%.0f\n",
              jobs / seconds, jobs, seconds,
              wal.commits > 0 ? static_cast<double>(wal.frames) / wal.commits : 0.0);
  return 0;
}

// The floor of a deep page: the bare query GET /v2/jobs runs for a page at
// a random offset (the same columns, order and visibility condition), on T
// threads with a read-only connection each, with no HTTP, JSON or cache.
// Every row is read out, as the server reads it.
int DeepPage(const std::map<std::string, std::string>& flags) {
  const std::string path = Need(flags, "db");
  const double seconds = std::stod(Need(flags, "seconds"));
  const int threads = std::stoi(Need(flags, "threads"));
  const long limit = std::stol(Need(flags, "limit"));
  const std::string sql =
      "SELECT " JOBSD_JOB_COLUMNS " FROM jobs WHERE expires_at > ?1" JOBSD_SQLITE_LIST_ORDER
      " LIMIT ?2 OFFSET ?3";
  std::atomic<long> queries{0};
  std::atomic<long> total{-1};
  const auto deadline = SteadyClock::now() + std::chrono::duration<double>(seconds);
  auto run = [&](unsigned seed) {
    sqlite3* db = nullptr;
    Check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), db, "open");
    const long now = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    sqlite3_stmt* count = nullptr;
    Check(sqlite3_prepare_v2(db, "SELECT count(*) FROM jobs WHERE expires_at > ?", -1, &count,
                             nullptr),
          db, "prepare");
    sqlite3_bind_int64(count, 1, now);
    Check(sqlite3_step(count), db, "count");
    const long visible = static_cast<long>(sqlite3_column_int64(count, 0));
    sqlite3_finalize(count);
    total = visible;
    sqlite3_stmt* select = nullptr;
    Check(sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr), db, "prepare");
    std::uint64_t state = seed * 7919u + 1;
    long mine = 0;
    while (SteadyClock::now() < deadline) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG: cheap, enough
      const long offset =
          visible > limit ? static_cast<long>((state >> 33) % (visible - limit)) : 0;
      sqlite3_bind_int64(select, 1, now);
      sqlite3_bind_int64(select, 2, limit);
      sqlite3_bind_int64(select, 3, offset);
      int rc;
      while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(select); ++c) (void)sqlite3_column_text(select, c);
      }
      Check(rc, db, "select");
      sqlite3_reset(select);
      ++mine;
    }
    sqlite3_finalize(select);
    sqlite3_close(db);
    queries += mine;
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back(run, static_cast<unsigned>(t + 1));
  for (std::thread& worker : workers) worker.join();
  std::printf("deep_q_per_s=%.0f queries=%ld jobs=%ld threads=%d\n", queries / seconds,
              queries.load(), total.load(), threads);
  return 0;
}

}  // namespace
}  // namespace jobsd::bench

int main(int argc, char** argv) {
  using namespace jobsd::bench;
  try {
    if (argc < 2)
      throw std::invalid_argument(
          "usage: jobsd_queue_bench enqueue|drain|latency|rawsqlite|deeppage|node ...");
    const std::string command = argv[1];
    const auto flags = ParseFlags(argc, argv);
    if (command == "enqueue") return Enqueue(flags);
    if (command == "drain") return flags.count("nodes") ? DrainNodes(flags) : Drain(flags);
    if (command == "latency") return flags.count("nodes") ? LatencyNodes(flags) : Latency(flags);
    if (command == "node") return Node(flags);
    if (command == "rawsqlite") return RawSqlite(flags);
    if (command == "rawbatch") return RawBatch(flags);
    if (command == "deeppage") return DeepPage(flags);
    throw std::invalid_argument("unknown command " + command);
  } catch (const std::exception& e) {
    std::cerr << "jobsd_queue_bench: " << e.what() << "\n";
    return 2;
  }
}
