#include "api/webhook_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>

#include "api/webhook_url.h"

namespace jobsd::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct WebhookClient::Tls {
  ssl::context context{ssl::context::tls_client};
};

namespace {

constexpr int kMaxInterimAnswers = 4;  // 100 Continue, 103 Early Hints...

// Where one attempt is, so an error says what failed.
struct Progress {
  const char* stage = "resolve";
  WebhookPostResult result;
  bool finished = false;
};

bool HeaderIsSafe(const std::string& text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

std::string Describe(const boost::system::error_code& error, std::chrono::milliseconds timeout) {
  if (error == beast::error::timeout) {
    return "timed out after " + std::to_string(timeout.count()) + " ms";
  }
  return error.message();
}

template <class Stream>
net::awaitable<void> Exchange(Stream& stream, const http::request<http::string_body>& request,
                              const WebhookClientOptions& options, Clock::time_point deadline,
                              Progress& progress) {
  beast::get_lowest_layer(stream).expires_at(deadline);
  progress.stage = "send";
  co_await http::async_write(stream, request, net::use_awaitable);
  progress.stage = "answer";
  beast::flat_buffer buffer(options.max_header_bytes + 64 * 1024);
  for (int interim = 0;; ++interim) {
    http::response_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(boost::none);  // read up to max_body_bytes below, then dropped
    co_await http::async_read_header(stream, buffer, parser, net::use_awaitable);
    const int status = static_cast<int>(parser.get().result_int());
    if (status >= 100 && status < 200 && status != 101 && interim < kMaxInterimAnswers) continue;
    progress.result.status = status;
    // The status is the answer; the body only has to be drained a little,
    // so that a server that writes it before reading the close is not cut
    // off rudely. Trouble reading it changes nothing.
    char chunk[8192];
    std::size_t drained = 0;
    while (!parser.is_done() && drained < options.max_body_bytes) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      auto [error, ignored] =
          co_await http::async_read(stream, buffer, parser, net::as_tuple(net::use_awaitable));
      drained += sizeof chunk - parser.get().body().size;
      if (error && error != http::error::need_buffer) break;
    }
    co_return;
  }
}

net::awaitable<void> Attempt(const WebhookUrl& url, const http::request<http::string_body>& request,
                             const WebhookClientOptions& options, ssl::context& tls,
                             Clock::time_point start, Progress& progress) {
  auto executor = co_await net::this_coro::executor;
  const Clock::time_point deadline = start + options.response_timeout;
  const Clock::time_point connect_deadline = std::min(deadline, start + options.connect_timeout);
  tcp::resolver resolver(executor);
  progress.stage = "resolve";
  const auto endpoints = co_await resolver.async_resolve(
      url.host, std::to_string(url.port),
      url.host_is_ip ? tcp::resolver::numeric_host | tcp::resolver::numeric_service
                     : tcp::resolver::numeric_service,
      net::use_awaitable);
  progress.stage = "connect";
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(connect_deadline);
  co_await tcp_stream.async_connect(endpoints, net::use_awaitable);
  if (!url.tls) {
    co_await Exchange(tcp_stream, request, options, deadline, progress);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), tls);
  if (!url.host_is_ip && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    throw boost::system::system_error(boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                                                net::error::get_ssl_category()));
  }
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  progress.stage = "TLS handshake";
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await stream.async_handshake(ssl::stream_base::client, net::use_awaitable);
  // No TLS close_notify afterwards: the answer is in, and a server that
  // never answers the shutdown would hold the attempt to its deadline.
  co_await Exchange(stream, request, options, deadline, progress);
}

}  // namespace

WebhookClient::WebhookClient(WebhookClientOptions options)
    : options_(std::move(options)), tls_(std::make_unique<Tls>()) {
  boost::system::error_code error;
  tls_->context.set_default_verify_paths(error);
  if (error)
    throw std::runtime_error("cannot load the system's trusted certificates: " + error.message());
  if (!options_.extra_ca_file.empty()) {
    tls_->context.load_verify_file(options_.extra_ca_file, error);
    if (error) {
      throw std::runtime_error("cannot load the certificates of " + options_.extra_ca_file + ": " +
                               error.message());
    }
  }
  tls_->context.set_verify_mode(ssl::verify_peer);
}

WebhookClient::~WebhookClient() = default;

WebhookPostResult WebhookClient::Post(const WebhookPost& post) const {
  const Clock::time_point start = Clock::now();
  Progress progress;
  auto finish = [&] {
    progress.result.duration = Clock::now() - start;
    return progress.result;
  };
  std::string problem;
  std::optional<WebhookUrl> url = ParseWebhookUrl(post.url, &problem);
  if (!url) {
    progress.result.error = "bad URL: " + problem;
    return finish();
  }
  http::request<http::string_body> request{http::verb::post, url->target, 11};
  request.set(http::field::host, url->HostHeader());
  request.set(http::field::user_agent, "jobsd-webhooks");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : post.headers) {
    if (name.empty() || !HeaderIsSafe(name) || !HeaderIsSafe(value)) {
      progress.result.error = "bad request header";
      return finish();
    }
    request.set(name, value);
  }
  request.body() = post.body;
  request.prepare_payload();

  net::io_context io;
  net::co_spawn(io, Attempt(*url, request, options_, tls_->context, start, progress),
                [&](std::exception_ptr failure) {
                  progress.finished = true;
                  if (!failure) return;
                  try {
                    std::rethrow_exception(failure);
                  } catch (const boost::system::system_error& e) {
                    const bool connecting = std::string_view(progress.stage) == "connect";
                    progress.result.error =
                        std::string(progress.stage) + ": " +
                        Describe(e.code(), connecting ? std::min(options_.connect_timeout,
                                                                 options_.response_timeout)
                                                      : options_.response_timeout);
                  } catch (const std::exception& e) {
                    progress.result.error = std::string(progress.stage) + ": " + e.what();
                  }
                });
  // The sockets' own deadlines end every step in time; this bound covers
  // name resolution, which they do not. A resolution still running in
  // getaddrinfo is abandoned (its thread joins when the system gives up).
  io.run_until(start + options_.response_timeout + std::chrono::milliseconds(200));
  if (!progress.finished) {
    progress.result.error = std::string(progress.stage) + ": timed out after " +
                            std::to_string(options_.response_timeout.count()) + " ms";
    io.stop();
  }
  if (progress.result.status && progress.result.error.empty() && !progress.result.delivered()) {
    const int status = *progress.result.status;
    progress.result.error = "HTTP " + std::to_string(status);
    if (status >= 300 && status < 400) progress.result.error += " (redirects are not followed)";
  }
  // A status that came before a later failure (the body cut off) stands:
  // the endpoint answered.
  if (progress.result.delivered()) progress.result.error.clear();
  return finish();
}

}  // namespace jobsd::api
