// GET /v2/jobs/{id}/events on the wire (docs/jobs.md): Server-Sent
// Events of one job, fed by the process's JobWatcher.
//
//   event: job
//   id: <1, 2, ...>
//   data: <the body GET /v2/jobs/{id} would answer now>
//   <blank line>
//
// The first event at once, then one per change of what GET would answer;
// after the event that carries success or failed the body ends. An idle
// stream gets a comment line (":", then a blank line so that a client that
// splits on blank lines sees it alone) every keepalive interval.
//
// The response is `Connection: close` with a chunked body (close-delimited
// for HTTP/1.0): the final chunk ends the stream cleanly and the server
// closes the connection, so `curl -N` and EventSource end (or reconnect)
// at once, and nothing a client pipelines behind a stream is misread.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "engine/metrics.h"
#include "engine/queue/job_watcher.h"

namespace jobsd::api {

// The open event streams, at most `max` at once (past it the route
// answers 503), counted in Metrics for jobsd_event_streams_open.
// Thread-safe.
class EventStreamSlots {
 public:
  // Frees its place when destroyed.
  class Slot {
   public:
    explicit Slot(EventStreamSlots& slots) : slots_(slots) {}
    ~Slot() { slots_.Release(); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    EventStreamSlots& slots_;
  };

  EventStreamSlots(std::size_t max, Metrics& metrics) : max_(max), metrics_(metrics) {}

  // nullptr when `max` streams are open.
  std::unique_ptr<Slot> TryTake();
  std::size_t max() const { return max_; }

 private:
  void Release();

  const std::size_t max_;
  Metrics& metrics_;
  std::atomic<std::size_t> open_{0};
};

struct EventStreamOptions {
  std::chrono::milliseconds keepalive{15'000};  // docs/jobs.md
  // A write the client does not take within this ends the stream.
  std::chrono::milliseconds write_timeout{30'000};
};

// One stream. Lives on its connection's strand: Run, Stop and the
// watcher's notifications (posted there) never run at once.
class EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(boost::beast::tcp_stream& stream, JobWatcher& watcher, EventStreamOptions options);

  // Sends the headers (200, from `headers`), event 1 and the rest, until
  // the job ends, is gone, the client leaves or Stop. The caller closes
  // the connection afterwards. Throws nothing.
  boost::asio::awaitable<void> Run(http::fields headers, unsigned version, EventStreamStart start);

  // Ends the stream after the write in progress (server shutdown).
  void Stop();

 private:
  // Sends `out_` as one chunk; false when the client is gone.
  template <class Serializer>
  boost::asio::awaitable<bool> Send(Serializer& serializer, http::buffer_body::value_type& body);
  // Reads (and drops) what the client sends, so that its leaving is seen
  // at once rather than at the next write.
  void WatchForHangUp();
  void OnChange(std::shared_ptr<const JobSnapshot> snapshot);

  boost::beast::tcp_stream& stream_;
  JobWatcher& watcher_;
  EventStreamOptions options_;
  boost::asio::steady_timer wake_;  // the stream's loop waits on it
  // On the strand only.
  std::string out_;
  char scratch_[512];
  std::shared_ptr<const JobSnapshot> latest_;  // the newest change not yet sent
  bool changed_ = false;
  bool stopping_ = false;
  bool client_gone_ = false;
  bool reading_ = false;
};

}  // namespace jobsd::api
