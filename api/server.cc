#include "api/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <future>
#include <stdexcept>

#include "api/access_log.h"
#include "api/job_json.h"
#include "api/session.h"
#include "engine/log.h"

namespace jobsd::api {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::size_t WriteThreads(int configured, const ApiServices& services) {
  if (configured > 0) return static_cast<std::size_t>(configured);
  return static_cast<std::size_t>(services.jobs.CreatesWithoutWaiting()
                                      ? ServerOptions::kFewWriteThreads
                                      : ServerOptions::kManyWriteThreads);
}

}  // namespace

HttpServer::HttpServer(ServerOptions options, ApiServices services)
    : options_(std::move(options)),
      services_(std::move(services)),
      event_streams_(options_.max_event_streams, services_.metrics),
      blocking_pool_(static_cast<std::size_t>(std::max(1, options_.blocking_threads))),
      write_pool_(WriteThreads(options_.write_threads, services_)),
      acceptor_(asio::make_strand(io_context_)),
      tracker_(std::make_unique<ConnectionTracker>()),
      callbacks_in_flight_(std::make_unique<CallbacksInFlight>()),
      access_log_(std::make_unique<AccessLog>(stderr, CurrentLogFormat())) {}

HttpServer::~HttpServer() {
  if (started_ && !stopped_) Stop();
  Join();
}

std::string HttpServer::public_url() const { return router_ ? router_->public_url() : ""; }

void HttpServer::Start() {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  boost::system::error_code ec;
  tcp::resolver resolver(io_context_);
  auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    throw std::runtime_error("cannot listen on " + where + ": " +
                             (ec ? ec.message() : "host not found"));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto fail = [&](const boost::system::error_code& error) {
    throw std::runtime_error("cannot listen on " + where + ": " + error.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec)) fail(ec);
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec)) fail(ec);
  if (acceptor_.bind(endpoint, ec)) fail(ec);
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec)) fail(ec);
  port_ = acceptor_.local_endpoint().port();

  std::string url = options_.public_url;
  if (url.empty()) url = "http://" + HostForUrl(options_.host) + ":" + std::to_string(port_);
  router_ = std::make_unique<Router>(services_, url);
  // Events carry what GET /v2/jobs/{id} would answer: the same rendering.
  job_watcher_ = std::make_unique<JobWatcher>(
      services_.jobs,
      [url = router_->public_url()](const Job& job) { return JobDocument(job, url); },
      JobWatcherOptions{options_.event_poll_interval});

  asio::co_spawn(acceptor_.get_executor(), Listen(), asio::detached);
  started_ = true;
  const int threads = std::max(1, options_.io_threads);
  for (int i = 0; i < threads; ++i) io_threads_.emplace_back([this] { io_context_.run(); });
}

asio::awaitable<void> HttpServer::Listen() {
  SessionContext context{options_,
                         *router_,
                         services_.metrics,
                         blocking_pool_,
                         write_pool_,
                         *tracker_,
                         *callbacks_in_flight_,
                         *access_log_,
                         *job_watcher_,
                         event_streams_,
                         EventStreamOptions{options_.event_keepalive, options_.read_timeout}};
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_context_),
                                                        asio::as_tuple(asio::use_awaitable));
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: pause instead of spinning.
      LogError("accept failed: " + ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (tracker_->size() >= options_.max_connections) {
      Session::RejectBusy(std::move(socket));
      continue;
    }
    auto session = std::make_shared<Session>(std::move(socket), context);
    if (!tracker_->Add(session)) co_return;  // stopping
    Session::Start(std::move(session));
  }
}

void HttpServer::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  tracker_->StopAll();
  // Close the listening socket on its own executor and wait for it: a
  // posted close that has not run when io_context_.stop() comes below would
  // never run, and the kernel would go on accepting connections that
  // nobody serves while the engine drains.
  std::promise<void> closed;
  asio::post(acceptor_.get_executor(), [this, &closed] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  const auto now = std::chrono::steady_clock::now();
  if (!tracker_->WaitEmpty(now + options_.stop_timeout)) {
    tracker_->CloseAll();
    tracker_->WaitEmpty(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  io_context_.stop();
  job_watcher_->Stop();
}

void HttpServer::Join() {
  if (joined_) return;
  for (std::thread& thread : io_threads_) {
    if (thread.joinable()) thread.join();
  }
  blocking_pool_.join();
  write_pool_.join();
  // A job POSTed without a pool thread is still committing: its callback
  // posts to io_context_, which must still exist (a stopped one just keeps
  // the handler until it is destroyed).
  callbacks_in_flight_->WaitNone();
  access_log_->Flush();  // the lines of the last requests
  joined_ = true;
}

}  // namespace jobsd::api
