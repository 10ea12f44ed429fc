// JobIdCodec: the ids the SQLite store makes from its sequence numbers are
// UUID v4 strings that decode back to their number under the store's key,
// and to nothing otherwise.
#include "storage/sqlite/job_id_codec.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>

#include "engine/random.h"
#include "engine/store_error.h"

namespace jobsd::storage {
namespace {

const std::string kKey = "0123456789abcdef";
const std::string kOtherKey = "fedcba9876543210";

TEST(JobIdCodecTest, EveryIdIsALowercaseUuidV4ThatDecodesToItsNumber) {
  const JobIdCodec codec(kKey);
  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  int skipped = 0;
  for (std::int64_t seq = 1; seq <= 5000; ++seq) {
    std::optional<std::string> id = codec.Encode(seq);
    if (!id) {
      ++skipped;
      continue;
    }
    EXPECT_TRUE(std::regex_match(*id, uuid_v4)) << *id;
    EXPECT_EQ(codec.Decode(*id), seq) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(skipped, 0) << "a skip has odds of about 2^-58 per number";
  EXPECT_EQ(ids.size(), 5000u);
  for (std::int64_t seq : {std::int64_t{1} << 32, std::int64_t{1} << 62, INT64_MAX}) {
    std::optional<std::string> id = codec.Encode(seq);
    ASSERT_TRUE(id.has_value()) << seq;
    EXPECT_EQ(codec.Decode(*id), seq);
  }
}

TEST(JobIdCodecTest, AnotherKeyMakesOtherIdsAndCannotReadThese) {
  const JobIdCodec codec(kKey);
  const JobIdCodec other(kOtherKey);
  for (std::int64_t seq = 1; seq <= 200; ++seq) {
    const std::string id = codec.Encode(seq).value();
    EXPECT_NE(other.Encode(seq).value(), id);
    EXPECT_EQ(other.Decode(id), std::nullopt) << id;
  }
}

// Ids drawn at random (another store's, a client's, a store older than
// 0014) are not this store's: the store looks them up by the id itself.
TEST(JobIdCodecTest, RandomAndMalformedIdsDecodeToNothing) {
  const JobIdCodec codec(kKey);
  for (const std::string& id : NewUuidsV4(2000)) EXPECT_EQ(codec.Decode(id), std::nullopt) << id;
  const std::string made = codec.Encode(42).value();
  std::string upper = made;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, made);
  EXPECT_EQ(codec.Decode(upper), std::nullopt) << "ids are lowercase";
  std::string version3 = made;
  version3[14] = '3';
  EXPECT_EQ(codec.Decode(version3), std::nullopt);
  std::string flipped = made;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  EXPECT_EQ(codec.Decode(flipped), std::nullopt);
  for (const char* text :
       {"", "p", "not-a-uuid", "00000000-0000-4000-8000-00000000000",
        "00000000-0000-4000-8000-0000000000000", "00000000_0000-4000-8000-000000000000",
        "0000000g-0000-4000-8000-000000000000"}) {
    EXPECT_EQ(codec.Decode(text), std::nullopt) << text;
  }
}

TEST(JobIdCodecTest, AKeyOfAnotherLengthAndANumberBelowOneAreRefused) {
  EXPECT_THROW(JobIdCodec("short"), StoreError);
  EXPECT_THROW(JobIdCodec(kKey + "x"), StoreError);
  const JobIdCodec codec(kKey);
  EXPECT_THROW((void)codec.Encode(0), std::invalid_argument);
  EXPECT_THROW((void)codec.Encode(-1), std::invalid_argument);
}

}  // namespace
}  // namespace jobsd::storage
