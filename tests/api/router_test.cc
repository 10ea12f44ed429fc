// The router without a network: ordering of auth/404/405 and every error
// body, against a real SQLite store.
#include "api/router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <memory>
#include <regex>

#include "api/errors.h"
#include "storage/postgres/pg.h"
#include "storage/sqlite/open_connection.h"
#include "tests/api/api_world.h"

namespace jobsd::api {
namespace {

using testing::ApiWorld;
using testing::Authed;
using testing::kPublicUrl;
using testing::MakeRequest;
using testing::S;
using V = http::verb;

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : router_(world_.services(), std::string(kPublicUrl) + "/"), token_(world_.NewToken()) {}

  Response Get(std::string target) {
    return router_.Handle(Authed(MakeRequest(V::get, target), token_));
  }
  Response PostJob(std::string body, std::string content_type = "application/json") {
    return router_.Handle(
        Authed(MakeRequest(V::post, "/v2/jobs", std::move(body), std::move(content_type)), token_));
  }

  ApiWorld world_;
  Router router_;
  std::string token_;
};

boost::json::value Body(const Response& response) { return boost::json::parse(response.BodyText()); }

// Asserts the error envelope and that request_id matches X-Request-Id.
void ExpectError(const Response& response, int status, std::string_view title,
                 std::string_view detail) {
  EXPECT_EQ(static_cast<int>(response.status), status);
  EXPECT_EQ(response.headers[http::field::content_type], "application/json");
  const boost::json::value body = Body(response);
  ASSERT_EQ(body.at("errors").as_array().size(), 1u) << response.body;
  const auto& error = body.at("errors").at(0);
  EXPECT_EQ(error.at("status"), status) << response.body;
  EXPECT_EQ(S(error.at("title")), title) << response.body;
  if (!detail.empty()) {
    EXPECT_EQ(S(error.at("detail")), detail) << response.body;
  }
  EXPECT_EQ(S(error.at("request_id")), response.headers["X-Request-Id"]);
  EXPECT_FALSE(response.headers["X-Request-Id"].empty());
}

TEST_F(RouterTest, UnknownPathIs404WithTheFixedTexts) {
  // ("/" redirects to the dashboard: tests/api/ui_test.cc.)
  for (std::string target : {"/nope", "/nope/", "/v2/jobs/", "/exports/x", "/exports/.csv"}) {
    SCOPED_TRACE(target);
    ExpectError(Get(target), 404, "Resource Not Found",
                "The resource you are requesting does not exist");
  }
}

TEST_F(RouterTest, TokenIsCheckedBeforeThePathAndTheMethodOnV2) {
  for (auto [method, target] : {std::pair{V::get, "/v2/jobs"},
                                {V::get, "/v2/nope"},
                                {V::delete_, "/v2/jobs"},
                                {V::post, "/v2/jobs"},
                                {V::get, "/v2"}}) {
    SCOPED_TRACE(target);
    const Response response = router_.Handle(MakeRequest(method, target));
    ExpectError(response, 401, "Unable to validate access token", "");
  }
  ExpectError(Get("/v2/nope"), 404, "Resource Not Found",
              "The resource you are requesting does not exist");
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  static const struct {
    V method;
    const char* target;
    const char* allow;
  } kCases[] = {
      {V::delete_, "/v2/jobs", "GET, HEAD, POST"}, {V::put, "/v2/jobs/abc", "GET, HEAD"},
      {V::post, "/v2/jobs/abc/file", "GET, HEAD"}, {V::get, "/oauth/access_token", "POST"},
      {V::head, "/oauth/access_token", "POST"},    {V::post, "/exports/abc.csv", "GET, HEAD"},
      {V::post, "/healthz", "GET, HEAD"},          {V::delete_, "/metrics", "GET, HEAD"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.target);
    const Response response = router_.Handle(Authed(MakeRequest(c.method, c.target), token_));
    ExpectError(response, 405, "Method Not Allowed", "");
    EXPECT_EQ(response.headers[http::field::allow], c.allow);
  }
}

TEST_F(RouterTest, HeadIsAnsweredLikeGet) {
  for (const char* target : {"/healthz", "/readyz", "/metrics", "/v2/jobs", "/v2/jobs/nope"}) {
    SCOPED_TRACE(target);
    const Response get = router_.Handle(Authed(MakeRequest(V::get, target), token_));
    const Response head = router_.Handle(Authed(MakeRequest(V::head, target), token_));
    EXPECT_EQ(head.status, get.status);
    EXPECT_EQ(head.route, get.route);
    EXPECT_EQ(head.headers[http::field::content_type], get.headers[http::field::content_type]);
  }
  // Without a token, HEAD on /v2 is refused like GET.
  EXPECT_EQ(router_.Handle(MakeRequest(V::head, "/v2/jobs")).status, http::status::unauthorized);
}

TEST_F(RouterTest, PrecheckBeforeBodyRefusesOnlyAMissingOrBadTokenOnV2) {
  const std::optional<Response> refused =
      router_.PrecheckBeforeBody(MakeRequest(V::post, "/v2/jobs"), "rid");
  ASSERT_TRUE(refused);
  ExpectError(*refused, 401, "Unable to validate access token", "");
  EXPECT_EQ(refused->headers["X-Request-Id"], "rid");
  Request wrong = MakeRequest(V::post, "/v2/jobs");
  wrong.set(http::field::authorization, "Bearer nope");
  EXPECT_TRUE(router_.PrecheckBeforeBody(wrong, "rid"));
  EXPECT_FALSE(router_.PrecheckBeforeBody(Authed(MakeRequest(V::post, "/v2/jobs"), token_), "rid"));
  EXPECT_FALSE(router_.PrecheckBeforeBody(MakeRequest(V::post, "/oauth/access_token"), "rid"));
  EXPECT_FALSE(router_.PrecheckBeforeBody(MakeRequest(V::post, "/nope"), "rid"));
}

TEST_F(RouterTest, BadTokensAre401) {
  const std::string header_values[] = {"Basic " + token_, "Bearer", "Bearer ",
                                       "Bearer nope",     token_,   "Bearer " + token_ + "x"};
  for (const std::string& value : header_values) {
    SCOPED_TRACE(value);
    Request request = MakeRequest(V::get, "/v2/jobs");
    request.set(http::field::authorization, value);
    ExpectError(router_.Handle(request), 401, "Unable to validate access token", "");
  }
  Request lower = MakeRequest(V::get, "/v2/jobs");
  lower.set(http::field::authorization, "bearer " + token_);
  EXPECT_EQ(router_.Handle(lower).status, http::status::ok) << "the scheme is case-insensitive";
}

TEST_F(RouterTest, ExpiredTokenIs401) {
  EXPECT_EQ(Get("/v2/jobs").status, http::status::ok);
  world_.clock.Advance(3601 * kNanosPerSecond);
  ExpectError(Get("/v2/jobs"), 401, "Unable to validate access token", "");
}

TEST_F(RouterTest, CreateJobRejectsBadBodiesNamingTheProblem) {
  static const struct {
    const char* body;
    const char* content_type;
    const char* detail;
  } kCases[] = {
      {R"({"data":{"job_type":"order_export"}})", "text/plain",
       "Content-Type must be application/json"},
      {R"({"data":{"job_type":"order_export"}})", "", "Content-Type must be application/json"},
      {R"({"data":{"job_type":"order_export"})", "application/json",
       "Request body is not valid JSON"},
      {"", "application/json", "Request body is not valid JSON"},
      {"[]", "application/json", "Request body must be a JSON object"},
      {"{}", "application/json", "data is required"},
      {R"({"data":[]})", "application/json", "data must be an object"},
      {R"({"data":{"type":"order","job_type":"order_export"}})", "application/json",
       "data.type must be \"job\""},
      {R"({"data":{"type":"job"}})", "application/json", "data.job_type is required"},
      {R"({"data":{"job_type":7}})", "application/json", "data.job_type must be a string"},
      {R"({"data":{"job_type":"order_export","filter":3}})", "application/json",
       "data.filter must be a string"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.body);
    ExpectError(PostJob(c.body, c.content_type), 400, "Bad Request", c.detail);
  }
  const Response unknown = PostJob(R"({"data":{"job_type":"nope"}})");
  ExpectError(unknown, 400, "Bad Request", "");
  EXPECT_NE(Body(unknown).at("errors").at(0).at("detail").as_string().find("nope"),
            std::string::npos);
  EXPECT_EQ(world_.jobs->List({}).total, 0) << "no bad request becomes a job";
}

TEST_F(RouterTest, BadFilterIs400WithTheReasonInMeta) {
  const Response response =
      PostJob(R"js({"data":{"type":"job","job_type":"order_export","filter":"eq(colour,red)"}})js");
  ExpectError(response, 400, "Bad Request", "Could not parse the supplied filter");
  const auto reason = Body(response).at("errors").at(0).at("meta").at("reason").as_string();
  EXPECT_NE(reason.find("colour"), std::string::npos) << reason;

  const Response list = Get("/v2/jobs?filter=eq(colour,red)");
  ExpectError(list, 400, "Bad Request", "Could not parse the supplied filter");
}

TEST_F(RouterTest, CreateJobAnswers202WithLocation) {
  const Response response = PostJob(
      R"js({"data":{"type":"job","job_type":"order_export","filter":"eq(payment,paid)"}})js",
      "application/json; charset=utf-8");
  ASSERT_EQ(response.status, http::status::accepted) << response.body;
  const auto data = Body(response).at("data");
  EXPECT_EQ(data.at("status"), "pending");
  EXPECT_EQ(data.at("link").at("href"), "");
  EXPECT_FALSE(data.as_object().contains("error"));
  const std::string self(data.at("links").at("self").as_string());
  EXPECT_EQ(self, std::string(kPublicUrl) + "/v2/jobs/" + std::string(data.at("id").as_string()));
  EXPECT_EQ(response.headers[http::field::location], self);
  EXPECT_EQ(response.route, "/v2/jobs");
}

TEST_F(RouterTest, IdempotencyKeyReturnsTheFirstJobOrConflicts) {
  auto post = [&](std::string filter, std::string key) {
    Request request =
        Authed(MakeRequest(V::post, "/v2/jobs",
                           R"({"data":{"job_type":"order_export","filter":")" + filter + R"("}})",
                           "application/json"),
               token_);
    request.set("Idempotency-Key", key);
    return router_.Handle(request);
  };
  const Response first = post("eq(payment,paid)", "key-1");
  const Response again = post("eq(payment,paid)", "key-1");
  ASSERT_EQ(first.status, http::status::accepted);
  EXPECT_EQ(Body(again).at("data").at("id"), Body(first).at("data").at("id"));
  ExpectError(post("eq(payment,unpaid)", "key-1"), 409, "Conflict", "");
  EXPECT_NE(Body(post("eq(payment,paid)", "key-2")).at("data").at("id"),
            Body(first).at("data").at("id"));
  EXPECT_EQ(world_.jobs->List({}).total, 2);
}

// POST /v2/jobs through StartPostJob + FinishPostJob, as the server does on
// its I/O thread; nullopt when the router declined (the pool's Handle then).
std::optional<Response> PostWithoutPool(const Router& router, const Request& request,
                                        std::string_view request_id) {
  auto posted = std::make_shared<std::promise<Router::PostedJob>>();
  const bool started = router.StartPostJob(
      request, request_id, [posted](Router::PostedJob job) { posted->set_value(std::move(job)); });
  if (!started) return std::nullopt;
  return router.FinishPostJob(request_id, posted->get_future().get());
}

// Every answer of the I/O-thread POST is byte for byte the pool's: the
// same status, headers and body for a created job, a repeat of its key,
// and each refusal.
TEST_F(RouterTest, APostWithoutAPoolThreadAnswersWhatHandleAnswers) {
  auto request = [&](std::string body, std::string key = "",
                     std::string content_type = "application/json") {
    Request made = Authed(MakeRequest(V::post, "/v2/jobs", std::move(body), content_type), token_);
    if (!key.empty()) made.set("Idempotency-Key", key);
    return made;
  };
  const std::string job = R"({"data":{"type":"job","job_type":"order_export"}})";
  // The token is remembered once Handle has checked it.
  const Response first = router_.Handle(request(job, "key-1"), "rid-1");
  ASSERT_EQ(first.status, http::status::accepted) << first.body;
  if (!world_.services().jobs.CreatesWithoutWaiting()) {
    // PostgreSQL: an insert is a network round trip, never on an I/O thread.
    EXPECT_FALSE(PostWithoutPool(router_, request(job), "rid"));
    return;
  }
  const std::vector<Request> cases = {
      request(job, "key-1"),  // the same job again
      request(R"js({"data":{"job_type":"order_export","filter":"eq(payment,unpaid)"}})js", "key-1"),
      request(R"js({"data":{"job_type":"order_export","filter":"eq(nope,1)"}})js"),
      request(R"({"data":{"job_type":"no_such_type"}})"),
      request("{not json"),
      request(job, "", "text/plain"),
  };
  for (const Request& made : cases) {
    const std::optional<Response> async = PostWithoutPool(router_, made, "rid-2");
    ASSERT_TRUE(async) << made.body();
    const Response pooled = router_.Handle(made, "rid-2");
    EXPECT_EQ(async->status, pooled.status) << made.body();
    EXPECT_EQ(async->body, pooled.body) << made.body();
    EXPECT_EQ(async->headers[http::field::content_type], pooled.headers[http::field::content_type]);
    EXPECT_EQ(async->headers[http::field::location], pooled.headers[http::field::location]);
    EXPECT_EQ(async->headers["X-Request-Id"], "rid-2");
    EXPECT_EQ(async->route, "/v2/jobs");
  }
  // A new job: 202 with its own id and Location, stored once it answers.
  const std::optional<Response> created = PostWithoutPool(router_, request(job), "rid-3");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, http::status::accepted) << created->body;
  const std::string id(Body(*created).at("data").at("id").as_string());
  EXPECT_EQ(created->headers[http::field::location], std::string(kPublicUrl) + "/v2/jobs/" + id);
  EXPECT_TRUE(world_.jobs->Get(id));
  EXPECT_EQ(world_.jobs->List({}).total, 2);
}

// What the I/O thread leaves to the pool: anything but POST /v2/jobs, and a
// token the authenticator has not checked recently (that may read the
// store).
TEST_F(RouterTest, APostWithoutAPoolThreadIsOnlyForAJobPostWithARememberedToken) {
  const std::string job = R"({"data":{"job_type":"order_export"}})";
  const std::string fresh = world_.NewToken();
  auto declines = [&](Request made) { return !PostWithoutPool(router_, made, "r"); };
  EXPECT_TRUE(declines(Authed(MakeRequest(V::post, "/v2/jobs", job, "application/json"), fresh)));
  EXPECT_TRUE(declines(MakeRequest(V::post, "/v2/jobs", job, "application/json")));
  EXPECT_TRUE(declines(Authed(MakeRequest(V::post, "/v2/jobs", job, "application/json"), "bad")));
  ASSERT_EQ(PostJob(job).status, http::status::accepted);  // token_ now remembered
  EXPECT_TRUE(declines(Authed(MakeRequest(V::get, "/v2/jobs"), token_)));
  EXPECT_TRUE(declines(Authed(MakeRequest(V::post, "/v2/jobs/x/cancel"), token_)));
  EXPECT_TRUE(declines(Authed(MakeRequest(V::post, "/v2/jobs/", job, "application/json"), token_)));
  EXPECT_EQ(declines(Authed(MakeRequest(V::post, "/v2/jobs", job, "application/json"), token_)),
            !world_.services().jobs.CreatesWithoutWaiting());
  // Nor once the token expired.
  world_.clock.Advance(3601 * kNanosPerSecond);
  EXPECT_TRUE(declines(Authed(MakeRequest(V::post, "/v2/jobs", job, "application/json"), token_)));
}

TEST_F(RouterTest, PaginationParametersAreValidated) {
  static const struct {
    const char* query;
    const char* detail;
  } kCases[] = {
      {"page[limit]=0", "page[limit] must be a whole number from 1 to 100"},
      {"page[limit]=101", "page[limit] must be a whole number from 1 to 100"},
      {"page[limit]=abc", "page[limit] must be a whole number from 1 to 100"},
      {"page[limit]=", "page[limit] must be a whole number from 1 to 100"},
      {"page[limit]=2.5", "page[limit] must be a whole number from 1 to 100"},
      {"page%5Blimit%5D=-1", "page[limit] must be a whole number from 1 to 100"},
      {"page[offset]=-1", "page[offset] must be a whole number, 0 or more"},
      {"page[offset]=x", "page[offset] must be a whole number, 0 or more"},
      {"page[offset]=99999999999999999999", "page[offset] must be a whole number, 0 or more"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.query);
    ExpectError(Get(std::string("/v2/jobs?") + c.query), 400, "Bad Request", c.detail);
  }
  for (const char* ok : {"page[limit]=1", "page[limit]=100", "page[offset]=0"}) {
    EXPECT_EQ(Get(std::string("/v2/jobs?") + ok).status, http::status::ok) << ok;
  }
}

TEST_F(RouterTest, ListPagesNewestFirst) {
  const Response empty = Get("/v2/jobs");
  ASSERT_EQ(empty.status, http::status::ok);
  EXPECT_TRUE(Body(empty).at("data").as_array().empty());
  EXPECT_EQ(Body(empty).at("meta").at("page").at("total"), 1);
  EXPECT_EQ(Body(empty).at("links").at("next"), nullptr);
  EXPECT_EQ(Body(empty).at("links").at("prev"), nullptr);

  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(world_.CreateJob().id);
  const auto page = Body(Get("/v2/jobs?page[limit]=2&page[offset]=2"));
  ASSERT_EQ(page.at("data").as_array().size(), 2u);
  EXPECT_EQ(S(page.at("data").at(0).at("id")), ids[1]);
  EXPECT_EQ(S(page.at("data").at(1).at("id")), ids[0]);
  EXPECT_EQ(page.at("meta").at("results").at("total"), 4);
  EXPECT_EQ(page.at("meta").at("page").at("current"), 2);
  EXPECT_EQ(page.at("meta").at("page").at("total"), 2);
  EXPECT_EQ(page.at("links").at("next"), nullptr);
  EXPECT_EQ(S(page.at("links").at("prev")),
            std::string(kPublicUrl) + "/v2/jobs?page[limit]=2&page[offset]=0");

  const auto past = Body(Get("/v2/jobs?page[offset]=10"));
  EXPECT_TRUE(past.at("data").as_array().empty());
  EXPECT_EQ(past.at("meta").at("results").at("total"), 4);
}

// The I/O thread's answer (Router::AnswerFromListCache) is only ever a
// page the pool's Handle has answered, byte for byte, and only while
// nothing changed; everything else is left to Handle.
TEST_F(RouterTest, ListCacheAnswersOnlyAPageHandleAlreadyGaveWhileNothingChanged) {
  world_.CreateJob();
  const std::string target = "/v2/jobs?page[limit]=5&filter=eq(status,pending)";
  auto inline_answer = [&](const std::string& t, const std::string& token) {
    return router_.AnswerFromListCache(Authed(MakeRequest(V::get, t), token), "rid-inline");
  };
  // A token the authenticator has not checked yet, and a page never listed.
  const std::string fresh = world_.NewToken();
  EXPECT_FALSE(inline_answer(target, fresh));
  EXPECT_FALSE(inline_answer(target, token_));

  const Response listed = Get(target);
  ASSERT_EQ(listed.status, http::status::ok);
  if (!world_.services().jobs.ListVersionIsLocal()) {
    // PostgreSQL: the version is a query over the network, never asked on
    // an I/O thread; every request goes to the pool.
    EXPECT_FALSE(inline_answer(target, token_));
    return;
  }
  const std::optional<Response> cached = inline_answer(target, token_);
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, http::status::ok);
  EXPECT_EQ(cached->BodyText(), listed.BodyText());
  EXPECT_EQ(cached->headers[http::field::content_type], listed.headers[http::field::content_type]);
  EXPECT_EQ(cached->headers[http::field::cache_control],
            listed.headers[http::field::cache_control]);
  EXPECT_EQ(cached->headers["X-Request-Id"], "rid-inline");
  EXPECT_EQ(cached->route, "/v2/jobs");
  // HEAD too; other methods, paths and bad parameters go to Handle.
  EXPECT_TRUE(router_.AnswerFromListCache(Authed(MakeRequest(V::head, target), token_), "r"));
  EXPECT_FALSE(router_.AnswerFromListCache(Authed(MakeRequest(V::post, target), token_), "r"));
  EXPECT_FALSE(inline_answer("/v2/jobs/", token_));
  EXPECT_FALSE(inline_answer("/v2/jobs?page[limit]=0", token_));
  EXPECT_FALSE(inline_answer(target, "not-a-token"));
  EXPECT_FALSE(router_.AnswerFromListCache(MakeRequest(V::get, target), "r"));  // no token

  // A new job changes the store: the kept page is not served again.
  world_.CreateJob();
  EXPECT_FALSE(inline_answer(target, token_));
  EXPECT_EQ(Body(Get(target)).at("meta").at("results").at("total"), 2);
  EXPECT_TRUE(inline_answer(target, token_));
  // Nor once the token expired.
  world_.clock.Advance(3601 * kNanosPerSecond);
  EXPECT_FALSE(inline_answer(target, token_));
}

TEST_F(RouterTest, ListFiltersOnJobFields) {
  const Job failed = world_.Fail(world_.CreateJob(), "No results matched the supplied filter");
  const Job pending = world_.CreateJob();
  const auto only_failed = Body(Get("/v2/jobs?filter=eq(status,failed)"));
  ASSERT_EQ(only_failed.at("data").as_array().size(), 1u);
  EXPECT_EQ(S(only_failed.at("data").at(0).at("id")), failed.id);
  EXPECT_EQ(only_failed.at("data").at(0).at("error"), "No results matched the supplied filter");
  EXPECT_EQ(S(only_failed.at("links").at("first")),
            std::string(kPublicUrl) +
                "/v2/jobs?page[limit]=25&page[offset]=0&filter=eq%28status%2Cfailed%29");
  const auto both = Body(Get("/v2/jobs?filter=in(status,failed,pending)"));
  EXPECT_EQ(both.at("meta").at("results").at("total"), 2);
  EXPECT_EQ(S(both.at("data").at(0).at("id")), pending.id);
}

TEST_F(RouterTest, GetJobIs404WhenUnknownMalformedOrExpired) {
  const Job job = world_.CreateJob();
  const auto found = Body(Get("/v2/jobs/" + job.id));
  EXPECT_EQ(S(found.at("data").at("id")), job.id);
  for (std::string id : {std::string("00000000-0000-4000-8000-000000000000"),
                         std::string("not-a-uuid"), job.id + "x"}) {
    ExpectError(Get("/v2/jobs/" + id), 404, "Resource Not Found",
                "The resource you are requesting does not exist");
    ExpectError(Get("/v2/jobs/" + id + "/file"), 404, "Resource Not Found",
                "The resource you are requesting does not exist");
  }
  world_.clock.Advance(7 * kNanosPerDay);
  const std::string token = world_.NewToken();  // the old one expired too
  ExpectError(router_.Handle(Authed(MakeRequest(V::get, "/v2/jobs/" + job.id), token)), 404,
              "Resource Not Found", "The resource you are requesting does not exist");
}

TEST_F(RouterTest, FileEndpointIs422UntilSuccess) {
  const Job job = world_.CreateJob();
  ExpectError(Get("/v2/jobs/" + job.id + "/file"), 422, "Unprocessable Entity",
              "Job has no file to download. Job status: pending");
  const Job done = world_.Succeed(job, "id\r\n1\r\n");
  const Response file = Get("/v2/jobs/" + job.id + "/file");
  ASSERT_EQ(file.status, http::status::ok);
  const std::string href(Body(file).at("data").at("href").as_string());
  EXPECT_EQ(href, std::string(kPublicUrl) + "/exports/" + done.artifact->token + ".csv");
  EXPECT_EQ(S(Body(Get("/v2/jobs/" + job.id)).at("data").at("link").at("href")), href);

  const Job failed = world_.Fail(world_.CreateJob(), "broken");
  ExpectError(Get("/v2/jobs/" + failed.id + "/file"), 422, "Unprocessable Entity",
              "Job has no file to download. Job status: failed");
}

TEST_F(RouterTest, ExportsAreServedWithRangesAndDieWithTheJob) {
  const std::string csv = "id,order_number\r\n1,A\r\n2,B\r\n";
  const Job job = world_.Succeed(world_.CreateJob(), csv);
  const std::string target = "/exports/" + job.artifact->token + ".csv";
  auto fetch = [&](V method, std::optional<std::string> range) {
    Request request = MakeRequest(method, target);  // no token: public
    if (range) request.set(http::field::range, *range);
    return router_.Handle(request);
  };

  const Response whole = fetch(V::get, std::nullopt);
  ASSERT_EQ(whole.status, http::status::ok) << whole.body;
  ASSERT_TRUE(whole.file.has_value());
  EXPECT_EQ(whole.file->offset, 0u);
  EXPECT_EQ(whole.file->length, csv.size());
  EXPECT_EQ(whole.headers[http::field::content_type], "text/csv; charset=utf-8");
  EXPECT_EQ(whole.headers[http::field::content_disposition],
            "attachment; filename=\"orders-" + job.id + ".csv\"");
  EXPECT_EQ(whole.headers[http::field::accept_ranges], "bytes");
  EXPECT_EQ(whole.headers[http::field::content_length], std::to_string(csv.size()));
  EXPECT_EQ(whole.route, "/exports/{token}.csv");

  const Response part = fetch(V::get, "bytes=3-5");
  EXPECT_EQ(part.status, http::status::partial_content);
  EXPECT_EQ(part.file->offset, 3u);
  EXPECT_EQ(part.file->length, 3u);
  EXPECT_EQ(part.headers[http::field::content_range], "bytes 3-5/" + std::to_string(csv.size()));

  const Response beyond = fetch(V::get, "bytes=1000-");
  ExpectError(beyond, 416, "Range Not Satisfiable", "");
  EXPECT_EQ(beyond.headers[http::field::content_range], "bytes */" + std::to_string(csv.size()));

  EXPECT_EQ(fetch(V::head, std::nullopt).status, http::status::ok);

  ExpectError(router_.Handle(MakeRequest(V::get, "/exports/" + std::string(32, 'a') + ".csv")), 404,
              "Resource Not Found", "The resource you are requesting does not exist");

  ASSERT_TRUE(world_.artifacts.Delete(job.artifact->key));
  ExpectError(fetch(V::get, std::nullopt), 404, "Resource Not Found", "");
}

TEST_F(RouterTest, ExportIs404OnceTheJobExpired) {
  const Job job = world_.Succeed(world_.CreateJob(), "id\r\n");
  const std::string target = "/exports/" + job.artifact->token + ".csv";
  EXPECT_EQ(router_.Handle(MakeRequest(V::get, target)).status, http::status::ok);
  world_.clock.Advance(7 * kNanosPerDay);
  ExpectError(router_.Handle(MakeRequest(V::get, target)), 404, "Resource Not Found", "");
}

TEST_F(RouterTest, AccessTokenGrant) {
  const ClientCredentials client = world_.auth->CreateClient();
  auto post = [&](std::string body, std::string type = "application/x-www-form-urlencoded") {
    return router_.Handle(MakeRequest(V::post, "/oauth/access_token", std::move(body), type));
  };
  const Response ok = post("grant_type=client_credentials&client_id=" + client.client_id +
                           "&client_secret=" + client.client_secret);
  ASSERT_EQ(ok.status, http::status::ok) << ok.body;
  const auto body = Body(ok);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in"), 3600);
  EXPECT_EQ(body.at("identifier"), "client_credentials");
  EXPECT_EQ(body.at("expires"), world_.clock.Now() / kNanosPerSecond + 3600);
  const std::string token(body.at("access_token").as_string());
  EXPECT_GE(token.size(), 32u);
  EXPECT_EQ(router_.Handle(Authed(MakeRequest(V::get, "/v2/jobs"), token)).status,
            http::status::ok);

  ExpectError(
      post("grant_type=client_credentials&client_id=" + client.client_id + "&client_secret=wrong"),
      401, "Unauthorized", "");
  ExpectError(
      post("grant_type=client_credentials&client_id=nobody&client_secret=" + client.client_secret),
      401, "Unauthorized", "");
  ExpectError(post("grant_type=password&client_id=a&client_secret=b"), 400, "Bad Request",
              "grant_type must be client_credentials");
  ExpectError(post("client_id=a&client_secret=b"), 400, "Bad Request", "grant_type is required");
  ExpectError(post("grant_type=client_credentials&client_secret=b"), 400, "Bad Request",
              "client_id is required");
  ExpectError(post("grant_type=client_credentials&client_id=a"), 400, "Bad Request",
              "client_secret is required");
  ExpectError(post(R"({"grant_type":"client_credentials"})", "application/json"), 400,
              "Bad Request", "Content-Type must be application/x-www-form-urlencoded");
}

TEST_F(RouterTest, HealthReadinessAndMetrics) {
  const Response health = router_.Handle(MakeRequest(V::get, "/healthz"));
  EXPECT_EQ(health.status, http::status::ok);
  EXPECT_EQ(router_.Handle(MakeRequest(V::get, "/readyz")).status, http::status::ok);
  world_.ready = false;
  ExpectError(router_.Handle(MakeRequest(V::get, "/readyz")), 503, "Service Unavailable", "");

  world_.CreateJob();
  world_.metrics.HttpRequest("/v2/jobs/{id}", 200, 2'000'000);
  const Response metrics = router_.Handle(MakeRequest(V::get, "/metrics"));
  EXPECT_EQ(metrics.status, http::status::ok);
  EXPECT_EQ(metrics.headers[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {"jobsd_jobs{status=\"pending\"} 1\n", "jobsd_queue_depth 1\n",
                           "jobsd_http_requests_total{route=\"/v2/jobs/{id}\",status=\"200\"} 1\n",
                           "jobsd_exported_rows_total 0\n"}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << metrics.body;
  }
}

// A job type whose validation fails in an unexpected way stands in for any
// internal failure: the client gets the fixed 500 body, never the cause.
class ExplodingJob final : public JobHandler {
 public:
  void ValidateParams(std::string_view) const override {
    throw std::runtime_error("secret internals");
  }
  JobOutcome Run(const JobContext&) override { return JobOutcome::Failed("unused"); }
};

TEST_F(RouterTest, InternalErrorsHideTheirCause) {
  world_.registry.Register("exploding", std::make_unique<ExplodingJob>());
  const Response response = PostJob(R"({"data":{"job_type":"exploding"}})");
  ExpectError(response, 500, "Internal Server Error",
              "There was an internal server error, you can report with your request id.");
  EXPECT_EQ(response.body.find("secret"), std::string::npos);
}

// GET /v2/jobs keeps rendered pages (api/list_cache.h); none may outlive
// the store state it shows: a new job, a status change, another process's
// write, or a job expiring without any write at all.
TEST(RouterListCacheTest, TheListNeverShowsAPageTheStoreHasMovedPast) {
  ApiWorld world;
  // Retention shorter than the token's life, so expiry can be reached by
  // the clock alone, with no write to the store (a new token is one).
  JobServiceOptions options;
  options.retention = 60 * kNanosPerSecond;
  world.jobs =
      std::make_unique<JobService>(world.database->jobs(), world.registry, world.clock, options);
  Router router(world.services(), std::string(kPublicUrl) + "/");
  const std::string token = world.NewToken();
  auto ids = [&] {
    std::vector<std::string> out;
    const Response response = router.Handle(Authed(MakeRequest(V::get, "/v2/jobs"), token));
    EXPECT_EQ(response.status, http::status::ok) << response.body;
    const boost::json::value body = Body(response);
    for (const auto& job : body.at("data").as_array()) {
      out.push_back(S(job.at("id")) + ":" + S(job.at("status")));
    }
    return out;
  };
  EXPECT_TRUE(ids().empty());
  EXPECT_TRUE(ids().empty());  // twice: the second may come from the cache

  const Job first = world.CreateJob();
  EXPECT_EQ(ids(), std::vector<std::string>{first.id + ":pending"});
  EXPECT_EQ(ids(), std::vector<std::string>{first.id + ":pending"});

  world.Succeed(first, "a,b\r\n");
  EXPECT_EQ(ids(), std::vector<std::string>{first.id + ":success"});

  // Another process writes: a job deleted straight from the store file.
  const Job second = world.CreateJob();
  EXPECT_EQ(ids().size(), 2u);
  if (ApiWorld::OnPostgres()) {
    storage::pg::Connection::Open(world.location)
        ->RunOnce("DELETE FROM jobs WHERE id = $1", storage::pg::Params().Add(second.id));
  } else {
    auto other = storage::OpenConnection({world.dir / "jobsd.db"});
    other->Exec("DELETE FROM jobs WHERE id = '" + second.id + "'");
  }
  EXPECT_EQ(ids(), std::vector<std::string>{first.id + ":success"});

  // Past its retention the job leaves the list, though nothing was written.
  world.clock.Advance(61 * kNanosPerSecond);
  EXPECT_TRUE(ids().empty());
}

// Another process holds the store's write lock past the busy timeout (an
// orders import merging, say): the write answers 503 + Retry-After, nothing
// is created, and the same request passes once the lock is free.
TEST(RouterStoreBusyTest, ALockedStoreAnswers503WithRetryAfterAndLosesNothing) {
  ApiWorld world(/*busy_timeout_ms=*/50);
  Router router(world.services(), std::string(kPublicUrl) + "/");
  const std::string token = world.NewToken();
  auto post = [&] {
    return router.Handle(Authed(
        MakeRequest(V::post, "/v2/jobs", R"({"data":{"type":"job","job_type":"order_export"}})",
                    "application/json"),
        token));
  };

  auto holder = storage::OpenConnection({world.dir / "jobsd.db"});
  holder->Exec("BEGIN IMMEDIATE");
  const Response busy = post();
  ExpectError(busy, 503, "Service Unavailable", kStoreBusyDetail);
  EXPECT_EQ(busy.headers[http::field::retry_after], "1");
  // Reads do not need the write lock (WAL): the list still answers.
  const Response list = router.Handle(Authed(MakeRequest(V::get, "/v2/jobs"), token));
  EXPECT_EQ(list.status, http::status::ok);
  EXPECT_EQ(Body(list).at("data").as_array().size(), 0u) << list.body;
  holder->Exec("ROLLBACK");

  EXPECT_EQ(post().status, http::status::accepted);
  const Response after = router.Handle(Authed(MakeRequest(V::get, "/v2/jobs"), token));
  EXPECT_EQ(Body(after).at("data").as_array().size(), 1u) << after.body;
}

// The I/O-thread POST meets a locked store as the pool's does: 503 with
// Retry-After once the busy timeout runs out, nothing stored, and the next
// POST after the lock is gone lands.
TEST(RouterStoreBusyTest, ALockedStoreAnswersAPostWithoutAPoolThread503AndLosesNothing) {
  ApiWorld world(/*busy_timeout_ms=*/50);
  if (!world.services().jobs.CreatesWithoutWaiting()) GTEST_SKIP() << "SQLite's group writer only";
  Router router(world.services(), std::string(kPublicUrl) + "/");
  const std::string token = world.NewToken();
  auto request = [&] {
    return Authed(MakeRequest(V::post, "/v2/jobs", R"({"data":{"job_type":"order_export"}})",
                              "application/json"),
                  token);
  };
  ASSERT_EQ(router.Handle(request()).status, http::status::accepted);  // remembers the token

  auto holder = storage::OpenConnection({world.dir / "jobsd.db"});
  holder->Exec("BEGIN IMMEDIATE");
  const std::optional<Response> busy = PostWithoutPool(router, request(), "rid-busy");
  ASSERT_TRUE(busy);
  ExpectError(*busy, 503, "Service Unavailable", kStoreBusyDetail);
  EXPECT_EQ(busy->headers[http::field::retry_after], "1");
  holder->Exec("ROLLBACK");

  const std::optional<Response> after = PostWithoutPool(router, request(), "rid-after");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, http::status::accepted) << after->body;
  EXPECT_EQ(world.jobs->List({}).total, 2);
}

}  // namespace
}  // namespace jobsd::api
