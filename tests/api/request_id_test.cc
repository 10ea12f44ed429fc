#include "api/request_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace jobsd::api {
namespace {

TEST(RequestIdTest, IsARandomUuidV4AndNeverRepeats) {
  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {  // many batches of random bytes
    const std::string id = NewRequestId();
    ASSERT_TRUE(std::regex_match(id, uuid_v4)) << id;
    EXPECT_TRUE(seen.insert(id).second) << "repeated: " << id;
  }
}

}  // namespace
}  // namespace jobsd::api
