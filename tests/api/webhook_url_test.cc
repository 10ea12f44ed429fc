#include "api/webhook_url.h"

#include <gtest/gtest.h>

#include <string>

namespace jobsd::api {
namespace {

TEST(WebhookUrlTest, AcceptsHttpAndHttpsWithHostPortPathAndQuery) {
  const struct {
    const char* text;
    bool tls;
    const char* host;
    bool host_is_ip;
    int port;
    const char* target;
    const char* host_header;
  } cases[] = {
      {"http://example.com", false, "example.com", false, 80, "/", "example.com"},
      {"https://example.com/", true, "example.com", false, 443, "/", "example.com"},
      {"HTTPS://Example.com:8443/a/b?x=1&y=%20", true, "Example.com", false, 8443, "/a/b?x=1&y=%20",
       "Example.com:8443"},
      {"http://127.0.0.1:9000/hook", false, "127.0.0.1", true, 9000, "/hook", "127.0.0.1:9000"},
      {"http://[::1]:8080/h", false, "::1", true, 8080, "/h", "[::1]:8080"},
      {"https://[2001:db8::1]/", true, "2001:db8::1", true, 443, "/", "[2001:db8::1]"},
      {"http://example.com:80/", false, "example.com", false, 80, "/", "example.com"},
      {"http://example.com/?", false, "example.com", false, 80, "/?", "example.com"},
      {"http://a.b-c.example:65535/x", false, "a.b-c.example", false, 65535, "/x",
       "a.b-c.example:65535"},
  };
  for (const auto& c : cases) {
    std::string problem;
    std::optional<WebhookUrl> url = ParseWebhookUrl(c.text, &problem);
    ASSERT_TRUE(url.has_value()) << c.text << ": " << problem;
    EXPECT_EQ(url->tls, c.tls) << c.text;
    EXPECT_EQ(url->host, c.host) << c.text;
    EXPECT_EQ(url->host_is_ip, c.host_is_ip) << c.text;
    EXPECT_EQ(url->port, c.port) << c.text;
    EXPECT_EQ(url->target, c.target) << c.text;
    EXPECT_EQ(url->HostHeader(), c.host_header) << c.text;
  }
}

TEST(WebhookUrlTest, RefusesEverythingElseSayingWhy) {
  const struct {
    std::string text;
    const char* why;
  } cases[] = {
      {"", "not an absolute URL"},
      {"example.com/hook", "not an absolute URL"},
      {"/hook", "not an absolute URL"},
      // Found by fuzz/webhook_url_fuzz: Boost.URL reads an IPv4 host and a
      // path that does not start with '/'.
      {"http://127.0.0.1*9000/hook", "the path must start with /"},
      {"http://exa*mple.com/hook", "the host name may hold only"},
      {"ftp://example.com/", "the scheme must be http or https"},
      {"file:///etc/passwd", "the scheme must be http or https"},
      {"javascript:alert(1)", "the scheme must be http or https"},
      {"http:/example.com", "no host"},
      {"http:example.com", "no host"},
      {"http://", "no host"},
      {"http:///hook", "no host"},
      {"http://user:pass@example.com/", "user information"},
      {"http://user@example.com/", "user information"},
      {"http://@example.com/", "user information"},
      {"http://exa%6Dple.com/", "percent-encoded"},
      {"http://[v1.x]/", "the host must be"},
      {"http://example.com:/", "the port"},
      {"http://example.com:0/", "the port"},
      {"http://example.com:65536/", "the port"},
      {"http://example.com:080000/", "the port"},
      {"http://example.com/#frag", "fragment"},
      {"http://example.com/a b", "not an absolute URL"},
      {"http://example.com/\r\nX: y", "not an absolute URL"},
      {std::string("http://example.com/\0", 20), "not an absolute URL"},
      {"http://[::1/", "not an absolute URL"},
      {"http://" + std::string(2100, 'a') + ".com/", "longer than 2048 bytes"},
  };
  for (const auto& c : cases) {
    std::string problem;
    EXPECT_FALSE(ParseWebhookUrl(c.text, &problem).has_value()) << c.text;
    EXPECT_NE(problem.find(c.why), std::string::npos) << c.text << ": " << problem;
  }
  EXPECT_FALSE(ParseWebhookUrl("gopher://x/", nullptr).has_value()) << "problem is optional";
}

}  // namespace
}  // namespace jobsd::api
