// WebhookClient against real servers on 127.0.0.1: a raw-socket receiver
// that answers however a test wants (tests/support/webhook_receiver.h) and,
// for HTTPS, an Asio TLS server with certificates made by the openssl
// command at test time.
#include "api/webhook_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/webhook_receiver.h"

namespace jobsd::api {
namespace {

using testing::ReceivedRequest;
using testing::WebhookReceiver;
using namespace std::chrono_literals;

WebhookClientOptions Quick() {
  WebhookClientOptions options;
  options.connect_timeout = 2s;
  options.response_timeout = 400ms;
  return options;
}

WebhookPost PostTo(std::string url) {
  return WebhookPost{std::move(url),
                     {{"webhook-id", "msg_1"},
                      {"webhook-timestamp", "1614265330"},
                      {"webhook-signature", "v1,abc="}},
                     R"({"type":"job.succeeded"})"};
}

TEST(WebhookClientTest, A2xxAnswerDeliversThePostAsSent) {
  WebhookReceiver receiver(WebhookReceiver::Answer(204));
  WebhookClient client;
  const WebhookPostResult result = client.Post(PostTo(receiver.Url("/hooks/a?x=1&y=%20")));
  EXPECT_TRUE(result.delivered()) << result.error;
  EXPECT_EQ(result.status, 204);
  EXPECT_EQ(result.error, "");
  EXPECT_GT(result.duration.count(), 0);

  const std::vector<ReceivedRequest> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/a?x=1&y=%20");
  EXPECT_EQ(request.body, R"({"type":"job.succeeded"})");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("content-length"), "24");
  EXPECT_EQ(request.headers.at("host"), "127.0.0.1:" + std::to_string(receiver.port()));
  EXPECT_EQ(request.headers.at("webhook-id"), "msg_1");
  EXPECT_EQ(request.headers.at("webhook-timestamp"), "1614265330");
  EXPECT_EQ(request.headers.at("webhook-signature"), "v1,abc=");
}

TEST(WebhookClientTest, AnyOther2xxDeliversAndEveryNon2xxIsAFailedAttempt) {
  const struct {
    int status;
    bool delivered;
    const char* error;
  } cases[] = {{200, true, ""},
               {299, true, ""},
               {404, false, "HTTP 404"},
               {500, false, "HTTP 500"},
               {503, false, "HTTP 503"}};
  for (const auto& c : cases) {
    WebhookReceiver receiver(WebhookReceiver::Answer(c.status, "a body"));
    const WebhookPostResult result = WebhookClient(Quick()).Post(PostTo(receiver.Url()));
    EXPECT_EQ(result.status, c.status);
    EXPECT_EQ(result.delivered(), c.delivered) << c.status;
    EXPECT_EQ(result.error, c.error) << c.status;
  }
}

TEST(WebhookClientTest, ARedirectIsNotFollowed) {
  WebhookReceiver elsewhere(WebhookReceiver::Answer(200));
  WebhookReceiver receiver(
      WebhookReceiver::Answer(302, "", "Location: " + elsewhere.Url() + "\r\n"));
  const WebhookPostResult result = WebhookClient(Quick()).Post(PostTo(receiver.Url()));
  EXPECT_EQ(result.status, 302);
  EXPECT_FALSE(result.delivered());
  EXPECT_EQ(result.error, "HTTP 302 (redirects are not followed)");
  EXPECT_TRUE(elsewhere.Requests().empty());
}

TEST(WebhookClientTest, AServerThatNeverAnswersTimesOut) {
  WebhookReceiver* self = nullptr;
  WebhookReceiver receiver([&](int fd, const ReceivedRequest&) { self->HoldOpen(fd); });
  self = &receiver;
  const auto start = std::chrono::steady_clock::now();
  const WebhookPostResult result = WebhookClient(Quick()).Post(PostTo(receiver.Url()));
  EXPECT_EQ(result.status, std::nullopt);
  EXPECT_EQ(result.error, "answer: timed out after 400 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "the deadline holds";
  EXPECT_EQ(receiver.Requests().size(), 1u) << "the request itself went out";
}

TEST(WebhookClientTest, ASlowDripOfTheHeaderTimesOutToo) {
  WebhookReceiver receiver([](int fd, const ReceivedRequest&) {
    for (char c : std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) {
      std::this_thread::sleep_for(50ms);
      if (!WebhookReceiver::WriteAll(fd, std::string(1, c))) return;
    }
  });
  const WebhookPostResult result = WebhookClient(Quick()).Post(PostTo(receiver.Url()));
  EXPECT_EQ(result.status, std::nullopt);
  EXPECT_EQ(result.error, "answer: timed out after 400 ms");
}

TEST(WebhookClientTest, AnEndlessBodyIsReadOnlyUpToTheLimitAndDropped) {
  std::atomic<std::int64_t> written = 0;
  {
    WebhookReceiver receiver([&](int fd, const ReceivedRequest&) {
      if (!WebhookReceiver::WriteAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
        return;
      const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
      // Until the client hangs up (or 256 MiB: a client that reads it all).
      while (written < (256 << 20) && WebhookReceiver::WriteAll(fd, chunk)) written += 0x10000;
    });
    WebhookClientOptions options = Quick();
    options.response_timeout = 5s;
    const WebhookPostResult result = WebhookClient(options).Post(PostTo(receiver.Url()));
    EXPECT_TRUE(result.delivered()) << result.error;
    EXPECT_EQ(result.error, "");
  }  // the receiver's thread has finished writing
  EXPECT_LT(written.load(), 64 << 20) << "the client stopped reading early";
}

TEST(WebhookClientTest, AConnectionRefusedIsAnErrorWithoutStatus) {
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(probe);  // nobody listens there now
  const WebhookPostResult result = WebhookClient(Quick()).Post(
      PostTo("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/"));
  EXPECT_EQ(result.status, std::nullopt);
  EXPECT_EQ(result.error, "connect: Connection refused");
}

TEST(WebhookClientTest, HostileAnswersEndTheAttemptWithAnError) {
  const struct {
    const char* name;
    std::string answer;
    std::optional<int> status;
    const char* error;
  } cases[] = {
      {"garbage", "SSH-2.0-OpenSSH_9.2\r\n\r\n", std::nullopt, "answer: "},
      {"huge header", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n",
       std::nullopt, "answer: header limit exceeded"},
      {"closed in the header", "HTTP/1.1 200 OK\r\nContent-Le", std::nullopt, "answer: "},
      {"closed at once", "", std::nullopt, "answer: "},
      {"closed in the body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..", 200, ""},
      {"interim answers first",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 201 Created\r\n"
       "Content-Length: 0\r\n\r\n",
       201, ""},
      {"no reason phrase", "HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n", 500, "HTTP 500"},
  };
  for (const auto& c : cases) {
    WebhookReceiver receiver(
        [&](int fd, const ReceivedRequest&) { WebhookReceiver::WriteAll(fd, c.answer); });
    const WebhookPostResult result = WebhookClient(Quick()).Post(PostTo(receiver.Url()));
    EXPECT_EQ(result.status, c.status) << c.name;
    EXPECT_EQ(result.error.rfind(c.error, 0), 0u) << c.name << ": " << result.error;
    if (std::string_view(c.error).ends_with(": ")) {  // and then the reason
      EXPECT_GT(result.error.size(), std::string_view(c.error).size()) << c.name;
    }
  }
}

TEST(WebhookClientTest, BadUrlsAndHeadersAreRefusedBeforeAnythingIsSent) {
  WebhookReceiver receiver(WebhookReceiver::Answer(200));
  WebhookClient client(Quick());
  EXPECT_EQ(client.Post(PostTo("ftp://127.0.0.1/")).error,
            "bad URL: the scheme must be http or https");
  WebhookPost injected = PostTo(receiver.Url());
  injected.headers.push_back({"webhook-id", "x\r\nX-Injected: 1"});
  const WebhookPostResult result = client.Post(injected);
  EXPECT_EQ(result.error, "bad request header");
  EXPECT_EQ(result.status, std::nullopt);
  EXPECT_TRUE(receiver.Requests().empty());
}

TEST(WebhookClientTest, OneClientServesManyThreadsAtOnce) {
  WebhookReceiver receiver(WebhookReceiver::Answer(200));
  WebhookClientOptions options = Quick();
  options.response_timeout = 5s;  // the receiver answers one connection at a time
  WebhookClient client(options);
  std::atomic<int> delivered = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        if (client.Post(PostTo(receiver.Url())).delivered()) ++delivered;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(delivered, 20);
  EXPECT_EQ(receiver.Requests().size(), 20u);
}

// --- HTTPS -----------------------------------------------------------------

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

// A certificate and key made by the openssl command: self-signed, for
// `subject_alt_name` ("IP:127.0.0.1", "DNS:localhost").
struct TestCertificate {
  std::string cert_file;
  std::string key_file;
};

TestCertificate MakeCertificate(const testing::TempDir& dir, const std::string& name,
                                const std::string& subject_alt_name) {
  TestCertificate made{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  const testing::RunResult run =
      testing::Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=jobsd webhook test", "-addext", "subjectAltName=" + subject_alt_name,
                    "-keyout", made.key_file, "-out", made.cert_file});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return made;
}

// Answers 200 to every request that completes a TLS handshake.
class TlsReceiver {
 public:
  explicit TlsReceiver(const TestCertificate& certificate) {
    context_.use_certificate_chain_file(certificate.cert_file);
    context_.use_private_key_file(certificate.key_file, ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind({net::ip::address_v4::loopback(), 0});
    acceptor_.listen();
    net::co_spawn(io_, Serve(), net::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsReceiver() {
    io_.stop();
    thread_.join();
  }

  std::string Url() const {
    return "https://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  int requests() const { return requests_; }

 private:
  net::awaitable<void> Serve() {
    for (;;) {
      auto [accepted, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
      if (accepted) co_return;
      ssl::stream<tcp::socket> stream(std::move(socket), context_);
      auto [handshake] = co_await stream.async_handshake(ssl::stream_base::server,
                                                         net::as_tuple(net::use_awaitable));
      if (handshake) continue;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      auto [read, ignored] =
          co_await http::async_read(stream, buffer, request, net::as_tuple(net::use_awaitable));
      if (read) continue;
      ++requests_;
      http::response<http::string_body> response{http::status::ok, 11};
      response.body() = "ok";
      response.prepare_payload();
      co_await http::async_write(stream, response, net::as_tuple(net::use_awaitable));
    }
  }

  net::io_context io_;
  ssl::context context_{ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  std::atomic<int> requests_ = 0;
  std::thread thread_;
};

TEST(WebhookClientTlsTest, ASelfSignedCertificateIsRefused) {
  testing::TempDir dir;
  TlsReceiver receiver(MakeCertificate(dir, "self", "IP:127.0.0.1"));
  const WebhookPostResult result = WebhookClient(Quick()).Post(PostTo(receiver.Url()));
  EXPECT_EQ(result.status, std::nullopt);
  EXPECT_EQ(result.error.rfind("TLS handshake: ", 0), 0u) << result.error;
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
  EXPECT_EQ(receiver.requests(), 0);
}

TEST(WebhookClientTlsTest, ACertificateOfATrustedCaIsAccepted) {
  testing::TempDir dir;
  const TestCertificate certificate = MakeCertificate(dir, "self", "IP:127.0.0.1");
  TlsReceiver receiver(certificate);
  WebhookClientOptions options = Quick();
  options.response_timeout = 5s;
  options.extra_ca_file = certificate.cert_file;
  const WebhookPostResult result = WebhookClient(options).Post(PostTo(receiver.Url()));
  EXPECT_TRUE(result.delivered()) << result.error;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(receiver.requests(), 1);
}

TEST(WebhookClientTlsTest, ATrustedCertificateForAnotherHostIsRefused) {
  testing::TempDir dir;
  const TestCertificate certificate = MakeCertificate(dir, "localhost", "DNS:localhost");
  TlsReceiver receiver(certificate);
  WebhookClientOptions options = Quick();
  options.response_timeout = 5s;
  options.extra_ca_file = certificate.cert_file;
  const WebhookPostResult result = WebhookClient(options).Post(PostTo(receiver.Url()));
  EXPECT_EQ(result.status, std::nullopt);
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
  EXPECT_EQ(receiver.requests(), 0);
}

TEST(WebhookClientTlsTest, AnUnreadableCaFileIsRefusedAtConstruction) {
  WebhookClientOptions options;
  options.extra_ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(WebhookClient{options}, std::runtime_error);
}

}  // namespace
}  // namespace jobsd::api
