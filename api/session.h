// One HTTP/1.1 connection: read a request, run the router on the blocking
// pool (or, for a POST of a job, hand it to the store and resume when it is
// committed), write the response, repeat while kept alive. Runs as a coroutine
// on the connection's strand; all its state is touched only there.
//
// Limits: header_limit (431), body_limit (413, also when Content-Length
// announces more), read_timeout from a request's first byte, idle_timeout
// between requests. Each request gets an X-Request-Id, one access-log line
// (api/access_log.h) and a metrics sample under its route template.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "api/errors.h"
#include "api/event_stream.h"
#include "api/http_types.h"
#include "api/request_reader.h"
#include "api/router.h"
#include "engine/metrics.h"

namespace jobsd::api {

struct ServerOptions;
class AccessLog;
class Session;

// The open connections, so that Stop can close idle ones and wait for the
// rest. Thread-safe.
class ConnectionTracker {
 public:
  // False once StopAll ran: the connection must be dropped.
  bool Add(const std::shared_ptr<Session>& session);
  void Remove(const Session* session);
  std::size_t size() const;
  bool stopping() const;

  // Marks the tracker stopped and asks every session to end after its
  // current request (idle ones end at once).
  void StopAll();
  // Closes every connection, busy or not.
  void CloseAll();
  // True when all connections ended before `deadline`.
  bool WaitEmpty(std::chrono::steady_clock::time_point deadline);

 private:
  mutable std::mutex mutex_;
  std::condition_variable empty_;
  // Guarded by mutex_.
  std::map<const Session*, std::weak_ptr<Session>> sessions_;
  bool stopping_ = false;
};

// Calls a store still owes the server: each posts to the server's I/O
// context when it comes, so the server must not be destroyed before the
// last has come (HttpServer::Join waits). Thread-safe.
class CallbacksInFlight {
 public:
  void Add();
  void Done();
  void WaitNone();

 private:
  std::mutex mutex_;
  std::condition_variable none_;
  std::size_t count_ = 0;  // guarded by mutex_
};

struct SessionContext {
  const ServerOptions& options;
  const Router& router;
  Metrics& metrics;
  boost::asio::thread_pool& blocking_pool;  // reads (api/handler_lane.h)
  boost::asio::thread_pool& write_pool;     // writes
  ConnectionTracker& tracker;
  CallbacksInFlight& callbacks_in_flight;  // POST /v2/jobs without a pool
  AccessLog& access_log;
  // GET /v2/jobs/{id}/events (api/event_stream.h).
  JobWatcher& job_watcher;
  EventStreamSlots& event_streams;
  EventStreamOptions event_options;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, SessionContext context);

  // Spawns the session coroutine on the socket's strand.
  static void Start(std::shared_ptr<Session> session);

  // From any thread: end after the current request (an event stream at
  // once); close now when idle.
  void RequestStop();
  // From any thread: close now.
  void Close();

  // Answers 503 on a connection over the cap, then closes it.
  static void RejectBusy(boost::asio::ip::tcp::socket socket);

 private:
  enum class Phase { kWaiting, kBusy };

  static boost::asio::awaitable<void> Run(std::shared_ptr<Session> self);
  boost::asio::awaitable<bool> ServeOne();
  boost::asio::awaitable<void> Write(Response& response, bool head, unsigned version,
                                     bool keep_alive);
  // POST /v2/jobs with no pool thread waiting for its commit
  // (Router::StartPostJob); nullopt when the router cannot, having done
  // nothing.
  boost::asio::awaitable<std::optional<Response>> PostJobWithoutPool(const Request& request,
                                                                     std::string_view request_id);
  boost::asio::awaitable<void> WriteFile(Response& response, unsigned version, bool keep_alive);
  // Streams the events of `response.events`; nullopt when it did, else the
  // 503 to send instead (too many streams open).
  boost::asio::awaitable<std::optional<Response>> StreamEvents(Response& response, unsigned version,
                                                               std::string_view request_id);
  // Runs `step` of `reader` on the buffered bytes, reading more while it
  // needs them; false when the connection must end (the client closed or
  // was too slow, or the request was refused and answered here).
  using ReadStep = RequestReader::Step (RequestReader::*)(boost::beast::flat_buffer&);
  boost::asio::awaitable<bool> ReadPart(RequestReader& reader, ReadStep step);
  // The router's answer to a header that asks for 100 Continue, when it
  // refuses it before the body (logged); nullopt to go on.
  boost::asio::awaitable<std::optional<Response>> PrecheckOnPool(const Request& header);
  // Logs and sends an error, then ends the connection.
  boost::asio::awaitable<void> SendErrorAndLinger(ErrorCode code, std::string_view detail);
  // Sends `response` with Connection: close, then drains what the client
  // still sends for a moment, so that closing does not reset the connection
  // before the client has read the answer.
  boost::asio::awaitable<void> SendAndLinger(Response& response);
  void Record(std::string_view method, std::string_view target, const Response& response,
              std::string_view request_id, std::chrono::steady_clock::time_point start);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  SessionContext context_;
  Phase phase_ = Phase::kWaiting;              // on the strand only
  int requests_served_ = 0;                    // on the strand only
  std::shared_ptr<EventStream> event_stream_;  // while streaming; on the strand only
};

}  // namespace jobsd::api
