// SqliteWebhookStore: what the SQLite file does for the secrets it holds.
// Every backend's webhook verbs are checked by tests/storage/conformance.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

TEST(SqliteWebhookStoreTest, TheFirstSecretMakesTheStoreFilesReadableByTheirOwnerOnly) {
  testing::TempDir dir;
  const std::filesystem::path file = dir / "jobsd.db";
  auto database = Database::Open({file});
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::path path = file;
    path += suffix;
    if (std::filesystem::exists(path)) ::chmod(path.c_str(), 0664);
  }
  ASSERT_EQ(ModeOf(file), 0664u);

  database->webhooks().AddEndpoint(
      {"wh_a", "http://127.0.0.1:1/", true, true, "whsec_c2VjcmV0", 1});
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::path path = file;
    path += suffix;
    if (std::filesystem::exists(path)) {
      EXPECT_EQ(ModeOf(path), 0600u) << path;
    }
  }
  EXPECT_EQ(database->webhooks().FindEndpoint("wh_a")->secret, "whsec_c2VjcmV0");
}

TEST(SqliteWebhookStoreTest, TheSchemaRefusesAnEndpointWithoutEvents) {
  testing::TempDir dir;
  auto database = Database::Open({dir / "jobsd.db"});
  EXPECT_THROW(database->webhooks().AddEndpoint(
                   {"wh_a", "http://127.0.0.1:1/", false, false, "whsec_c2VjcmV0", 1}),
               StoreError);
  EXPECT_TRUE(database->webhooks().ListEndpoints().empty());
}

}  // namespace
}  // namespace jobsd::storage
