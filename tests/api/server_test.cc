// HttpServer over real sockets: the test client against a server on an
// ephemeral port, backed by a real SQLite store (tests/api/server_fixture.h).
#include "api/server.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>
#include <thread>

#include "tests/api/server_fixture.h"

namespace jobsd::api {
namespace {

using testing::ApiWorld;
using testing::S;
using V = http::verb;
using testing::Reply;

using ServerTest = testing::ServerFixture;

// Everything the server sends on `connection` until it closes it.
std::string ReadUntilClosed(testing::HttpConnection& connection) {
  return connection.ReadUntilClosed().bytes;
}

boost::json::value Json(const Reply& reply) { return boost::json::parse(reply.body()); }

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kRfc3339Nano(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?Z$)");

TEST_F(ServerTest, JobLifecycleShapesFieldByField) {
  StartServer();
  EXPECT_EQ(server_->public_url(), "http://127.0.0.1:" + std::to_string(server_->port()));
  const Reply created =
      SendAuthed(V::post, "/v2/jobs", R"({"data":{"type":"job","job_type":"order_export"}})",
                 "application/json");
  ASSERT_EQ(created.result(), http::status::accepted) << created.body();
  EXPECT_EQ(created[http::field::content_type], "application/json");
  EXPECT_TRUE(std::regex_match(std::string(created["X-Request-Id"]), kUuidV4));
  const auto job = Json(created).at("data").as_object();
  const std::string id(job.at("id").as_string());
  EXPECT_TRUE(std::regex_match(id, kUuidV4)) << id;
  EXPECT_EQ(job.at("type"), "job");
  EXPECT_EQ(job.at("job_type"), "order_export");
  EXPECT_EQ(job.at("status"), "pending");
  EXPECT_FALSE(job.contains("error"));
  EXPECT_EQ(job.at("link").at("href"), "");
  EXPECT_EQ(S(job.at("links").at("self")), server_->public_url() + "/v2/jobs/" + id);
  EXPECT_EQ(created[http::field::location], server_->public_url() + "/v2/jobs/" + id);
  const std::string created_at(job.at("timestamps").at("created_at").as_string());
  EXPECT_TRUE(std::regex_match(created_at, kRfc3339Nano)) << created_at;
  EXPECT_EQ(S(job.at("timestamps").at("updated_at")), created_at);

  const Job stored = world_.jobs->Get(id).value();
  const Job done = world_.Succeed(stored, "id\r\nA\r\n");
  const auto fetched = Json(SendAuthed(V::get, "/v2/jobs/" + id)).at("data");
  EXPECT_EQ(fetched.at("status"), "success");
  EXPECT_FALSE(fetched.as_object().contains("error"));
  const std::string href(fetched.at("link").at("href").as_string());
  EXPECT_EQ(href, server_->public_url() + "/exports/" + done.artifact->token + ".csv");
  EXPECT_NE(S(fetched.at("timestamps").at("updated_at")), created_at);

  const Reply download = Send(testing::MakeRequest(V::get, href.substr(href.find("/exports/"))));
  EXPECT_EQ(download.result(), http::status::ok);
  EXPECT_EQ(download.body(), "id\r\nA\r\n");
  EXPECT_EQ(download[http::field::content_type], "text/csv; charset=utf-8");
}

TEST_F(ServerTest, DownloadsStreamWithHeadAndRanges) {
  StartServer();
  std::string csv = "id\r\n";
  while (csv.size() < 300 * 1024) csv += "0123456789abcdef,\"quoted, field\"\r\n";
  const Job job = world_.Succeed(world_.CreateJob(), csv);
  const std::string target = "/exports/" + job.artifact->token + ".csv";

  const Reply whole = Send(testing::MakeRequest(V::get, target));
  ASSERT_EQ(whole.result(), http::status::ok);
  EXPECT_EQ(whole.body(), csv);
  EXPECT_EQ(whole[http::field::accept_ranges], "bytes");

  const Reply head = Send(testing::MakeRequest(V::head, target));
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_length], std::to_string(csv.size()));
  EXPECT_TRUE(head.body().empty());

  Request ranged = testing::MakeRequest(V::get, target);
  ranged.set(http::field::range, "bytes=-100");
  const Reply tail = Send(ranged);
  EXPECT_EQ(tail.result(), http::status::partial_content);
  EXPECT_EQ(tail.body(), csv.substr(csv.size() - 100));
  EXPECT_EQ(tail[http::field::content_range], "bytes " + std::to_string(csv.size() - 100) + "-" +
                                                  std::to_string(csv.size() - 1) + "/" +
                                                  std::to_string(csv.size()));

  ranged.set(http::field::range, "bytes=" + std::to_string(csv.size()) + "-");
  const Reply unsatisfiable = Send(ranged);
  EXPECT_EQ(unsatisfiable.result(), http::status::range_not_satisfiable);
  EXPECT_EQ(unsatisfiable[http::field::content_range], "bytes */" + std::to_string(csv.size()));

  world_.clock.Advance(7 * kNanosPerDay);
  EXPECT_EQ(Send(testing::MakeRequest(V::get, target)).result(), http::status::not_found);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  testing::HttpConnection socket = Connect();
  for (int i = 0; i < 3; ++i) {
    const Reply reply = SendOn(socket, testing::MakeRequest(V::get, "/healthz"));
    EXPECT_EQ(reply.result(), http::status::ok);
    EXPECT_TRUE(reply.keep_alive());
  }
}

// A page the list cache has is sent from the cached string itself (no copy
// per request): the same bytes and length as when it was listed, on a
// connection that stays usable, and its HEAD announces that length.
TEST_F(ServerTest, ACachedListPageGoesOutWholeAndTheConnectionGoesOn) {
  StartServer();
  for (int i = 0; i < 30; ++i) world_.CreateJob();
  const std::string target = "/v2/jobs?page[limit]=25";
  testing::HttpConnection connection = Connect();
  auto send = [&](V method, const std::string& path) {
    return SendOn(connection, testing::Authed(testing::MakeRequest(method, path), token_));
  };
  const Reply listed = send(V::get, target);
  ASSERT_EQ(listed.result(), http::status::ok) << listed.body();
  ASSERT_EQ(Json(listed).at("data").as_array().size(), 25u);
  for (int i = 0; i < 3; ++i) {
    const Reply cached = send(V::get, target);
    EXPECT_EQ(cached.result(), http::status::ok);
    EXPECT_EQ(cached.body(), listed.body());
    EXPECT_EQ(cached[http::field::content_length], std::to_string(listed.body().size()));
    EXPECT_EQ(cached[http::field::content_type], "application/json");
    EXPECT_TRUE(cached.keep_alive());
  }
  const Reply head = send(V::head, target);
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_length], std::to_string(listed.body().size()));
  EXPECT_TRUE(head.body().empty());
  EXPECT_EQ(send(V::get, "/healthz").result(), http::status::ok);
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  StartServer();
  const std::string big(64 * 1024 + 1, 'x');
  const Reply reply = SendAuthed(V::post, "/v2/jobs", big, "application/json");
  EXPECT_EQ(reply.result(), http::status::payload_too_large);
  const auto error = Json(reply).at("errors").at(0);
  EXPECT_EQ(error.at("status"), 413);
  EXPECT_EQ(error.at("title"), "Payload Too Large");
  EXPECT_EQ(S(error.at("request_id")), reply["X-Request-Id"]);

  // Announced but never sent: refused on the header alone.
  testing::HttpConnection socket = Connect();
  socket.Write(
      "POST /v2/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 10000000\r\n\r\n");
  const std::string raw = ReadUntilClosed(socket);
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << raw;

  const std::string at_limit_filter(64 * 1024 - 60, ' ');
  const Reply fits =
      SendAuthed(V::post, "/v2/jobs",
                 R"({"data":{"job_type":"order_export","filter":")" + at_limit_filter + R"("}})",
                 "application/json");
  EXPECT_NE(fits.result(), http::status::payload_too_large);
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  StartServer();
  Request request = testing::MakeRequest(V::get, "/healthz");
  request.set("X-Padding", std::string(20 * 1024, 'p'));
  const Reply reply = Send(request);
  EXPECT_EQ(reply.result(), http::status::request_header_fields_too_large);
  EXPECT_EQ(Json(reply).at("errors").at(0).at("status"), 431);
}

TEST_F(ServerTest, SlowClientIsDroppedByTheReadTimeout) {
  StartServer();
  testing::HttpConnection socket = Connect();
  socket.Write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const auto start = std::chrono::steady_clock::now();
  const std::string raw = ReadUntilClosed(socket);  // never finishes the headers
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(raw.empty()) << raw;
  EXPECT_LT(waited, std::chrono::seconds(5));
  // The server still serves others.
  EXPECT_EQ(Send(testing::MakeRequest(V::get, "/healthz")).result(), http::status::ok);
}

TEST_F(ServerTest, SilentClientIsDroppedAndIdleKeepAliveTimesOut) {
  ServerOptions options;
  options.idle_timeout = std::chrono::seconds(2);
  StartServer(options);  // read_timeout 1s
  testing::HttpConnection silent = Connect();
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ReadUntilClosed(silent).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900));

  testing::HttpConnection kept = Connect();
  EXPECT_EQ(SendOn(kept, testing::MakeRequest(V::get, "/healthz")).result(), http::status::ok);
  start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ReadUntilClosed(kept).empty());
  const auto idle = std::chrono::steady_clock::now() - start;
  EXPECT_GE(idle, std::chrono::milliseconds(1500)) << "idle_timeout, not read_timeout";
  EXPECT_LT(idle, std::chrono::seconds(5));
}

TEST_F(ServerTest, AuthFailuresOverTheWire) {
  StartServer();
  EXPECT_EQ(Send(testing::MakeRequest(V::get, "/v2/jobs")).result(), http::status::unauthorized);
  Request wrong_scheme = testing::MakeRequest(V::get, "/v2/jobs");
  wrong_scheme.set(http::field::authorization, "Basic " + token_);
  EXPECT_EQ(Send(wrong_scheme).result(), http::status::unauthorized);
  const Reply bad = Send(testing::Authed(testing::MakeRequest(V::get, "/v2/nope"), "bad"));
  EXPECT_EQ(bad.result(), http::status::unauthorized);
  EXPECT_EQ(Json(bad).at("errors").at(0).at("title"), "Unable to validate access token");
  world_.clock.Advance(3601 * kNanosPerSecond);
  EXPECT_EQ(SendAuthed(V::get, "/v2/jobs").result(), http::status::unauthorized);
}

TEST_F(ServerTest, MetricsCountRequestsByRouteTemplate) {
  StartServer();
  const Job job = world_.CreateJob();
  SendAuthed(V::get, "/v2/jobs/" + job.id);
  SendAuthed(V::get, "/v2/jobs/" + job.id);
  // A request is counted just after its answer is written, so the client
  // may already ask for /metrics before the second one is counted.
  const std::string counted = "jobsd_http_requests_total{route=\"/v2/jobs/{id}\",status=\"200\"} 2";
  Reply metrics;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       std::chrono::steady_clock::now() < until;) {
    metrics = Send(testing::MakeRequest(V::get, "/metrics"));
    if (metrics.body().find(counted) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(metrics.result(), http::status::ok);
  EXPECT_NE(metrics.body().find(counted), std::string::npos) << metrics.body();
  EXPECT_EQ(metrics.body().find(job.id), std::string::npos) << "raw paths never become labels";
  EXPECT_NE(
      metrics.body().find("jobsd_http_request_duration_seconds_bucket{route=\"/v2/jobs/{id}\""),
      std::string::npos);
}

TEST_F(ServerTest, ConnectionsBeyondTheCapAre503) {
  ServerOptions options;
  options.max_connections = 1;
  StartServer(options);
  testing::HttpConnection held = Connect();
  EXPECT_EQ(SendOn(held, testing::MakeRequest(V::get, "/healthz")).result(), http::status::ok);
  testing::HttpConnection extra = Connect();
  const std::string raw = ReadUntilClosed(extra);
  EXPECT_EQ(raw.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << raw;
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnections) {
  StartServer();
  testing::HttpConnection socket = Connect();
  EXPECT_EQ(SendOn(socket, testing::MakeRequest(V::get, "/healthz")).result(), http::status::ok);
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  server_->Join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(ReadUntilClosed(socket).empty());
  testing::HttpConnection after(server_->port());
  EXPECT_FALSE(after.connected()) << "no longer accepting";
  server_.reset();
}

TEST_F(ServerTest, StartReportsAPortInUse) {
  StartServer();
  ServerOptions options;
  options.port = server_->port();
  HttpServer second(options, world_.services());
  try {
    second.Start();
    FAIL() << "expected the bind to fail";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(server_->port()) +
                  ": Address already in use");
  }
}

}  // namespace
}  // namespace jobsd::api
