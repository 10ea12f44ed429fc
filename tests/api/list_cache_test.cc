// ListCache alone: a body is found only under the version it was listed at
// and before its valid_until; the map stays bounded.
#include "api/list_cache.h"

#include <gtest/gtest.h>

namespace jobsd::api {
namespace {

std::shared_ptr<const std::string> Body(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

TEST(ListCacheTest, FindsABodyOnlyAtItsVersionAndBeforeItsExpiry) {
  ListCache cache;
  EXPECT_EQ(cache.Find("25 0 ", 7, 100), nullptr);
  cache.Put("25 0 ", 7, /*valid_until=*/200, Body("page"));
  ASSERT_NE(cache.Find("25 0 ", 7, 100), nullptr);
  EXPECT_EQ(*cache.Find("25 0 ", 7, 199), "page");
  EXPECT_EQ(cache.Find("25 0 ", 8, 100), nullptr);  // the store changed
  EXPECT_EQ(cache.Find("25 0 ", 7, 200), nullptr);  // a job expired
  EXPECT_EQ(cache.Find("10 0 ", 7, 100), nullptr);  // another query
  cache.Put("25 0 ", 8, 300, Body("newer"));
  EXPECT_EQ(*cache.Find("25 0 ", 8, 250), "newer");
}

TEST(ListCacheTest, ManyDistinctQueriesDoNotGrowItWithoutBound) {
  ListCache cache(/*max_entries=*/3);
  for (int i = 0; i < 3; ++i) cache.Put(std::to_string(i), 1, 100, Body("b"));
  EXPECT_NE(cache.Find("0", 1, 0), nullptr);
  cache.Put("3", 1, 100, Body("b"));  // full: starts over
  EXPECT_EQ(cache.Find("0", 1, 0), nullptr);
  EXPECT_NE(cache.Find("3", 1, 0), nullptr);
  cache.Put("3", 2, 100, Body("c"));  // replacing a key never clears
  EXPECT_EQ(*cache.Find("3", 2, 0), "c");
}

}  // namespace
}  // namespace jobsd::api
