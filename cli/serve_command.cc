// jobsd serve: the HTTP API and the worker pool in one process, until
// SIGINT or SIGTERM. The first signal drains (stop accepting, finish
// in-flight requests, let running jobs finish within the grace period,
// return the rest to pending); a second one stops at once, still losing
// nothing (jobs go back to pending, or their leases expire).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "api/job_json.h"
#include "api/server.h"
#include "api/webhook_sender.h"
#include "cli/app.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/startup_checks.h"
#include "cli/webhook_settings.h"
#include "engine/credentials.h"
#include "engine/idle_memory_trimmer.h"
#include "engine/log.h"
#include "engine/metrics.h"
#include "engine/queue/maintenance/periodic_runner.h"
#include "engine/queue/worker_pool.h"
#include "engine/webhooks/webhook_dispatcher.h"
#include "storage/open_store.h"

namespace jobsd::cli {
namespace {

// Feeds the worker pool's runs into the Prometheus metrics.
class MetricsObserver final : public JobObserver {
 public:
  explicit MetricsObserver(Metrics& metrics) : metrics_(metrics) {}
  void OnJobStarted(const Job& job) override { metrics_.JobStarted(job.job_type); }
  void OnJobFinished(const Job& job, JobStatus status, Nanos duration, std::int64_t rows) override {
    metrics_.JobFinished(job.job_type, status, duration);
    if (rows > 0) metrics_.RowsExported(rows);
  }

 private:
  Metrics& metrics_;
};

// Signals are taken synchronously by the main thread (sigwait), so they
// must be blocked before any other thread starts and inherits the mask.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// glibc gives the free memory at the top of a heap back to the kernel once
// it passes 128 KiB (M_TRIM_THRESHOLD). Response bodies in flight (a page
// of 100 jobs is ~35 KB) come and go in those heaps, so under load the
// server returned memory and faulted it back in: ~7 page faults per such
// response. Keep up to 64 MiB instead. Setting a threshold turns off
// glibc's own adjusting of both, so the mmap threshold is set as well:
// allocations from 1 MiB up get their own mapping and go back when freed.
// What a burst leaves behind goes back once serve is quiet (the
// IdleMemoryTrimmer wired below). malloc_trim cannot shrink the top of a
// thread's arena, only of the main one, and glibc makes up to 8 arenas per
// core, one for every thread that ever met contention: after a burst each
// kept a few MiB it no longer used. Two per core still spare the threads
// (about 80 in serve, 64 of them the write pool's, mostly asleep) most waits
// for a lock, with far fewer such tops. Measured (POST then list burst, RSS
// 40 s later / idle): one arena in all 1.40x but POST -10%; one per core no
// better than two; glibc's tcache off 1.42x but lists of 100 -19%.
// All of this is glibc's malloc, which only a build without jemalloc uses
// (-DJOBSD_JEMALLOC=OFF, the sanitizer builds): the jobsd binary allocates
// with jemalloc, for which these calls change nothing (its options are in
// cli/jemalloc_conf.cc).
void KeepFreedMemoryForReuse() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  mallopt(M_ARENA_MAX, 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
#endif
}

// How long a request or a worker of `serve` waits for the write lock that
// another process holds (an import, a `sqlite3` shell) before giving up:
// the API then answers 503 + Retry-After and the worker retries with
// backoff. Short enough that a client hears back while it still waits;
// the commands themselves wait a minute (kCommandBusyTimeoutMs).
constexpr int kServeBusyTimeoutMs = 5'000;

// At most this long for requests in flight to finish on SIGTERM, and never
// more than the grace.
constexpr auto kMaxRequestDrain = std::chrono::seconds(10);

// Once the grace has passed, every wait on the store's lock gives up at
// once, so that shutdown does not wait out another process's lock.
class GraceDeadline {
 public:
  GraceDeadline(storage::Store& db, std::chrono::steady_clock::time_point deadline)
      : thread_([this, &db, deadline] {
          std::unique_lock lock(mutex_);
          if (!done_.wait_until(lock, deadline, [this] { return finished_; })) {
            db.AbortLockWaits();
          }
        }) {}
  ~GraceDeadline() {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    done_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool finished_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts once the rest exists
};

// PostgreSQL connections one serve needs at most: two per worker (an
// export reads its rows on one while a chunk of its file is stored on
// another, for the whole run), the HTTP handler threads
// (api::ServerOptions: 4 blocking + 8 write), the completer, the
// maintenance thread, and a few for commands in flight.
int ServeStoreConnections(const Settings& settings) {
  const int workers = settings.workers > 0
                          ? settings.workers
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return 2 * workers + 4 + 8 + 2 + 2;
}

}  // namespace

int RunServe(const Args& raw) {
  const CommandSpec spec{
      "serve",
      "",
      "Runs the HTTP API and the workers on the store. Prints first-run API credentials when "
      "the store has none.",
      {DbOption(), ExportsOption(), ListenOption(), PublicUrlOption(), WorkersOption(),
       RetentionOption(), ShutdownGraceOption(), MaxActiveJobsOption(), MinFreeDiskOption(),
       MaxEventStreamsOption(), LogFormatOption(), WebhookRetryForOption(),
       WebhookFirstRetryOption(), WebhookTimeoutOption()}};
  ParsedArgs args = Parse(spec, raw);
  if (args.help) return std::cout << HelpText(spec), 0;
  Settings settings = ResolveSettings(args);
  SetLogFormat(settings.log_format);
  const WebhookSettings webhook_settings = ResolveWebhookSettings(args);
  const sigset_t stop_signals = BlockStopSignals();
  KeepFreedMemoryForReuse();

  // Refuse to start, in one line, rather than serve a store or an exports
  // folder that cannot be written (the README's "Security and limits").
  const bool shared_store = storage::BackendOf(settings.db.string()) == storage::Backend::kPostgres;
  if (!shared_store) {
    // With PostgreSQL, export files live in the store, not in --exports.
    CheckExportsDir(std::filesystem::absolute(settings.exports).lexically_normal(),
                    args.SourceOf("exports"));
    try {
      storage::CheckWritableBeforeOpening(settings.db.string());
    } catch (const StoreError& e) {
      throw CommandError(e.what());
    }
  }
  App app(settings, kServeBusyTimeoutMs, ServeStoreConnections(settings));
  try {
    app.db->CheckWritable();
  } catch (const StoreError& e) {
    throw CommandError(e.what());
  }
  // The retention in force applies to every job, not only to new ones
  // (docs/jobs.md); the worker pool's first retention sweep then
  // deletes what this expired, files included.
  if (const std::int64_t redated = app.jobs->ApplyRetention(); redated > 0) {
    LogInfo("the retention in force now applies to " + std::to_string(redated) +
            " job(s) stored with another");
  }
  Authenticator auth(app.db->credentials(), app.clock);
  // Nodes sharing a store share the count of failed token requests.
  auth.CountFailuresInStore(app.db->cluster() != nullptr);
  if (!auth.HasAnyClient()) {
    ClientCredentials created = auth.CreateClient();
    std::cout << "First run: created API credentials (shown once; keep them):\n"
              << "client_id: " << created.client_id << "\n"
              << "client_secret: " << created.client_secret << "\n"
              << std::flush;
  }

  Metrics metrics;
  MetricsObserver observer(metrics);
  WorkerPoolOptions pool_options;
  pool_options.workers = settings.workers;
  pool_options.artifacts = app.artifacts;
  pool_options.cluster = app.db->cluster();
  WorkerPool pool(app.db->jobs(), app.registry, app.clock, pool_options, &observer);
  app.jobs->SetOnCreated([&pool] { pool.Wake(); });
  app.jobs->SetOnCancelled([&pool] { pool.RenewLeasesSoon(); });

  api::ServerOptions server_options;
  server_options.host = settings.listen_host;
  server_options.port = settings.listen_port;
  server_options.public_url = settings.public_url;
  server_options.max_event_streams = static_cast<std::size_t>(settings.max_event_streams);
  server_options.stop_timeout = std::min<std::chrono::seconds>(
      kMaxRequestDrain, std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::nanoseconds(settings.shutdown_grace)));
  std::atomic<bool> ready{false};
  // /readyz: a real round trip to the store, at most once a second.
  api::ApiServices services{*app.jobs,
                            auth,
                            metrics,
                            *app.artifacts,
                            [&ready, &app] { return ready.load() && app.db->Health().ok; },
                            [&ready, &app]() -> std::string {
                              if (!ready.load()) return "jobsd is starting or stopping";
                              return app.db->Health().problem;
                            }};
  api::HttpServer server(server_options, services);
  try {
    server.Start();
  } catch (const std::exception& e) {
    throw CommandError(e.what());
  }
  // Completion webhooks: the store queues them as jobs finish (on any node);
  // this sends them, on threads of its own, with the body's data exactly
  // GET /v2/jobs/{id}'s.
  api::WebhookClientOptions client_options;
  client_options.connect_timeout = client_options.response_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::nanoseconds(webhook_settings.timeout));
  api::BeastWebhookSender webhook_sender(client_options);
  WebhookDispatcherOptions dispatcher_options;
  dispatcher_options.first_retry = webhook_settings.first_retry;
  dispatcher_options.retry_for = webhook_settings.retry_for;
  dispatcher_options.send_timeout = webhook_settings.timeout;
  dispatcher_options.keep_attempts_for = settings.retention;
  WebhookDispatcher webhooks(
      app.db->webhooks(), webhook_sender,
      [&app, &server](const std::string& id) -> std::optional<std::string> {
        const std::optional<Job> job = app.jobs->Get(id);
        if (!job) return std::nullopt;
        std::string json;
        api::AppendJobJson(json, *job, server.public_url());
        return json;
      },
      app.clock, dispatcher_options, &metrics);
  pool.Start();
  webhooks.Start();
  // After a burst, what it freed goes back to the system once serve has
  // been quiet for a while, instead of RSS staying at the peak for good.
  IdleMemoryTrimmer trimmer(
      app.clock, IdleMemoryTrimmerOptions{}, [&metrics] { return metrics.activity(); },
      [&app] {
        app.db->ReleaseCachedMemory();  // first: what SQLite frees is then trimmed too
        ReturnFreedMemoryToSystem();
      });
  PeriodicRunner trimming("memory trim", {PeriodicTask{.interval = 5 * kNanosPerSecond,
                                                       .runs_at_start = false,
                                                       .runs_while_draining = false,
                                                       .run = [&trimmer] { trimmer.RunOnce(); }}});
  trimming.Start();
  ready.store(true);
  // The address bound, then the public URL when links use another one:
  // scripts read the port from the first part.
  Settings bound = settings;
  bound.listen_port = server.port();
  bound.public_url.clear();
  const std::string listening = PublicUrl(bound);
  std::cout << "jobsd listening on " << listening << " ("
            << (server.public_url() == listening ? "" : "public URL " + server.public_url() + ", ")
            << "store " << StoreLocationForDisplay(settings) << ", exports "
            << app.artifacts->Location() << ", " << pool.worker_count() << " workers)\n"
            << std::flush;
  if (settings.log_format == LogFormat::kJson) {
    // The same facts for whoever reads only the JSON log.
    LogInfo("listening", {{"address", listening},
                          {"public_url", server.public_url()},
                          {"workers", static_cast<std::int64_t>(pool.worker_count())}});
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo(std::string(signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
          ": shutting down (send it again to stop at once)");
  ready.store(false);

  // Everything must end within the grace: requests in flight, running jobs,
  // and any wait on the lock (GraceDeadline).
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(settings.shutdown_grace);
  std::atomic<bool> drained{false};
  std::thread drain([&] {
    GraceDeadline grace(*app.db, deadline);
    server.Stop();
    const auto left = std::max(std::chrono::steady_clock::duration::zero(),
                               deadline - std::chrono::steady_clock::now());
    pool.Shutdown(std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
    webhooks.Stop();  // an attempt in flight ends within --webhook-timeout
    server.Join();
    drained.store(true);
    // Wakes the sigwait below if no second signal came.
    kill(getpid(), SIGTERM);
  });
  sigwait(&stop_signals, &signal_number);
  if (!drained.load()) {
    LogWarning("second signal: stopping running jobs now");
    app.db->AbortLockWaits();
    pool.ForceStop();
  }
  drain.join();
  LogInfo("stopped");
  return 0;
}

}  // namespace jobsd::cli
