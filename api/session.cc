#include "api/session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <vector>

#include "api/access_log.h"
#include "api/handler_lane.h"
#include "api/request_id.h"
#include "api/request_reader.h"
#include "api/server.h"

namespace jobsd::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kAsTuple = asio::as_tuple(use_awaitable);
constexpr std::size_t kFileChunkBytes = 64 * 1024;
constexpr std::size_t kReadBytes = 4096;
// After an error that ends the connection, unread request bytes are
// drained for a moment so that closing does not reset the connection
// before the client has read our answer.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kLingerBytes = 1024 * 1024;

// The path without the query string (which may carry filters), and with
// the secret export token hidden.
std::string_view LoggablePath(std::string_view target, const Response& response) {
  if (response.route == "/exports/{token}.csv") return response.route;
  return target.substr(0, target.find('?'));
}

// Hands the response's headers to the message without copying each field
// (the message's own fields are still empty).
template <class Body>
void TakeHeaders(http::response<Body>& message, Response& response) {
  http::fields& fields = message;
  fields = std::move(response.headers);
}

}  // namespace

// ---------------------------------------------------------------------------
// ConnectionTracker

bool ConnectionTracker::Add(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(mutex_);
  if (stopping_) return false;
  sessions_.emplace(session.get(), session);
  return true;
}

void ConnectionTracker::Remove(const Session* session) {
  std::lock_guard lock(mutex_);
  sessions_.erase(session);
  if (sessions_.empty()) empty_.notify_all();
}

std::size_t ConnectionTracker::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool ConnectionTracker::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void ConnectionTracker::StopAll() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) session->RequestStop();
  }
}

void ConnectionTracker::CloseAll() {
  std::lock_guard lock(mutex_);
  for (auto& [key, weak] : sessions_) {
    if (auto session = weak.lock()) session->Close();
  }
}

bool ConnectionTracker::WaitEmpty(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return empty_.wait_until(lock, deadline, [&] { return sessions_.empty(); });
}

// ---------------------------------------------------------------------------
// CallbacksInFlight

void CallbacksInFlight::Add() {
  std::lock_guard lock(mutex_);
  ++count_;
}

void CallbacksInFlight::Done() {
  std::lock_guard lock(mutex_);
  if (--count_ == 0) none_.notify_all();
}

void CallbacksInFlight::WaitNone() {
  std::unique_lock lock(mutex_);
  none_.wait(lock, [&] { return count_ == 0; });
}

// ---------------------------------------------------------------------------
// Session

Session::Session(asio::ip::tcp::socket socket, SessionContext context)
    : stream_(std::move(socket)), context_(context) {}

void Session::Start(std::shared_ptr<Session> session) {
  auto executor = session->stream_.get_executor();
  asio::co_spawn(executor, Run(std::move(session)), asio::detached);
}

void Session::RequestStop() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == Phase::kWaiting) self->stream_.socket().close();
    if (self->event_stream_) self->event_stream_->Stop();
  });
}

void Session::Close() {
  asio::post(stream_.get_executor(),
             [self = shared_from_this()] { self->stream_.socket().close(); });
}

asio::awaitable<void> Session::Run(std::shared_ptr<Session> self) {
  try {
    while (co_await self->ServeOne()) {
    }
  } catch (const std::exception&) {
    // Resets, timeouts and closes by Stop end the connection; nothing to
    // tell anyone (the client is gone).
  }
  boost::system::error_code ignored;
  self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  self->stream_.socket().close(ignored);
  self->context_.tracker.Remove(self.get());
}

// Serves one request; false when the connection should end.
asio::awaitable<bool> Session::ServeOne() {
  const ServerOptions& options = context_.options;
  phase_ = Phase::kWaiting;
  if (context_.tracker.stopping()) co_return false;

  // Waiting for the first byte: a kept-alive connection may idle for
  // idle_timeout; a new one that says nothing is dropped like a slow one.
  if (buffer_.size() == 0) {
    stream_.expires_after(requests_served_ == 0 ? options.read_timeout : options.idle_timeout);
    const std::size_t n = co_await stream_.async_read_some(buffer_.prepare(4096), use_awaitable);
    buffer_.commit(n);
  }

  // Reading: the whole request must arrive within read_timeout.
  stream_.expires_after(options.read_timeout);
  RequestReader reader(options.header_limit, options.body_limit);
  if (!co_await ReadPart(reader, &RequestReader::ParseHeader)) co_return false;
  const Request& header = reader.header();
  if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
    // Refused before the body is sent (a 401 on /v2/* without a valid
    // token), so no 100 Continue invites a body that will not be read.
    if (std::optional<Response> refusal = co_await PrecheckOnPool(header)) {
      co_await SendAndLinger(*refusal);
      co_return false;
    }
    http::response<http::empty_body> proceed{http::status::continue_, header.version()};
    co_await http::async_write(stream_, proceed, use_awaitable);
  }
  if (!co_await ReadPart(reader, &RequestReader::ParseBody)) co_return false;

  // Busy: handle on the blocking pool, come back to this strand to write.
  phase_ = Phase::kBusy;
  stream_.expires_never();
  const auto start = Clock::now();
  const std::string request_id = NewRequestId();
  Request request = reader.Release();
  Response response;
  const HandlerLane lane = LaneFor(request);
  std::optional<Response> answered;
  if (lane == HandlerLane::kRead) {
    answered = context_.router.AnswerFromListCache(request, request_id);
  } else if (lane == HandlerLane::kWrite) {
    answered = co_await PostJobWithoutPool(request, request_id);
  }
  if (lane == HandlerLane::kInline) {
    response = context_.router.Handle(request, request_id);
  } else if (answered) {
    response = *std::move(answered);  // a poll of an unchanged list, or a POST of a job
  } else {
    response = co_await asio::co_spawn(
        lane == HandlerLane::kRead ? context_.blocking_pool : context_.write_pool,
        [&]() -> asio::awaitable<Response> {
          co_return context_.router.Handle(request, request_id);
        },
        use_awaitable);
  }

  const bool head = request.method() == http::verb::head;
  if (response.events && !head) {
    std::optional<Response> refusal =
        co_await StreamEvents(response, request.version(), request_id);
    if (!refusal) {
      Record(request.method_string(), request.target(), response, request_id, start);
      co_return false;  // a stream ends its connection
    }
    response = *std::move(refusal);
  }

  const bool keep_alive = request.keep_alive() && !context_.tracker.stopping();
  bool written = true;
  try {
    co_await Write(response, head, request.version(), keep_alive);
  } catch (const std::exception&) {
    written = false;  // the client went away; still log the request
  }
  Record(request.method_string(), request.target(), response, request_id, start);
  ++requests_served_;
  co_return written&& keep_alive;
}

namespace {

// What the store's callback hands back to the session's strand.
struct PostOutcome {
  bool started = false;
  Router::PostedJob posted;
};

}  // namespace

asio::awaitable<std::optional<Response>> Session::PostJobWithoutPool(const Request& request,
                                                                     std::string_view request_id) {
  if (request.method() != http::verb::post) co_return std::nullopt;
  CallbacksInFlight& in_flight = context_.callbacks_in_flight;
  PostOutcome outcome = co_await asio::async_initiate<decltype(use_awaitable), void(PostOutcome)>(
      [&](auto handler) {
        // Shared: std::function wants a copyable callback, the handler is
        // move-only. The store calls back once.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto executor = asio::get_associated_executor(*shared);
        auto resume = [shared, executor](PostOutcome outcome) {
          asio::post(executor, [shared, outcome = std::move(outcome)]() mutable {
            std::move (*shared)(std::move(outcome));
          });
        };
        in_flight.Add();
        const bool started = context_.router.StartPostJob(
            request, request_id, [resume, &in_flight](Router::PostedJob posted) {
              resume(PostOutcome{true, std::move(posted)});
              in_flight.Done();
            });
        if (!started) {
          in_flight.Done();
          resume(PostOutcome{});
        }
      },
      use_awaitable);
  if (!outcome.started) co_return std::nullopt;
  co_return context_.router.FinishPostJob(request_id, std::move(outcome.posted));
}

asio::awaitable<void> Session::Write(Response& response, bool head, unsigned version,
                                     bool keep_alive) {
  stream_.expires_after(context_.options.read_timeout);
  if (head) {
    http::response<http::empty_body> message{response.status, version};
    TakeHeaders(message, response);
    // A stream's length is unknown: its HEAD says none.
    if (!response.file && !response.events) message.content_length(response.BodyText().size());
    message.keep_alive(keep_alive);
    co_await http::async_write(stream_, message, use_awaitable);
    co_return;
  }
  if (response.file) {
    co_await WriteFile(response, version, keep_alive);
    co_return;
  }
  if (response.shared_body) {
    // Sent from the cache's own string, which `response` keeps alive.
    http::response<http::span_body<const char>> message{response.status, version};
    TakeHeaders(message, response);
    message.body() = {response.shared_body->data(), response.shared_body->size()};
    message.keep_alive(keep_alive);
    message.prepare_payload();
    co_await http::async_write(stream_, message, use_awaitable);
    co_return;
  }
  http::response<http::string_body> message{response.status, version};
  TakeHeaders(message, response);
  message.body() = std::move(response.body);
  message.keep_alive(keep_alive);
  message.prepare_payload();
  co_await http::async_write(stream_, message, use_awaitable);
}

// Streams the slice in chunks with buffer_body: memory stays at one chunk
// whatever the file size.
asio::awaitable<void> Session::WriteFile(Response& response, unsigned version, bool keep_alive) {
  FileSlice& slice = *response.file;
  http::response<http::buffer_body> message{response.status, version};
  TakeHeaders(message, response);
  message.keep_alive(keep_alive);
  message.body().data = nullptr;
  message.body().more = slice.length > 0;
  http::response_serializer<http::buffer_body> serializer{message};
  co_await http::async_write_header(stream_, serializer, use_awaitable);
  if (slice.length == 0) {
    co_await http::async_write(stream_, serializer, use_awaitable);
    co_return;
  }

  std::vector<char> chunk(kFileChunkBytes);
  std::uint64_t offset = slice.offset;
  std::uint64_t remaining = slice.length;
  while (remaining > 0) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
    const std::size_t got = slice.reader->ReadAt(offset, chunk.data(), want);
    // A short artifact cannot honour its Content-Length: end the connection.
    if (got == 0) throw boost::system::system_error(asio::error::eof);
    offset += got;
    remaining -= got;
    message.body().data = chunk.data();
    message.body().size = got;
    message.body().more = remaining > 0;
    stream_.expires_after(context_.options.read_timeout);
    auto [write_ec, written] = co_await http::async_write(stream_, serializer, kAsTuple);
    if (write_ec == http::error::need_buffer) continue;  // chunk sent, more to come
    if (write_ec) throw boost::system::system_error(write_ec);
  }
}

asio::awaitable<std::optional<Response>> Session::StreamEvents(Response& response, unsigned version,
                                                               std::string_view request_id) {
  std::unique_ptr<EventStreamSlots::Slot> slot = context_.event_streams.TryTake();
  if (!slot) {
    Response refusal = ErrorResponse(ErrorCode::kUnavailable,
                                     "Too many event streams are open (at most " +
                                         std::to_string(context_.event_streams.max()) +
                                         "); retry shortly, or poll the job",
                                     request_id);
    refusal.headers.set(http::field::retry_after, "5");
    refusal.headers.set("X-Request-Id", request_id);
    refusal.route = response.route;
    co_return refusal;
  }
  event_stream_ =
      std::make_shared<EventStream>(stream_, context_.job_watcher, context_.event_options);
  // Stop may have come while the handler ran: the stream then ends at once.
  if (context_.tracker.stopping()) event_stream_->Stop();
  co_await event_stream_->Run(std::move(response.headers), version, *std::move(response.events));
  event_stream_.reset();
  co_return std::nullopt;
}

asio::awaitable<bool> Session::ReadPart(RequestReader& reader, ReadStep step) {
  for (;;) {
    switch ((reader.*step)(buffer_)) {
      case RequestReader::Step::kDone:
        co_return true;
      case RequestReader::Step::kFailed:
        co_await SendErrorAndLinger(reader.failure().code, reader.failure().detail);
        co_return false;
      case RequestReader::Step::kNeedMore:
        break;
    }
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadBytes), kAsTuple);
    if (ec) co_return false;  // closed, reset or timed out: nobody to answer
    buffer_.commit(n);
  }
}

asio::awaitable<std::optional<Response>> Session::PrecheckOnPool(const Request& header) {
  const auto start = Clock::now();
  const std::string request_id = NewRequestId();
  std::optional<Response> refusal = co_await asio::co_spawn(
      context_.blocking_pool,
      [&]() -> asio::awaitable<std::optional<Response>> {
        co_return context_.router.PrecheckBeforeBody(header, request_id);
      },
      use_awaitable);
  if (refusal) {
    // Logged here: the caller only sends it.
    Record(header.method_string(), header.target(), *refusal, request_id, start);
  }
  co_return refusal;
}

asio::awaitable<void> Session::SendErrorAndLinger(ErrorCode code, std::string_view detail) {
  const auto start = Clock::now();
  const std::string request_id = NewRequestId();
  Response response = ErrorResponse(code, detail, request_id);
  response.headers.set("X-Request-Id", request_id);
  response.route = "unmatched";
  Record("-", "-", response, request_id, start);
  co_await SendAndLinger(response);
}

asio::awaitable<void> Session::SendAndLinger(Response& response) {
  try {
    co_await Write(response, false, 11, false);
  } catch (const std::exception&) {
    co_return;  // the client is gone
  }

  boost::system::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(kLingerTime);
  std::size_t drained = 0;
  std::vector<char> sink(16 * 1024);
  while (drained < kLingerBytes) {
    auto [read_ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kAsTuple);
    if (read_ec) break;
    drained += n;
  }
}

void Session::Record(std::string_view method, std::string_view target, const Response& response,
                     std::string_view request_id, Clock::time_point start) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
  const int status = static_cast<int>(response.status);
  context_.metrics.HttpRequest(response.route, status, elapsed.count());
  context_.access_log.Write(method, LoggablePath(target, response), status, elapsed, request_id);
}

void Session::RejectBusy(asio::ip::tcp::socket socket) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  auto executor = stream->get_executor();
  asio::co_spawn(
      executor,
      [stream]() -> asio::awaitable<void> {
        const std::string request_id = NewRequestId();
        Response response = ErrorResponse(ErrorCode::kUnavailable,
                                          "Too many open connections; try again later", request_id);
        http::response<http::string_body> message{response.status, 11};
        for (const auto& field : response.headers) message.set(field.name_string(), field.value());
        message.set("X-Request-Id", request_id);
        message.body() = std::move(response.body);
        message.keep_alive(false);
        message.prepare_payload();
        stream->expires_after(std::chrono::seconds(5));
        co_await http::async_write(*stream, message, kAsTuple);
        boost::system::error_code ignored;
        stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        stream->socket().close(ignored);
      },
      asio::detached);
}

}  // namespace jobsd::api
