// OpenStore picks the backend from the --db location.
#include "storage/open_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

TEST(OpenStoreTest, PathsAreSqliteFilesAndPostgresUrisArePostgres) {
  EXPECT_EQ(BackendOf("./var/jobsd.db"), Backend::kSqlite);
  EXPECT_EQ(BackendOf("/tmp/postgresql://x"), Backend::kSqlite);
  EXPECT_EQ(BackendOf("postgresql://jobsd@db.internal/jobsd"), Backend::kPostgres);
  EXPECT_EQ(BackendOf("postgres://jobsd@db.internal/jobsd"), Backend::kPostgres);
}

TEST(OpenStoreTest, APathOpensAMigratedSqliteStore) {
  testing::TempDir dir;
  StoreOptions options;
  options.location = (dir / "sub" / "jobsd.db").string();
  std::unique_ptr<Store> store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSchemaVersion(Backend::kSqlite));
  EXPECT_TRUE(store->Ping());
  EXPECT_TRUE(std::filesystem::exists(dir / "sub" / "jobsd.db"));
}

TEST(OpenStoreTest, ABackendThisBinaryLacksIsRefusedInWords) {
  StoreOptions options;
  options.location = "postgresql://jobsd@127.0.0.1/jobsd";
  try {
    OpenStore(options);
    FAIL() << "expected a StoreError";
  } catch (const StoreError& e) {
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("PostgreSQL"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jobsd::storage
