// OpenStore picks the backend from the --db location.
#include "storage/open_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/test_postgres.h"

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

TEST(OpenStoreTest, APostgresUriOpensAMigratedPostgresStore) {
  StoreOptions options;
  options.location = jobsd::testing::FreshPostgresSchema();
  std::unique_ptr<Store> store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), LatestSchemaVersion(Backend::kPostgres));
  EXPECT_GT(LatestSchemaVersion(Backend::kPostgres), 0);
  EXPECT_TRUE(store->Ping());
  EXPECT_TRUE(store->Health().ok) << store->Health().detail;
  EXPECT_NE(store->own_artifacts(), nullptr);  // files live in the store
  EXPECT_NE(store->cluster(), nullptr);        // several nodes may share it
}

// the README's "Running several nodes": an unreachable server is one clear line, and a password
// in the URI never shows.
TEST(OpenStoreTest, AnUnreachablePostgresIsOneLineWithoutThePassword) {
  StoreOptions options;
  options.location = "postgresql://jobsd:s3cret-pw@127.0.0.1:1/jobsd";
  try {
    OpenStore(options);
    FAIL() << "expected a StoreError";
  } catch (const StoreError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(e.transient());
    EXPECT_NE(what.find("cannot connect to PostgreSQL at postgresql://jobsd:***@127.0.0.1:1/jobsd"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("s3cret-pw"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(OpenStoreTest, DisplayLocationHidesPostgresPasswordsOnly) {
  EXPECT_EQ(DisplayLocation("./var/jobsd.db"), "./var/jobsd.db");
  EXPECT_EQ(DisplayLocation("postgresql://u:pw@h:5432/db?sslmode=require"),
            "postgresql://u:***@h:5432/db?sslmode=require");
  EXPECT_EQ(DisplayLocation("postgres://u@h/db?password=pw&sslmode=require"),
            "postgres://u@h/db?password=***&sslmode=require");
  EXPECT_EQ(DisplayLocation("postgresql://h/db"), "postgresql://h/db");
}

}  // namespace
}  // namespace jobsd::storage
