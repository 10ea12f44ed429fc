// HTTP framing against a real `jobsd serve` over raw sockets (issue 9,
// the README's "Security and limits" "HTTP"): a message whose length RFC 9112 leaves in doubt
// is answered 400 and the connection closed, so its bytes never run as a
// second request; HEAD, Expect: 100-continue and absolute-form targets
// behave as the RFCs say; nothing waits for a line end that never comes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.h"
#include "tests/support/live_jobsd.h"

namespace jobsd {
namespace {

using namespace std::chrono_literals;
using testing::HttpResponse;
using testing::ParseResponses;
using testing::RawExchange;

// A request that must never run when it hides behind an ambiguous one: its
// answer would be the metrics page.
const std::string kSmuggled = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

class HttpFramingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()); }

  // Sends `bytes` and half-closes, so that the server's drain after an
  // error ends at once instead of after its linger time.
  RawExchange Send(const std::string& bytes) {
    return testing::SendRaw(server_.port(), bytes, 5s, /*half_close=*/true);
  }

  // Exactly one answer, a 400 in the envelope of docs/errors.md that says
  // Connection: close, and the server closed the connection.
  void ExpectRejectedAndClosed(const RawExchange& exchange, const std::string& what) {
    SCOPED_TRACE(what);
    const std::vector<HttpResponse> responses = ParseResponses(exchange.bytes);
    ASSERT_EQ(responses.size(), 1u) << exchange.bytes;
    const HttpResponse& response = responses.front();
    EXPECT_EQ(response.status, 400) << exchange.bytes;
    EXPECT_EQ(response.headers.count("x-request-id"), 1u);
    EXPECT_EQ(testing::ParseResponse(exchange.bytes).headers["connection"], "close");
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(response.body, ec);
    ASSERT_FALSE(ec) << response.body;
    const auto& error = body.at("errors").at(0);
    EXPECT_EQ(error.at("status"), 400);
    EXPECT_EQ(error.at("title"), "Bad Request");
    EXPECT_TRUE(exchange.closed) << "the connection stayed open";
    EXPECT_EQ(exchange.bytes.find("jobsd_"), std::string::npos)
        << "the smuggled request ran: " << exchange.bytes;
  }

  std::string Detail(const RawExchange& exchange) {
    const HttpResponse response = testing::ParseResponse(exchange.bytes);
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(response.body, ec);
    if (ec) return "";
    return std::string(body.at("errors").at(0).at("detail").as_string());
  }

  testing::LiveJobsd server_;
};

TEST_F(HttpFramingTest, TransferEncodingGzipIsRejectedAndTheRequestBehindItNeverRuns) {
  // The issue's repro: Beast read the gzip body as empty, so the bytes after
  // the header were answered as a second request.
  const RawExchange exchange =
      Send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + kSmuggled);
  ExpectRejectedAndClosed(exchange, "gzip");
  EXPECT_NE(Detail(exchange).find("Transfer-Encoding"), std::string::npos) << exchange.bytes;
}

TEST_F(HttpFramingTest, EveryTransferEncodingButOneChunkedIsRejectedAndClosed) {
  const std::vector<std::string> encodings = {
      "Transfer-Encoding: identity\r\n",
      "Transfer-Encoding: xchunked\r\n",
      "Transfer-Encoding: chunked, identity\r\n",
      "Transfer-Encoding: \r\n",
      "Transfer-Encoding: chunked, chunked\r\n",
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: gzip\r\nContent-Length: 0\r\n",
      "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
  };
  for (const std::string& encoding : encodings) {
    ExpectRejectedAndClosed(
        Send("POST /healthz HTTP/1.1\r\nHost: x\r\n" + encoding + "\r\n0\r\n\r\n" + kSmuggled),
        encoding);
  }
  // HTTP/1.0 has no chunked coding: RFC 9112 section 6.1 calls its framing faulty.
  ExpectRejectedAndClosed(
      Send("POST /healthz HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled),
      "HTTP/1.0");
}

TEST_F(HttpFramingTest, ChunkedBodyIsStillReadAndTheNextRequestServed) {
  const std::string body = R"({"data":{"job_type":"order_export"}})";
  std::string chunked = "POST /v2/jobs HTTP/1.1\r\nHost: x\r\n" + server_.AuthHeader() +
                        "\r\nContent-Type: application/json\r\nTransfer-Encoding: Chunked\r\n\r\n";
  chunked += "5\r\n" + body.substr(0, 5) + "\r\n";
  chunked += "1f\r\n" + body.substr(5) + "\r\n0\r\n\r\n";
  const RawExchange exchange = Send(chunked + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::vector<HttpResponse> responses = ParseResponses(exchange.bytes);
  ASSERT_EQ(responses.size(), 2u) << exchange.bytes;
  EXPECT_EQ(responses[0].status, 202) << responses[0].body;
  EXPECT_EQ(responses[1].status, 200);
}

TEST_F(HttpFramingTest, FoldedHeaderLineIsRejectedAndClosed) {
  ExpectRejectedAndClosed(Send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n "
                               "chunked\r\n\r\n0\r\n\r\n" +
                               kSmuggled),
                          "folded Transfer-Encoding");
  ExpectRejectedAndClosed(
      Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n\tb\r\n\r\n" + kSmuggled),
      "folded X-Note");
}

TEST_F(HttpFramingTest, WhitespaceBeforeAHeaderColonIsRejectedAndClosed) {
  ExpectRejectedAndClosed(
      Send("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" +
           kSmuggled),
      "space before colon");
  ExpectRejectedAndClosed(
      Send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length\t: 0\r\n\r\n" + kSmuggled),
      "tab before colon");
}

TEST_F(HttpFramingTest, ContentLengthsThatDisagreeAreRejectedAndClosed) {
  ExpectRejectedAndClosed(
      Send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: " +
           std::to_string(kSmuggled.size()) + "\r\n\r\n" + kSmuggled),
      "two Content-Length fields");
  ExpectRejectedAndClosed(
      Send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 3\r\n\r\n" + kSmuggled),
      "a Content-Length list");
}

TEST_F(HttpFramingTest, MissingHostIsRejectedAndClosed) {
  const RawExchange exchange = Send("GET /healthz HTTP/1.1\r\n\r\n" + kSmuggled);
  ExpectRejectedAndClosed(exchange, "no Host");
  EXPECT_NE(Detail(exchange).find("Host"), std::string::npos) << exchange.bytes;
  // HTTP/1.0 has no Host requirement.
  const RawExchange old = Send("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.bytes.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << old.bytes;
}

TEST_F(HttpFramingTest, RepeatedHostIsRejectedAndClosed) {
  const RawExchange exchange =
      Send("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + kSmuggled);
  ExpectRejectedAndClosed(exchange, "two Hosts");
  EXPECT_NE(Detail(exchange).find("Host"), std::string::npos) << exchange.bytes;
}

TEST_F(HttpFramingTest, RepeatedAuthorizationIsRejectedAndClosed) {
  // The first is valid: before, it won silently and the second was ignored.
  const RawExchange exchange = Send("GET /v2/jobs HTTP/1.1\r\nHost: x\r\n" + server_.AuthHeader() +
                                    "\r\nAuthorization: Bearer someone-else\r\n\r\n" + kSmuggled);
  ExpectRejectedAndClosed(exchange, "two Authorizations");
  EXPECT_NE(Detail(exchange).find("Authorization"), std::string::npos) << exchange.bytes;
}

TEST_F(HttpFramingTest, HeadWorksWhereverGetDoesWithTheSameStatusAndHeadersAndNoBody) {
  const HttpResponse created = server_.PostExport("");
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string id =
      std::string(boost::json::parse(created.body).at("data").at("id").as_string());
  // A finished job, so that GET and HEAD see the same document.
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline;) {
    const HttpResponse job = server_.Get("/v2/jobs/" + id, {server_.AuthHeader()});
    if (job.body.find("\"failed\"") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  const std::vector<std::pair<std::string, bool>> targets = {
      {"/healthz", false},      {"/readyz", false},
      {"/metrics", false},      {"/v2/jobs?page[limit]=1", true},
      {"/v2/jobs/" + id, true}, {"/v2/jobs/" + id + "/file", true},
      {"/v2/jobs/nope", true},  {"/v2/jobs", false},
  };
  for (const auto& [target, authed] : targets) {
    SCOPED_TRACE(target);
    const std::string auth = authed ? server_.AuthHeader() + "\r\n" : "";
    const RawExchange get =
        Send("GET " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n");
    const RawExchange head =
        Send("HEAD " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + "Connection: close\r\n\r\n");
    HttpResponse get_response = testing::ParseResponse(get.bytes);
    ASSERT_TRUE(get_response.complete) << get.bytes;
    // The HEAD answer ends with its header: no body follows, whatever
    // Content-Length says.
    const std::size_t head_end = head.bytes.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << head.bytes;
    EXPECT_EQ(head_end + 4, head.bytes.size()) << "a body followed: " << head.bytes;
    HttpResponse head_response = testing::ParseResponse(head.bytes + std::string(1 << 20, ' '));
    EXPECT_EQ(head_response.status, get_response.status) << head.bytes;
    // The metrics page changes between two requests; its length may too.
    if (target != "/metrics") {
      EXPECT_EQ(head_response.headers["content-length"], get_response.headers["content-length"]);
    }
    EXPECT_EQ(head_response.headers["content-type"], get_response.headers["content-type"]);
  }
}

TEST_F(HttpFramingTest, MethodNotAllowedListsHeadWhereGetIsAllowed) {
  const HttpResponse healthz = testing::Http(server_.port(), "DELETE", "/healthz");
  EXPECT_EQ(healthz.status, 405);
  EXPECT_EQ(healthz.headers.at("allow"), "GET, HEAD");
  const HttpResponse jobs =
      testing::Http(server_.port(), "DELETE", "/v2/jobs", {server_.AuthHeader()});
  EXPECT_EQ(jobs.status, 405);
  EXPECT_EQ(jobs.headers.at("allow"), "GET, HEAD, POST");
  const HttpResponse token = testing::Http(server_.port(), "GET", "/oauth/access_token");
  EXPECT_EQ(token.status, 405);
  EXPECT_EQ(token.headers.at("allow"), "POST");
}

TEST_F(HttpFramingTest, ExpectContinueWithoutAValidTokenIs401WithoutContinue) {
  const std::string body = R"({"data":{"job_type":"order_export"}})";
  for (const std::string auth : {"", "Authorization: Bearer wrong\r\n"}) {
    SCOPED_TRACE(auth);
    // The body is not sent: a client waiting for 100 Continue holds it back.
    const RawExchange exchange = testing::SendRaw(
        server_.port(),
        "POST /v2/jobs HTTP/1.1\r\nHost: x\r\n" + auth +
            "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n",
        5s);
    EXPECT_EQ(exchange.bytes.find("100 Continue"), std::string::npos) << exchange.bytes;
    const HttpResponse response = testing::ParseResponse(exchange.bytes);
    EXPECT_EQ(response.status, 401) << exchange.bytes;
    EXPECT_EQ(response.headers.count("x-request-id"), 1u);
    EXPECT_NE(response.body.find("Unable to validate access token"), std::string::npos);
    EXPECT_TRUE(exchange.closed) << "the unread body leaves the connection unusable";
  }
}

TEST_F(HttpFramingTest, ExpectContinueWithAValidTokenGetsContinueThenTheAnswer) {
  const std::string body = R"({"data":{"job_type":"order_export"}})";
  const RawExchange exchange =
      Send("POST /v2/jobs HTTP/1.1\r\nHost: x\r\n" + server_.AuthHeader() +
           "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  const std::vector<HttpResponse> responses = ParseResponses(exchange.bytes);
  ASSERT_EQ(responses.size(), 2u) << exchange.bytes;
  EXPECT_EQ(responses[0].status, 100);
  EXPECT_EQ(responses[1].status, 202) << responses[1].body;
}

TEST_F(HttpFramingTest, AbsoluteFormTargetIsServedByItsPathAndQuery) {
  const std::string origin = "http://127.0.0.1:" + std::to_string(server_.port());
  RawExchange exchange =
      Send("GET " + origin + "/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(testing::ParseResponse(exchange.bytes).status, 200) << exchange.bytes;

  ASSERT_EQ(server_.PostExport("").status, 202);
  ASSERT_EQ(server_.PostExport("").status, 202);
  exchange = Send("GET " + origin + "/v2/jobs?page[limit]=1 HTTP/1.1\r\nHost: x\r\n" +
                  server_.AuthHeader() + "\r\nConnection: close\r\n\r\n");
  const HttpResponse list = testing::ParseResponse(exchange.bytes);
  ASSERT_EQ(list.status, 200) << exchange.bytes;
  const boost::json::value page = boost::json::parse(list.body);
  EXPECT_EQ(page.at("data").as_array().size(), 1u);
  EXPECT_EQ(page.at("meta").at("page").at("limit"), 1);

  // The token check sees the path of an absolute target too.
  exchange = Send("GET HTTP://x/v2/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(testing::ParseResponse(exchange.bytes).status, 401) << exchange.bytes;
  // The Host header is still required (RFC 9112 section 3.2).
  ExpectRejectedAndClosed(Send("GET " + origin + "/healthz HTTP/1.1\r\n\r\n" + kSmuggled),
                          "absolute form without Host");
  // Other schemes and an empty host are not absolute forms of this server.
  for (const std::string target : {"ftp://x/healthz", "http:///healthz", "http:/healthz"}) {
    exchange = Send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(testing::ParseResponse(exchange.bytes).status, 400) << target;
  }
}

TEST_F(HttpFramingTest, ChunkedBodyFramedWithBareLineFeedsIsAnswered400AtOnce) {
  const auto start = std::chrono::steady_clock::now();
  // No half-close: the client waits for an answer as a real one would.
  const RawExchange exchange = testing::SendRaw(
      server_.port(),
      "POST /v2/jobs HTTP/1.1\r\nHost: x\r\n" + server_.AuthHeader() +
          "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
          "2\n{}\n0\n\n",
      10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "waited for a CRLF";
  ExpectRejectedAndClosed(exchange, "bare LF in chunks");
}

TEST_F(HttpFramingTest, HeaderFramedWithBareLineFeedsIsAnswered400AtOnce) {
  const auto start = std::chrono::steady_clock::now();
  // In two packets: once Beast has seen part of a header it waits for the
  // CRLF CRLF that ends it, which a client using bare LFs never sends.
  const RawExchange exchange = testing::SendRawInParts(
      server_.port(), {"GET /healthz HTTP/1.1\r\nHost: x", "\nX-Y: z\n\n"}, 100ms, 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "waited for a CRLF";
  ExpectRejectedAndClosed(exchange, "bare LF in the header");
}

TEST_F(HttpFramingTest, EndlessChunkSizeLineIsAnswered400AtOnce) {
  // Without a line end the chunk-size line would grow in memory until the
  // read timeout.
  const auto start = std::chrono::steady_clock::now();
  const RawExchange exchange =
      testing::SendRaw(server_.port(),
                       "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                           std::string(64 * 1024, '0'),
                       10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  ExpectRejectedAndClosed(exchange, "endless chunk-size line");
}

TEST_F(HttpFramingTest, NulInAQueryFilterIsShownWholeInTheReason) {
  const HttpResponse response =
      server_.Get("/v2/jobs?filter=eq(status,%22pen%00ding%22)", {server_.AuthHeader()});
  ASSERT_EQ(response.status, 400) << response.body;
  const boost::json::value body = boost::json::parse(response.body);
  const std::string reason(body.at("errors").at(0).at("meta").at("reason").as_string());
  EXPECT_NE(reason.find("pen\\x00ding"), std::string::npos) << reason;
}

TEST_F(HttpFramingTest, NulInABodyFilterIsShownWholeInTheReason) {
  const HttpResponse response = server_.PostExport(std::string("eq(payment,\"pa\0id\")", 19));
  ASSERT_EQ(response.status, 400) << response.body;
  const boost::json::value body = boost::json::parse(response.body);
  const std::string reason(body.at("errors").at(0).at("meta").at("reason").as_string());
  EXPECT_NE(reason.find("pa\\x00id"), std::string::npos) << reason;
}

TEST_F(HttpFramingTest, PipelinedRequestAfterABadRequestNeverRuns) {
  ExpectRejectedAndClosed(
      Send("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n" + kSmuggled),
      "space in a header name");
  ExpectRejectedAndClosed(Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\x01X: y\r\n\r\n" + kSmuggled),
                          "control character in a header name");
  ExpectRejectedAndClosed(Send("GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggled),
                          "two spaces in the request line");
  ExpectRejectedAndClosed(Send("GET /healthz HTTP/1.1 \r\nHost: x\r\n\r\n" + kSmuggled),
                          "a space after the version");
  ExpectRejectedAndClosed(Send("GET /health z HTTP/1.1\r\nHost: x\r\n\r\n" + kSmuggled),
                          "a space in the target");
}

TEST_F(HttpFramingTest, ConnectionCloseIsHonoured) {
  const RawExchange exchange = testing::SendRaw(
      server_.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + kSmuggled,
      5s);
  const std::vector<HttpResponse> responses = ParseResponses(exchange.bytes);
  ASSERT_EQ(responses.size(), 1u) << exchange.bytes;
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_TRUE(exchange.closed);
  EXPECT_EQ(exchange.bytes.find("jobsd_"), std::string::npos) << exchange.bytes;
}

TEST_F(HttpFramingTest, VeryManyHeadersAre431AndClosed) {
  std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5000; ++i) request += "X-" + std::to_string(i) + ": y\r\n";
  const RawExchange exchange = Send(request + "\r\n" + kSmuggled);
  const std::vector<HttpResponse> responses = ParseResponses(exchange.bytes);
  ASSERT_EQ(responses.size(), 1u) << exchange.bytes.substr(0, 300);
  EXPECT_EQ(responses[0].status, 431);
  EXPECT_TRUE(exchange.closed);
}

}  // namespace
}  // namespace jobsd
