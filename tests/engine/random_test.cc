#include "engine/random.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace jobsd {
namespace {

const std::regex kUuidV4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

TEST(RandomTest, NewUuidV4IsALowercaseVersion4Uuid) {
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(NewUuidV4(), kUuidV4));
}

// The batch draws all its bytes at once: each id must still be a well-formed
// v4 UUID of its own 16 bytes, none repeated, none shared with the next.
TEST(RandomTest, NewUuidsV4GivesDistinctVersion4Uuids) {
  EXPECT_TRUE(NewUuidsV4(0).empty());
  const std::vector<std::string> ids = NewUuidsV4(1000);
  ASSERT_EQ(ids.size(), 1000u);
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());
  std::set<std::string> halves;
  for (const std::string& id : ids) {
    EXPECT_TRUE(std::regex_match(id, kUuidV4)) << id;
    halves.insert(id.substr(0, 8));
    halves.insert(id.substr(24));
  }
  EXPECT_EQ(halves.size(), 2 * ids.size()) << "no bytes reused between ids";
}

}  // namespace
}  // namespace jobsd
