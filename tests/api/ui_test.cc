// The dashboard's files (api/ui_handler.cc): the redirect from /, content
// types, security headers, ETag and 304, gzip, HEAD, 404 and paths that try
// to leave /ui/; through the router and over a real socket.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "api/router.h"
#include "api/ui_assets.h"
#include "api/ui_headers.h"
#include "tests/api/api_world.h"
#include "tests/api/server_fixture.h"

namespace jobsd::api {
namespace {

using testing::ApiWorld;
using testing::MakeRequest;
using testing::Reply;
using V = http::verb;

constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

std::string Gunzip(std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char buffer[16384];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  const bool complete = result == Z_STREAM_END && stream.avail_in == 0;
  inflateEnd(&stream);
  if (!complete) throw std::runtime_error("not one complete gzip member");
  return out;
}

std::string EmbeddedBytes(std::string_view name) {
  for (const EmbeddedFile& file : EmbeddedUiFiles()) {
    if (file.name == name) return std::string(file.bytes);
  }
  return {};
}

void ExpectSecurityHeaders(const http::fields& headers) {
  EXPECT_EQ(headers["Content-Security-Policy"], kCsp);
  EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(headers["Referrer-Policy"], "no-referrer");
}

class UiRouterTest : public ::testing::Test {
 protected:
  UiRouterTest() : router_(world_.services(), std::string(testing::kPublicUrl)) {}

  Response Get(std::string target, std::string_view accept_encoding = "",
               std::string_view if_none_match = "", V method = V::get) {
    Request request = MakeRequest(method, std::move(target));
    if (!accept_encoding.empty()) request.set(http::field::accept_encoding, accept_encoding);
    if (!if_none_match.empty()) request.set(http::field::if_none_match, if_none_match);
    return router_.Handle(request);
  }

  ApiWorld world_;
  Router router_;
};

TEST_F(UiRouterTest, RootRedirectsToTheDashboard) {
  for (V method : {V::get, V::head}) {
    const Response response = Get("/", "", "", method);
    EXPECT_EQ(response.status, http::status::found);
    EXPECT_EQ(response.headers[http::field::location], "/ui/");
    EXPECT_EQ(response.route, "/");
    ExpectSecurityHeaders(response.headers);
  }
  EXPECT_EQ(Get("/", "", "", V::post).status, http::status::method_not_allowed);
}

TEST_F(UiRouterTest, EveryFileHasItsContentTypeAndTheHeaders) {
  const struct {
    std::string target;
    std::string_view file;
    std::string_view content_type;
  } cases[] = {
      {"/ui/", "index.html", "text/html; charset=utf-8"},
      {"/ui/index.html", "index.html", "text/html; charset=utf-8"},
      {"/ui/app.js", "app.js", "text/javascript"},
      {"/ui/api.js", "api.js", "text/javascript"},
      {"/ui/style.css", "style.css", "text/css"},
      {"/ui/favicon.svg", "favicon.svg", "image/svg+xml"},
  };
  for (const auto& c : cases) {
    const Response response = Get(c.target);
    EXPECT_EQ(response.status, http::status::ok) << c.target;
    EXPECT_EQ(response.headers[http::field::content_type], c.content_type) << c.target;
    EXPECT_EQ(response.body, EmbeddedBytes(c.file)) << c.target;
    EXPECT_FALSE(response.body.empty()) << c.target;
    EXPECT_EQ(response.headers[http::field::cache_control], "no-cache") << c.target;
    EXPECT_EQ(response.headers[http::field::vary], "Accept-Encoding") << c.target;
    EXPECT_TRUE(response.headers[http::field::content_encoding].empty()) << c.target;
    ExpectSecurityHeaders(response.headers);
  }
}

TEST_F(UiRouterTest, EveryEmbeddedFileIsServedAndNoneNeedsAToken) {
  ASSERT_GE(EmbeddedUiFiles().size(), 5u);
  for (const EmbeddedFile& file : EmbeddedUiFiles()) {
    const Response response = Get("/ui/" + std::string(file.name));
    EXPECT_EQ(response.status, http::status::ok) << file.name;
    EXPECT_NE(response.headers[http::field::content_type], "application/octet-stream") << file.name;
  }
}

TEST_F(UiRouterTest, NoInlineScriptOrStyleInTheIndex) {
  const std::string index = EmbeddedBytes("index.html");
  EXPECT_EQ(index.find("<style"), std::string::npos);
  EXPECT_EQ(index.find("style="), std::string::npos);
  EXPECT_EQ(index.find(" on"), std::string::npos);  // onclick=... and the like
  EXPECT_NE(index.find("<script type=\"module\" src=\"app.js\"></script>"), std::string::npos);
  EXPECT_EQ(index.find("http://"), std::string::npos);
  EXPECT_EQ(index.find("https://"), std::string::npos);
}

TEST_F(UiRouterTest, EtagRevalidatesWith304) {
  const Response first = Get("/ui/app.js");
  const std::string etag(first.headers[http::field::etag]);
  ASSERT_EQ(etag.size(), 34u) << etag;  // "<32 hex digits>": strong, no W/
  EXPECT_EQ(etag.front(), '"');

  for (const std::string& validator : {etag, "\"nope\", " + etag, std::string("*")}) {
    const Response again = Get("/ui/app.js", "", validator);
    EXPECT_EQ(again.status, http::status::not_modified) << validator;
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.headers[http::field::etag], etag);
    EXPECT_EQ(again.headers[http::field::cache_control], "no-cache");
    ExpectSecurityHeaders(again.headers);
  }
  EXPECT_EQ(Get("/ui/app.js", "", "\"0123\"").status, http::status::ok);
  // Another file, another tag.
  EXPECT_NE(Get("/ui/style.css").headers[http::field::etag], etag);
}

TEST_F(UiRouterTest, GzipWhenAcceptedWithItsOwnEtag) {
  const Response plain = Get("/ui/app.js");
  const Response gzip = Get("/ui/app.js", "gzip, deflate, br");
  ASSERT_EQ(gzip.status, http::status::ok);
  EXPECT_EQ(gzip.headers[http::field::content_encoding], "gzip");
  EXPECT_EQ(gzip.headers[http::field::vary], "Accept-Encoding");
  EXPECT_EQ(gzip.headers[http::field::content_type], "text/javascript");
  EXPECT_LT(gzip.body.size(), plain.body.size());
  EXPECT_EQ(Gunzip(gzip.body), plain.body);
  EXPECT_NE(gzip.headers[http::field::etag], plain.headers[http::field::etag]);
  // Each variant revalidates with its own tag only.
  const std::string gzip_etag(gzip.headers[http::field::etag]);
  EXPECT_EQ(Get("/ui/app.js", "gzip", gzip_etag).status, http::status::not_modified);
  EXPECT_EQ(Get("/ui/app.js", "", gzip_etag).status, http::status::ok);
  // Refused or not offered: identity.
  for (std::string_view accept : {"identity", "gzip;q=0", "br", "*;q=0", "gzip; q=0.000"}) {
    const Response response = Get("/ui/app.js", accept);
    EXPECT_TRUE(response.headers[http::field::content_encoding].empty()) << accept;
    EXPECT_EQ(response.body, plain.body) << accept;
  }
  EXPECT_EQ(Get("/ui/app.js", "*").headers[http::field::content_encoding], "gzip");
  EXPECT_EQ(Get("/ui/app.js", "GZIP;q=0.5").headers[http::field::content_encoding], "gzip");
}

TEST_F(UiRouterTest, UnknownFilesAndEscapesAreTheUsual404) {
  for (std::string target :
       {"/ui/nope.js", "/ui/../x", "/ui/..%2fREADME.md", "/ui/%2e%2e%2fCMakeLists.txt",
        "/ui/%2E%2E/api/router.cc", "/ui/./app.js", "/ui/app.js/", "/ui/app.js%00", "/ui//app.js",
        "/ui/sub/app.js", "/ui/..", "/ui/%2e%2e", "/ui", "/ui/%5c..%5capp.js",
        "/ui/index.html?../../etc/passwd"}) {
    const Response response = Get(target);
    if (target == "/ui/index.html?../../etc/passwd") {
      EXPECT_EQ(response.status, http::status::ok);  // the query is not part of the path
      continue;
    }
    EXPECT_EQ(response.status, http::status::not_found) << target;
    EXPECT_EQ(response.headers[http::field::content_type], "application/json") << target;
    const auto body = boost::json::parse(response.body);
    EXPECT_EQ(testing::S(body.at("errors").at(0).at("title")), "Resource Not Found") << target;
  }
}

TEST_F(UiRouterTest, OtherMethodsAre405) {
  const Response response = Get("/ui/app.js", "", "", V::post);
  EXPECT_EQ(response.status, http::status::method_not_allowed);
  EXPECT_EQ(response.headers[http::field::allow], "GET, HEAD");
}

TEST(UiHeadersTest, AcceptEncoding) {
  const struct {
    std::string_view value;
    bool gzip;
  } cases[] = {
      {"", false},
      {"gzip", true},
      {"x-gzip", true},
      {"deflate, gzip", true},
      {"gzip;q=0", false},
      {"gzip;q=0.1", true},
      {"*", true},
      {"*;q=0", false},
      {"gzip;q=0, *", false},
      {"br", false},
      {"identity", false},
      {"gzip;q=abc", false},
      {" gzip ; q=1.0 ", true},
  };
  for (const auto& c : cases) EXPECT_EQ(AcceptsGzip(c.value), c.gzip) << c.value;
}

TEST(UiHeadersTest, IfNoneMatch) {
  EXPECT_TRUE(IfNoneMatchHits("\"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchHits("\"b\", \"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchHits("W/\"a\"", "\"a\""));
  EXPECT_TRUE(IfNoneMatchHits(" * ", "\"a\""));
  EXPECT_FALSE(IfNoneMatchHits("\"ab\"", "\"a\""));
  EXPECT_FALSE(IfNoneMatchHits("a", "\"a\""));
  EXPECT_FALSE(IfNoneMatchHits("", "\"a\""));
}

using UiServerTest = testing::ServerFixture;

TEST_F(UiServerTest, OverARealSocket) {
  StartServer();
  const Reply redirect = Send(MakeRequest(V::get, "/"));
  EXPECT_EQ(redirect.result(), http::status::found);
  EXPECT_EQ(redirect[http::field::location], "/ui/");

  Request request = MakeRequest(V::get, "/ui/");
  request.set(http::field::accept_encoding, "gzip");
  const Reply index = Send(request);
  ASSERT_EQ(index.result(), http::status::ok);
  EXPECT_EQ(index[http::field::content_encoding], "gzip");
  EXPECT_EQ(index[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(index["Content-Security-Policy"], kCsp);
  EXPECT_EQ(index[http::field::content_length], std::to_string(index.body().size()));
  EXPECT_EQ(Gunzip(index.body()), EmbeddedBytes("index.html"));

  request.set(http::field::if_none_match, index[http::field::etag]);
  const Reply not_modified = Send(request);
  EXPECT_EQ(not_modified.result(), http::status::not_modified);
  EXPECT_TRUE(not_modified.body().empty());

  const Reply head = Send(MakeRequest(V::head, "/ui/style.css"));
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "text/css");
  EXPECT_EQ(head[http::field::content_length], std::to_string(EmbeddedBytes("style.css").size()));
  EXPECT_TRUE(head.body().empty());

  // Raw bytes, so that no client library normalises the dots away.
  for (std::string_view target : {"/ui/../README.md", "/ui/%2e%2e/README.md",
                                  "/ui/..%2f..%2fetc%2fpasswd", "/ui/%2E%2E%5CREADME.md"}) {
    const std::string answer =
        SendRaw("GET " + std::string(target) +
                " HTTP/1.1\r\nHost: jobsd.test\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 404 Not Found\r\n")) << target << "\n" << answer;
    EXPECT_NE(answer.find("Resource Not Found"), std::string::npos) << target;
  }
}

}  // namespace
}  // namespace jobsd::api
