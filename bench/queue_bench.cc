// Queue throughput and latency of the engine without export work: a no-op
// job type that only this binary registers, the real SQLite store with its
// durable settings, the real worker pool. bench/run.sh drives it and
// compares its figures with references measured in the same run.
//
//   jobsd_queue_bench enqueue --db PATH --jobs N --mode single|batch [--batch 1000]
//   jobsd_queue_bench drain --db PATH --workers W
//   jobsd_queue_bench latency --db PATH --rate R --seconds S --workers W
//   jobsd_queue_bench rawsqlite --db PATH --n N
//
// Each prints one line of key=value figures.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/queue/job_service.h"
#include "engine/queue/worker_pool.h"
#include "storage/files/local_artifact_store.h"
#include "storage/sqlite/database.h"

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
      : database(storage::Database::Open(storage::DatabaseOptions{db})),
        service(database->jobs(), registry, clock, JobServiceOptions{}) {
    registry.Register(std::string(kNoopType), std::make_unique<NoopJob>());
  }
  JobTypeRegistry registry;
  SystemClock clock;
  std::unique_ptr<storage::Database> database;
  JobService service;
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
  // The no-op type writes no artifact; the pool still sweeps the store.
  storage::LocalArtifactStore artifacts(std::filesystem::temp_directory_path() /
                                        "jobsd-bench-exports");
  options.artifacts = &artifacts;
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
  // The no-op type writes no artifact; the pool still sweeps the store.
  storage::LocalArtifactStore artifacts(std::filesystem::temp_directory_path() /
                                        "jobsd-bench-exports");
  options.artifacts = &artifacts;
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

}  // namespace
}  // namespace jobsd::bench

int main(int argc, char** argv) {
  using namespace jobsd::bench;
  try {
    if (argc < 2)
      throw std::invalid_argument("usage: jobsd_queue_bench enqueue|drain|latency|rawsqlite ...");
    const std::string command = argv[1];
    const auto flags = ParseFlags(argc, argv);
    if (command == "enqueue") return Enqueue(flags);
    if (command == "drain") return Drain(flags);
    if (command == "latency") return Latency(flags);
    if (command == "rawsqlite") return RawSqlite(flags);
    throw std::invalid_argument("unknown command " + command);
  } catch (const std::exception& e) {
    std::cerr << "jobsd_queue_bench: " << e.what() << "\n";
    return 2;
  }
}
