// Sends the deliveries the store queued when jobs finished (the outbox of
// engine/webhooks/webhook_store.h), as the README's "Completion webhooks"
// says: signed per the Standard Webhooks specification, retried with
// exponential backoff until a 2xx or until the retry window has passed.
//
// One loop thread claims due deliveries (at most as many as there are idle
// sender threads, so a claim never waits in memory while its lease runs)
// and hands them to a small pool of sender threads: one hanging endpoint
// holds one sender, not the others. It polls the store every
// poll_interval (on PostgreSQL that is how it sees the deliveries of jobs
// other nodes finished), and at once after WakeSoon.
//
// It never delays, fails or blocks a job: it runs on its own threads, and a
// store error is logged (once per episode) and retried on a later tick; a
// claim it could not finish lapses and comes due again. At least once: a
// delivery is deleted only after its 2xx (or giving up) was recorded, so a
// crash in between sends it again, with the same webhook-id.
//
// Thread-safe: Start, WakeSoon and Stop may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/metrics.h"
#include "engine/queue/failure_episode.h"
#include "engine/time.h"
#include "engine/webhooks/webhook_sender.h"
#include "engine/webhooks/webhook_store.h"

namespace jobsd {

struct WebhookDispatcherOptions {
  int senders = 4;                            // threads sending at once
  Nanos first_retry = 5 * kNanosPerSecond;    // doubling from there
  Nanos retry_for = kNanosPerDay;             // counted from the job's finish
  Nanos send_timeout = 10 * kNanosPerSecond;  // the sender's own bound, for the lease
  Nanos lease_margin = 5 * kNanosPerSecond;   // lease = now + send_timeout + margin
  Nanos poll_interval = kNanosPerSecond;
  // The record of attempts (`webhooks deliveries`) keeps this much; older
  // attempts are deleted at start and every prune_interval. serve passes
  // the job retention.
  Nanos keep_attempts_for = 30 * kNanosPerDay;
  Nanos prune_interval = 10 * 60 * kNanosPerSecond;
};

// The job as GET /v2/jobs/{id} shows it inside "data" (the JSON object),
// or nullopt when the job no longer exists. Called from sender threads.
using WebhookJobRenderer = std::function<std::optional<std::string>(const std::string& job_id)>;

class WebhookDispatcher {
 public:
  // All references must outlive the dispatcher; `metrics` may be null.
  WebhookDispatcher(WebhookStore& store, WebhookSender& sender, WebhookJobRenderer render_job,
                    const Clock& clock, WebhookDispatcherOptions options,
                    Metrics* metrics = nullptr);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // For tests, without threads: claims what is due at `now` (up to
  // `limit`) and tries each in turn on the calling thread, as of `now`.
  // Returns how many it tried. Store errors throw.
  int RunOnce(Nanos now, int limit = 100);

  // Starts the loop and the senders.
  void Start();
  // Claims at once instead of at the next tick (a job just finished here).
  void WakeSoon();
  // Stops claiming, lets each sender finish the try it is making (bounded
  // by the sender's timeout) and joins every thread. Idempotent.
  void Stop();

  // The body sent for `delivery`: {"type":…,"timestamp":…,"data":<job>}.
  static std::string Body(const WebhookDelivery& delivery, const std::string& job_json);
  // When the try after the n-th failed one is due: finished + first_retry *
  // 2^(n-1) after `now`, saturating.
  static Nanos NextAttemptAt(Nanos now, Nanos first_retry, int failed_attempts);

 private:
  // One try of a claimed delivery, as of `now`; records the attempt and
  // completes, retries or drops the delivery. Store errors throw.
  void Attempt(const WebhookDelivery& delivery, Nanos now);
  // Records the attempt, then deletes the delivery (delivered or given up).
  void Finish(const WebhookDelivery& delivery, WebhookAttempt attempt,
              Metrics::WebhookOutcome outcome);
  void Count(Metrics::WebhookOutcome outcome);
  void Loop();
  void PruneAttempts();
  void Send();

  WebhookStore& store_;
  WebhookSender& sender_;
  WebhookJobRenderer render_job_;
  const Clock& clock_;
  const WebhookDispatcherOptions options_;
  Metrics* metrics_;
  FailureEpisode claim_failures_;
  FailureEpisode send_failures_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<WebhookDelivery> claimed_;  // guarded by mutex_: waiting for a sender
  int idle_senders_ = 0;                 // guarded by mutex_
  bool wake_ = false;                    // guarded by mutex_
  bool stop_ = false;                    // guarded by mutex_
  bool started_ = false;                 // guarded by mutex_
  std::vector<std::thread> senders_;
  std::thread loop_;
};

}  // namespace jobsd
