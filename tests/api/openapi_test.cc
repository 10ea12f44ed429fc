// GET /openapi.json: the document is the repository's docs/openapi.json,
// byte for byte, and it describes exactly the routes the router serves,
// with the answers every route can give (a real validator and the real
// server's answers are checked in tests/api/openapi/).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "api/router.h"
#include "tests/api/api_world.h"

namespace jobsd::api {
namespace {

using testing::ApiWorld;
using testing::kPublicUrl;
using testing::MakeRequest;
using V = http::verb;

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(JOBSD_SOURCE_DIR) + "/" + relative, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

class OpenApiTest : public ::testing::Test {
 protected:
  OpenApiTest() : router_(world_.services(), std::string(kPublicUrl)) {}

  boost::json::object Document() {
    const Response response = router_.Handle(MakeRequest(V::get, "/openapi.json"));
    EXPECT_EQ(response.status, http::status::ok);
    return boost::json::parse(response.body).as_object();
  }

  ApiWorld world_;
  Router router_;
};

TEST_F(OpenApiTest, ServesTheRepositoryDocumentWithoutAToken) {
  const Response response = router_.Handle(MakeRequest(V::get, "/openapi.json"));
  ASSERT_EQ(response.status, http::status::ok);
  EXPECT_EQ(response.headers[http::field::content_type], "application/json");
  const std::string source = ReadSourceFile("docs/openapi.json");
  ASSERT_FALSE(source.empty()) << "docs/openapi.json not found under " << JOBSD_SOURCE_DIR;
  EXPECT_EQ(response.body, source);
  EXPECT_EQ(Document().at("openapi").as_string(), "3.1.0");
}

TEST_F(OpenApiTest, HeadAnswersLikeGetWithoutABody) {
  const Response response = router_.Handle(MakeRequest(V::head, "/openapi.json"));
  EXPECT_EQ(response.status, http::status::ok);
}

TEST_F(OpenApiTest, EveryRouteOfTheRouterIsDocumentedWithItsMethods) {
  const boost::json::object document = Document();
  const boost::json::object& paths = document.at("paths").as_object();
  for (const Router::RouteMethods& route : router_.Routes()) {
    SCOPED_TRACE(route.path);
    const boost::json::value* documented = paths.if_contains(route.path);
    ASSERT_NE(documented, nullptr) << route.path << " is served but not in docs/openapi.json";
    for (http::verb method : route.methods) {
      EXPECT_TRUE(documented->as_object().contains(Lower(http::to_string(method))))
          << http::to_string(method) << " " << route.path << " is served but not documented";
    }
  }
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsServed) {
  const boost::json::object document = Document();
  const boost::json::object& paths = document.at("paths").as_object();
  const std::vector<Router::RouteMethods> routes = router_.Routes();
  for (const auto& [path, item] : paths) {
    const auto route =
        std::find_if(routes.begin(), routes.end(), [&](const auto& r) { return r.path == path; });
    ASSERT_NE(route, routes.end()) << path << " is documented but the router has no such route";
    for (const auto& [method, operation] : item.as_object()) {
      (void)operation;
      const bool served =
          std::any_of(route->methods.begin(), route->methods.end(),
                      [&](http::verb m) { return Lower(http::to_string(m)) == method; });
      EXPECT_TRUE(served) << method << " " << path << " is documented but not served";
    }
  }
}

// The answers that do not depend on the route's own logic, checked on
// every operation: /v2/* needs a token (401) and a wrong method answers 405
// on every path, a 500 can come from anywhere.
TEST_F(OpenApiTest, EveryOperationDocumentsTheAnswersEveryRouteCanGive) {
  const boost::json::object document = Document();
  const boost::json::object& paths = document.at("paths").as_object();
  for (const auto& [path, item] : paths) {
    for (const auto& [method, operation] : item.as_object()) {
      if (method == "head") continue;  // headers only: its statuses mirror GET
      SCOPED_TRACE(std::string(method) + " " + std::string(path));
      const boost::json::object& responses = operation.at("responses").as_object();
      EXPECT_TRUE(responses.contains("405"));
      const bool v2 = std::string_view(path).starts_with("/v2/");
      if (v2) {
        EXPECT_TRUE(responses.contains("401"));
        EXPECT_TRUE(responses.contains("500"));
        EXPECT_FALSE(operation.at("security").as_array().empty());
      } else {
        EXPECT_TRUE(operation.at("security").as_array().empty());
      }
    }
  }
}

// Real answers of the router to each documented path are among the
// statuses documented for it.
TEST_F(OpenApiTest, TheRoutersAnswersAreDocumented) {
  const boost::json::object document = Document();
  const boost::json::object& paths = document.at("paths").as_object();
  const auto documented = [&](std::string_view path, std::string_view method, int status) {
    return paths.at(path).at(method).at("responses").as_object().contains(std::to_string(status));
  };
  const std::string token = world_.NewToken();
  struct Probe {
    V method;
    std::string target;
    std::string path;
    bool authed;
  };
  const std::string unknown = "/v2/jobs/00000000-0000-4000-8000-000000000000";
  const std::vector<Probe> probes = {
      {V::get, "/v2/jobs", "/v2/jobs", true},
      {V::get, "/v2/jobs", "/v2/jobs", false},
      {V::get, "/v2/jobs?page[limit]=0", "/v2/jobs", true},
      {V::post, "/v2/jobs", "/v2/jobs", true},
      {V::get, unknown, "/v2/jobs/{id}", true},
      {V::get, unknown + "/file", "/v2/jobs/{id}/file", true},
      {V::get, "/exports/nothing.csv", "/exports/{token}.csv", false},
      {V::post, "/oauth/access_token", "/oauth/access_token", false},
      {V::get, "/healthz", "/healthz", false},
      {V::get, "/readyz", "/readyz", false},
      {V::get, "/metrics", "/metrics", false},
      {V::get, "/openapi.json", "/openapi.json", false},
      {V::delete_, "/healthz", "/healthz", false},
      {V::get, "/", "/", false},
      {V::get, "/ui/", "/ui/", false},
      {V::get, "/ui/app.js", "/ui/{path}", false},
      {V::get, "/ui/nope.js", "/ui/{path}", false},
      {V::delete_, "/ui/app.js", "/ui/{path}", false},
  };
  for (const Probe& probe : probes) {
    Request request = MakeRequest(probe.method, probe.target);
    if (probe.authed) request = testing::Authed(std::move(request), token);
    const Response response = router_.Handle(request);
    const int status = static_cast<int>(response.status);
    const std::string method =
        probe.method == V::delete_ ? "get" : Lower(http::to_string(probe.method));
    EXPECT_TRUE(documented(probe.path, method, status))
        << http::to_string(probe.method) << " " << probe.target << " answered " << status
        << ", not documented for " << method << " " << probe.path;
  }
}

// docs/ says in prose what the document says for machines; where they
// overlap they must agree.
std::set<std::string> TableKeys(const std::string& markdown, const std::regex& row) {
  std::set<std::string> keys;
  std::istringstream lines(markdown);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, row)) keys.insert(match[1]);
  }
  return keys;
}

TEST_F(OpenApiTest, DocsErrorsListEveryErrorStatusTheDocumentNames) {
  const std::set<std::string> described =
      TableKeys(ReadSourceFile("docs/errors.md"), std::regex(R"(^\| ([45][0-9][0-9]) \|)"));
  ASSERT_FALSE(described.empty());
  const boost::json::object document = Document();
  std::set<std::string> documented;
  for (const auto& [path, item] : document.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      for (const auto& [status, response] : operation.at("responses").as_object()) {
        if (status.starts_with("4") || status.starts_with("5")) documented.insert(status);
      }
    }
  }
  for (const std::string& status : documented) {
    EXPECT_TRUE(described.contains(status))
        << status << " is in openapi.json, not in docs/errors.md";
  }
}

TEST_F(OpenApiTest, DocsJobsDescribesExactlyTheJobSchemasFields) {
  const std::set<std::string> described =
      TableKeys(ReadSourceFile("docs/jobs.md"), std::regex(R"(^\| `([a-z_.]+)` \|)"));
  const boost::json::object document = Document();
  const boost::json::object& job =
      document.at("components").at("schemas").at("Job").at("properties").as_object();
  std::set<std::string> documented;
  for (const auto& [name, schema] : job) {
    if (name == "meta") {
      for (const auto& [member, ignored] : schema.at("properties").as_object()) {
        (void)ignored;
        documented.insert("meta." + std::string(member));
      }
    } else {
      documented.insert(std::string(name));
    }
  }
  EXPECT_EQ(described, documented);
}

}  // namespace
}  // namespace jobsd::api
