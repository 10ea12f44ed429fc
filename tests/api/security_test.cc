// Hostile input over a real socket against HttpServer on a real store: SQL injection through every
// filter field and operator, path tricks, header and body abuse, slow and idle clients, and bad
// tokens. Each must end in the documented status with the error envelope, never a 500, a hang,
// a file outside the exports or a changed table.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "api/server.h"
#include "engine/filter.h"
#include "engine/orders/order_import.h"
#include "storage/postgres/pg.h"
#include "storage/sqlite/sqlite.h"
#include "tests/api/server_fixture.h"

namespace jobsd::api {
namespace {

using testing::ApiWorld;
using testing::S;
using V = http::verb;
using testing::Reply;
using namespace std::chrono_literals;

// Values an attacker would try; the API must treat each as plain data.
const std::vector<std::string> kInjections = {
    "x' OR '1'='1",
    "\"); DROP TABLE jobs; --",
    "%' --",
    "1; DELETE FROM orders",
    "' UNION SELECT client_id, secret_hash FROM api_clients --",
    "名前' OR 1=1 -- \u202e",
    std::string("nul\0' OR '1'='1", 15),
};

// A filter value quoted with `"` (docs/filters.md): backslash escapes `"` and `\`.
std::string Quoted(const std::string& value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// Every filter a field admits for one hostile value: each operator, the value quoted, and bare
// (which the parser may reject; both outcomes are fine if they are a 400 or a plain match).
std::vector<std::string> HostileFilters(const filter::FieldCatalog& catalog,
                                        const std::string& value) {
  std::vector<std::string> filters;
  for (const filter::FieldSpec& field : catalog) {
    for (filter::Op op : field.ops) {
      const std::string head = std::string(filter::ToString(op)) + "(" + std::string(field.name);
      filters.push_back(head + "," + Quoted(value) + ")");
      if (op == filter::Op::kIn) filters.push_back(head + ",a," + Quoted(value) + ")");
      if (op == filter::Op::kEq) filters.push_back(head + "," + value + ")");
    }
  }
  return filters;
}

class CountingSink final : public OrderRowSink {
 public:
  void OnRow(const ColumnValue*) override {}
};

class SecurityTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    std::ifstream orders(jobsd::testing::TestDataFile("orders.example.jsonl"));
    ASSERT_EQ(ImportOrders(orders, world_.database->orders(), {}).imported, 3);
  }

  // Table names and row counts: what an injection would change.
  std::map<std::string, std::int64_t> TableCounts() {
    if (ApiWorld::OnPostgres()) return PostgresTableCounts();
    auto connection = storage::sqlite::Connection::Open(world_.dir / "jobsd.db");
    std::vector<std::string> names;
    auto tables = connection->PrepareUncached(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (tables.Step()) names.push_back(tables.ColumnString(0));
    std::map<std::string, std::int64_t> counts;
    for (const std::string& name : names) {
      auto count = connection->PrepareUncached("SELECT count(*) FROM \"" + name + "\"");
      EXPECT_TRUE(count.Step());
      counts[name] = count.ColumnInt64(0);
    }
    return counts;
  }

  std::map<std::string, std::int64_t> PostgresTableCounts() {
    auto connection = storage::pg::Connection::Open(world_.location);
    const storage::pg::Result tables = connection->RunOnce(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' ORDER BY table_name COLLATE \"C\"");
    std::map<std::string, std::int64_t> counts;
    for (int row = 0; row < tables.rows(); ++row) {
      const std::string name = tables.String(row, 0);
      counts[name] = connection->RunOnce("SELECT count(*) FROM \"" + name + "\"").Int64(0, 0);
    }
    return counts;
  }
};

boost::json::value Json(const Reply& reply) { return boost::json::parse(reply.body()); }

// The error envelope of docs/errors.md, with the status of the reply.
void ExpectEnvelope(const Reply& reply, const std::string& context) {
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(reply.body(), ec);
  ASSERT_FALSE(ec) << context << ": not JSON: " << reply.body();
  const auto& error = body.at("errors").at(0);
  EXPECT_EQ(error.at("status"), static_cast<int>(reply.result_int())) << context;
  EXPECT_EQ(S(error.at("request_id")), reply["X-Request-Id"]) << context;
}

TEST_F(SecurityTest, InjectionThroughEveryOrderFilterFieldIsDataOrA400) {
  StartServer();
  const auto before = TableCounts();
  ASSERT_EQ(before.at("orders"), 3);
  testing::HttpConnection socket = Connect();
  int accepted = 0, rejected = 0;
  for (const std::string& value : kInjections) {
    for (const std::string& text : HostileFilters(filter::OrderFields(), value)) {
      const std::string body = boost::json::serialize(boost::json::value{
          {"data", {{"type", "job"}, {"job_type", "order_export"}, {"filter", text}}}});
      const Reply reply = SendOn(
          socket, testing::Authed(
                      testing::MakeRequest(V::post, "/v2/jobs", body, "application/json"), token_));
      if (reply.result() == http::status::bad_request) {
        ++rejected;
        ExpectEnvelope(reply, text);
        EXPECT_EQ(S(Json(reply).at("errors").at(0).at("detail")),
                  "Could not parse the supplied filter")
            << text;
        continue;
      }
      ASSERT_EQ(reply.result(), http::status::accepted) << text << "\n" << reply.body();
      ++accepted;
      EXPECT_EQ(S(Json(reply).at("data").at("status")), "pending");
      // Run the filter the way the export worker will: a value is matched as text, so none of
      // these match an order (an injected OR '1'='1 would match all three).
      CountingSink sink;
      EXPECT_EQ(
          world_.database->orders().ScanOrders(filter::Parse(text, filter::OrderFields()), sink), 0)
          << text;
    }
  }
  EXPECT_GT(accepted, 0) << "text fields take any quoted value";
  EXPECT_GT(rejected, 0) << "enum, amount, currency and time fields refuse them";

  auto after = TableCounts();
  EXPECT_EQ(after.at("jobs"), before.at("jobs") + accepted);
  after.erase("jobs");
  auto expected = before;
  expected.erase("jobs");
  EXPECT_EQ(after, expected) << "every other table intact, counts unchanged";
}

TEST_F(SecurityTest, InjectionThroughEveryJobFilterFieldIsDataOrA400) {
  StartServer();
  world_.CreateJob();
  const auto before = TableCounts();
  testing::HttpConnection socket = Connect();
  int accepted = 0;
  for (const std::string& value : kInjections) {
    for (const std::string& text : HostileFilters(filter::JobFields(), value)) {
      const Reply reply = SendOn(
          socket,
          testing::Authed(testing::MakeRequest(V::get, "/v2/jobs?filter=" + PercentEncode(text)),
                          token_));
      if (reply.result() == http::status::bad_request) {
        ExpectEnvelope(reply, text);
        continue;
      }
      ASSERT_EQ(reply.result(), http::status::ok) << text << "\n" << reply.body();
      ++accepted;
      EXPECT_EQ(Json(reply).at("meta").at("results").at("total"), 0) << text;
      EXPECT_TRUE(Json(reply).at("data").as_array().empty()) << text;
    }
  }
  // job_type is free text: quoted hostile values are searched for, and found nowhere.
  EXPECT_GT(accepted, 0);
  EXPECT_EQ(TableCounts(), before);
}

TEST_F(SecurityTest, PathTricksNeverReachAFileOutsideTheExports) {
  StartServer();
  const Job job = world_.Succeed(world_.CreateJob(), "id\r\nA\r\n");
  const std::string token = job.artifact->token;
  const std::string long_id(8 * 1024, 'a');

  struct Case {
    std::string target;
    bool authed;
    http::status expected;
  };
  const std::vector<Case> cases = {
      {"/v2/jobs/..%2F..%2Fetc%2Fpasswd", true, http::status::not_found},
      {"/v2/jobs/..%2F..%2Fetc%2Fpasswd", false, http::status::unauthorized},
      {"/v2/jobs/%00", true, http::status::not_found},
      {"/v2/jobs/" + job.id + "%00", true, http::status::not_found},
      {"/v2/jobs/" + job.id + "%2F..", true, http::status::not_found},
      {"/v2/jobs/" + long_id, true, http::status::not_found},
      {"/v2/jobs/" + long_id + "/file", true, http::status::not_found},
      {"/v2/jobs/..\\..\\jobsd.db", true, http::status::not_found},
      {"/v2/../exports/" + token + ".csv", false, http::status::unauthorized},
      {"/exports/../jobsd.db", false, http::status::not_found},
      {"/exports/..%2Fjobsd.db", false, http::status::not_found},
      {"/exports/..%2Fjobsd.db%00.csv", false, http::status::not_found},
      {"/exports/%2e%2e%2F" + job.id + ".csv", false, http::status::not_found},
      {"/exports/..%5Cjobsd.db.csv", false, http::status::not_found},
      {"/exports/..\\jobsd.db.csv", false, http::status::not_found},
      {"/exports/" + token + ".csv/..", false, http::status::not_found},
      {"/exports/" + token + ".csv%2F..%2F..%2Fjobsd.db", false, http::status::not_found},
      {"/exports/" + token + "%2F..%2Fjobsd.db.csv", false, http::status::not_found},
      {"/exports/" + token + "%00.csv", false, http::status::not_found},
      {"/exports/" + job.id + ".csv", false, http::status::not_found},
      {"/exports/.csv", false, http::status::not_found},
      {"/exports/" + long_id + ".csv", false, http::status::not_found},
  };
  for (const Case& c : cases) {
    Request request = testing::MakeRequest(V::get, c.target);
    if (c.authed) request = testing::Authed(std::move(request), token_);
    const Reply reply = Send(std::move(request));
    EXPECT_EQ(reply.result(), c.expected) << c.target << "\n" << reply.body();
    ExpectEnvelope(reply, c.target);
    EXPECT_EQ(reply[http::field::content_type], "application/json") << c.target;
    EXPECT_EQ(reply.body().find("SQLite format"), std::string::npos) << c.target;
  }
  // The real one still works.
  EXPECT_EQ(Send(testing::MakeRequest(V::get, "/exports/" + token + ".csv")).body(), "id\r\nA\r\n");
}

TEST_F(SecurityTest, HeaderAbuseIsRefusedWithTheRightStatus) {
  StartServer();
  Request big_header = testing::MakeRequest(V::get, "/healthz");
  big_header.set("X-Padding", std::string(20 * 1024, 'p'));
  Reply reply = Send(big_header);
  EXPECT_EQ(reply.result(), http::status::request_header_fields_too_large);
  ExpectEnvelope(reply, "20 KiB header");

  Request many_small = testing::MakeRequest(V::get, "/healthz");
  for (int i = 0; i < 200; ++i) many_small.insert("X-H-" + std::to_string(i), "v");
  EXPECT_EQ(Send(many_small).result(), http::status::ok) << "200 small headers fit the limit";

  Request many_large = testing::MakeRequest(V::get, "/healthz");
  for (int i = 0; i < 200; ++i)
    many_large.insert("X-H-" + std::to_string(i), std::string(100, 'v'));
  reply = Send(many_large);
  EXPECT_EQ(reply.result(), http::status::request_header_fields_too_large);
  ExpectEnvelope(reply, "200 headers of 100 bytes");

  // A 64 KiB request line: the target alone is past what the server reads.
  const auto start = std::chrono::steady_clock::now();
  const std::string raw =
      SendRaw("GET /healthz?" + std::string(64 * 1024, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(raw.rfind("HTTP/1.1 414 URI Too Long\r\n", 0), 0u) << raw.substr(0, 200);
}

TEST_F(SecurityTest, BodyAbuseIsRefusedWithTheRightStatusAndNoHang) {
  StartServer();
  const std::string post = "POST /v2/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
                           "\r\nContent-Type: application/json\r\n";
  const auto start = std::chrono::steady_clock::now();

  std::string raw = SendRaw(post + "Content-Length: 10000000\r\n\r\n{\"data\":{}}");
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << raw;

  std::string chunked = post + "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "1000\r\n" + std::string(0x1000, 'x') + "\r\n";
  raw = SendRaw(chunked + "0\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << raw.substr(0, 200);

  for (const std::string bad : {"abc", "-1", "1e3", "99999999999999999999999", "5, 6"}) {
    raw = SendRaw(post + "Content-Length: " + bad + "\r\n\r\n{}");
    EXPECT_EQ(raw.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << bad << ": " << raw;
  }
  raw = SendRaw(post + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << raw;

  // Shorter than announced: the rest never comes, read_timeout (1 s) ends it without an answer.
  raw = SendRaw(post + "Content-Length: 100\r\n\r\n{}");
  EXPECT_EQ(raw, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "nothing hangs";
  EXPECT_EQ(Send(testing::MakeRequest(V::get, "/healthz")).result(), http::status::ok);
}

TEST_F(SecurityTest, ClientDribblingHeadersIsCutOffByTheReadTimeout) {
  StartServer();
  testing::HttpConnection socket = Connect();
  bool open = socket.Write("GET /healthz HTTP/1.1\r\nX-Slow: ");
  const auto start = std::chrono::steady_clock::now();
  // One byte every 50 ms keeps the connection busy but never finishes the headers.
  while (open && std::chrono::steady_clock::now() - start < 6s) {
    open = socket.Write("a");
    std::this_thread::sleep_for(50ms);
  }
  const auto cut_after = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(open) << "the server never closed the connection";
  EXPECT_LT(cut_after, 4s) << "read_timeout is 1 s from the first byte";
  const std::string data = socket.ReadUntilClosed().bytes;
  EXPECT_EQ(data.find("200 OK"), std::string::npos) << data;
}

TEST_F(SecurityTest, IdleConnectionsBeyondTheCapAre503AndFreedByTheTimeout) {
  ServerOptions options;
  options.max_connections = 8;
  StartServer(options);
  std::vector<testing::HttpConnection> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(Connect());
  std::this_thread::sleep_for(100ms);  // all accepted
  for (int i = 0; i < 3; ++i) {
    const std::string raw = SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << raw;
  }
  // The idle ones say nothing, so read_timeout (1 s) closes them and frees their places.
  for (testing::HttpConnection& socket : idle) {
    const jobsd::testing::RawExchange exchange = socket.ReadUntilClosed();
    EXPECT_TRUE(exchange.closed);
    EXPECT_TRUE(exchange.bytes.empty());
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(Send(testing::MakeRequest(V::get, "/healthz")).result(), http::status::ok);
}

TEST_F(SecurityTest, BadTokensAre401WithTheDocumentedTitle) {
  StartServer();
  const ClientCredentials doomed = world_.auth->CreateClient();
  const std::string doomed_token =
      world_.auth->IssueToken(doomed.client_id, doomed.client_secret).value().access_token;
  ASSERT_EQ(SendAuthed(V::get, "/v2/jobs").result(), http::status::ok);

  const std::vector<std::string> authorizations = {
      "Bearer",
      "Bearer ",
      "Bearer  x",
      "Basic " + token_,
      "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
      "bearer not-a-token",
      "BearerX " + token_,
      "Bearer " + token_ + "x",
      "Bearer " + token_.substr(1),
      "Bearer " + std::string(10 * 1024, 'a'),
      "Bearer " + token_ + " " + token_,
      "Token " + token_,
  };
  for (const std::string& authorization : authorizations) {
    Request request = testing::MakeRequest(V::get, "/v2/jobs");
    request.set(http::field::authorization, authorization);
    const Reply reply = Send(request);
    EXPECT_EQ(reply.result(), http::status::unauthorized) << authorization.substr(0, 80);
    ExpectEnvelope(reply, authorization.substr(0, 80));
    EXPECT_EQ(S(Json(reply).at("errors").at(0).at("title")), "Unable to validate access token");
  }
  // The scheme name is case-insensitive (RFC 9110 section 11.1), so a valid token still works.
  Request lowercase = testing::MakeRequest(V::get, "/v2/jobs");
  lowercase.set(http::field::authorization, "bearer " + token_);
  EXPECT_EQ(Send(lowercase).result(), http::status::ok);

  // Revoking a client kills its tokens at once; other clients are untouched.
  ASSERT_EQ(Send(testing::Authed(testing::MakeRequest(V::get, "/v2/jobs"), doomed_token)).result(),
            http::status::ok);
  EXPECT_TRUE(world_.auth->DeleteClient(doomed.client_id));
  Reply revoked = Send(testing::Authed(testing::MakeRequest(V::get, "/v2/jobs"), doomed_token));
  EXPECT_EQ(revoked.result(), http::status::unauthorized);
  EXPECT_EQ(S(Json(revoked).at("errors").at(0).at("title")), "Unable to validate access token");
  EXPECT_EQ(SendAuthed(V::get, "/v2/jobs").result(), http::status::ok);

  // Expired: the manual clock moves past the token's lifetime.
  world_.clock.Advance((kTokenLifetimeSeconds + 1) * kNanosPerSecond);
  Reply expired = SendAuthed(V::get, "/v2/jobs/anything");
  EXPECT_EQ(expired.result(), http::status::unauthorized);
  EXPECT_EQ(S(Json(expired).at("errors").at(0).at("title")), "Unable to validate access token");
}

}  // namespace
}  // namespace jobsd::api
