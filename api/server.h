// The HTTP server: an Asio listener and one session per connection, on
// `io_threads` threads. Handlers (which touch the store) run on separate
// pools, so a slow query never stalls socket I/O: reads on
// `blocking_threads`, writes on `write_threads`, so a write waiting for the
// store's lock never holds up a read (api/handler_lane.h).
//
// Lifecycle: construct, Start (binds; throws std::runtime_error), then
// Stop and Join from a thread that is not one of the server's own.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/event_stream.h"
#include "api/router.h"
#include "api/services.h"
#include "engine/queue/job_watcher.h"

namespace jobsd::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port, see HttpServer::port()
  std::string public_url;     // "": http://host:port
  int io_threads = 2;
  int blocking_threads = 4;  // GET and HEAD handlers
  // Every other handler. Writes share one writer (storage/sqlite/group_writer.h),
  // so only one of them waits on the store's lock; the rest wait for its
  // outcome, and when the lock wait runs out they all get their 503 at once
  // instead of each waiting it out in turn. 0 picks by store:
  //  - kFewWriteThreads when POST /v2/jobs needs no thread
  //    (Router::StartPostJob, SQLite): the pool then only runs the rarer
  //    writes (cancels, tokens);
  //  - else kManyWriteThreads, as many as the connections a busy client
  //    pool keeps: each thread holds one POST until its commit, so the
  //    count caps how many POSTs share one commit (with 8, about 4 jobs per
  //    fsync at 64 connections; with 64, about 22; bench/RESULTS.md).
  int write_threads = 0;
  static constexpr int kFewWriteThreads = 8;
  static constexpr int kManyWriteThreads = 64;
  std::size_t max_connections = 1024;    // beyond it: 503 and close
  std::size_t body_limit = 64 * 1024;    // beyond it: 413
  std::size_t header_limit = 16 * 1024;  // beyond it: 431
  // A request (headers and body) must arrive within read_timeout of its
  // first byte; a kept-alive connection may sit idle for idle_timeout.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  // How long Stop waits for requests in flight before closing them.
  std::chrono::seconds stop_timeout{10};
  // GET /v2/jobs/{id}/events: open at once at most (past it 503), the
  // comment an idle stream gets, how often the store is checked for changes.
  std::size_t max_event_streams = 1000;
  std::chrono::milliseconds event_keepalive{15'000};
  std::chrono::milliseconds event_poll_interval{250};
};

class AccessLog;
class CallbacksInFlight;
class ConnectionTracker;

class HttpServer {
 public:
  HttpServer(ServerOptions options, ApiServices services);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens, then starts the threads. Throws std::runtime_error,
  // e.g. "cannot listen on 127.0.0.1:8080: Address already in use".
  void Start();

  std::uint16_t port() const { return port_; }
  std::string public_url() const;

  // The one watcher of the event streams (after Start; tests count its reads).
  const JobWatcher& job_watcher() const { return *job_watcher_; }

  // Stops accepting, closes idle keep-alive connections, lets requests in
  // flight finish for up to stop_timeout, then closes the rest.
  void Stop();
  void Join();

 private:
  boost::asio::awaitable<void> Listen();

  ServerOptions options_;
  ApiServices services_;
  // Before io_context_: the streams it still holds when it is destroyed
  // unsubscribe and free their slots.
  EventStreamSlots event_streams_;
  std::unique_ptr<JobWatcher> job_watcher_;
  boost::asio::io_context io_context_;
  boost::asio::thread_pool blocking_pool_;
  boost::asio::thread_pool write_pool_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<ConnectionTracker> tracker_;
  std::unique_ptr<CallbacksInFlight> callbacks_in_flight_;
  std::unique_ptr<AccessLog> access_log_;
  std::vector<std::thread> io_threads_;
  std::uint16_t port_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  bool joined_ = false;
};

}  // namespace jobsd::api
