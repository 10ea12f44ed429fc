#include "api/access_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

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
