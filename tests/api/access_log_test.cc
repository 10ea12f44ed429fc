#include "api/access_log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace jobsd::api {
namespace {

using std::chrono::nanoseconds;

struct CloseFile {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::string Contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char chunk[4096];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, file)) text.append(chunk, n);
  return text;
}

TEST(AccessLogTest, WritesOneLinePerRequestInTheLoggedFormat) {
  std::unique_ptr<std::FILE, CloseFile> file(std::tmpfile());
  AccessLog log(file.get());
  log.Write("GET", "/v2/jobs", 200, nanoseconds(183417), "id-1");
  log.Write("POST", "/v2/jobs", 202, nanoseconds(12'000'000'001), "id-2");
  log.Write("-", "-", 400, nanoseconds(0), "id-3");
  log.Flush();
  EXPECT_EQ(Contents(file.get()),
            "access method=GET path=/v2/jobs status=200 duration_ms=0.183417 request_id=id-1\n"
            "access method=POST path=/v2/jobs status=202 duration_ms=12000.000001 request_id=id-2\n"
            "access method=- path=- status=400 duration_ms=0.000000 request_id=id-3\n");
}

TEST(AccessLogTest, WritesOneJsonObjectPerRequestWithTheJsonFormat) {
  std::unique_ptr<std::FILE, CloseFile> file(std::tmpfile());
  AccessLog log(file.get(), LogFormat::kJson);
  log.Write("GET", "/v2/jobs?filter=eq(status,\"x\")", 200, nanoseconds(183417), "id-1");
  log.Write("-", "/\xff", 400, nanoseconds(0), "id-2");
  log.Flush();
  const std::string text = Contents(file.get());
  std::vector<boost::json::object> lines;
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(boost::json::parse(text.substr(start, end - start)).as_object());
  }
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_EQ(lines[0].at("msg"), "access");
  EXPECT_EQ(lines[0].at("level"), "info");
  EXPECT_EQ(lines[0].at("method"), "GET");
  EXPECT_EQ(lines[0].at("path"), "/v2/jobs?filter=eq(status,\"x\")");
  EXPECT_EQ(lines[0].at("status").as_int64(), 200);
  EXPECT_DOUBLE_EQ(lines[0].at("duration_ms").as_double(), 0.183417);
  EXPECT_EQ(lines[0].at("request_id"), "id-1");
  EXPECT_EQ(lines[0].at("time").as_string().back(), 'Z');
  EXPECT_EQ(lines[1].at("path"), "/\uFFFD") << "an invalid byte cannot break the line";
  EXPECT_EQ(lines[1].at("duration_ms").as_double(), 0.0);
}

TEST(AccessLogTest, KeepsTheOrderAcrossBatchesAndFlushesWhenDestroyed) {
  std::unique_ptr<std::FILE, CloseFile> file(std::tmpfile());
  std::string expected;
  {
    AccessLog log(file.get());
    // Enough lines to cross kFlushBytes several times.
    for (int i = 0; i < 5000; ++i) {
      const std::string id = std::to_string(i);
      log.Write("GET", "/v2/jobs/" + id, 200, nanoseconds(1000), id);
      expected += "access method=GET path=/v2/jobs/" + id +
                  " status=200 duration_ms=0.001000 request_id=" + id + "\n";
    }
  }
  EXPECT_EQ(Contents(file.get()), expected);
}

}  // namespace
}  // namespace jobsd::api
