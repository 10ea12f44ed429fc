// SqliteCredentialStore: what the SQLite schema does for it (the foreign key
// and its cascade). Every backend's credential verbs are checked by
// tests/storage/conformance.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite.h"
#include "storage/sqlite/sqlite_credential_store.h"
#include "tests/support/temp_dir.h"

namespace jobsd::storage {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

class CredentialStoreTest : public ::testing::Test {
 protected:
  CredentialStoreTest()
      : database_(Database::Open({dir_ / "jobsd.db"})), credentials_(database_->credentials()) {}

  testing::TempDir dir_;
  std::unique_ptr<Database> database_;
  CredentialStore& credentials_;
};

TEST_F(CredentialStoreTest, TokensNeedAnExistingClientAndDieWithIt) {
  EXPECT_THROW(credentials_.InsertToken({"h", "nobody", kT0 + 10}), StoreError);
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertToken({"h", "client-1", kT0 + 10});
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  connection->Exec("PRAGMA foreign_keys = ON; DELETE FROM api_clients");
  EXPECT_FALSE(credentials_.FindToken("h", kT0).has_value());
  auto left = connection->PrepareUncached("SELECT count(*) FROM access_tokens");
  ASSERT_TRUE(left.Step());
  EXPECT_EQ(left.ColumnInt64(0), 0);  // ON DELETE CASCADE
}

TEST_F(CredentialStoreTest, DeleteClientRemovesItsTokenRows) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertClient({"client-2", "22", "33", kT0});
  credentials_.InsertToken({"h1", "client-1", kT0 + 10});
  credentials_.InsertToken({"h2", "client-2", kT0 + 10});
  EXPECT_TRUE(credentials_.DeleteClient("client-1"));
  EXPECT_FALSE(credentials_.DeleteClient("client-1")) << "already gone";
  EXPECT_FALSE(credentials_.DeleteClient("nobody"));
  EXPECT_EQ(credentials_.FindClient("client-1"), std::nullopt);
  EXPECT_EQ(credentials_.CountClients(), 1);
  EXPECT_FALSE(credentials_.FindToken("h1", kT0).has_value());
  EXPECT_TRUE(credentials_.FindToken("h2", kT0).has_value()) << "other clients keep theirs";
  auto connection = sqlite::Connection::Open(dir_ / "jobsd.db");
  auto left = connection->PrepareUncached(
      "SELECT count(*) FROM access_tokens WHERE client_id = 'client-1'");
  ASSERT_TRUE(left.Step());
  EXPECT_EQ(left.ColumnInt64(0), 0);  // removed by ON DELETE CASCADE, not merely hidden by the join
}

}  // namespace
}  // namespace jobsd::storage
