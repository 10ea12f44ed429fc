// SqliteCredentialStore: clients and hashed tokens, expiry and cascade.
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

TEST_F(CredentialStoreTest, ClientsRoundTripAndCount) {
  EXPECT_EQ(credentials_.CountClients(), 0);
  credentials_.InsertClient({"client-1", "00ff", "abcd", kT0});
  credentials_.InsertClient({"client-2", "11ee", "ef01", kT0 + 1});
  EXPECT_EQ(credentials_.CountClients(), 2);

  auto found = credentials_.FindClient("client-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->client_id, "client-1");
  EXPECT_EQ(found->secret_salt, "00ff");
  EXPECT_EQ(found->secret_hash, "abcd");
  EXPECT_EQ(found->created_at, kT0);
  EXPECT_EQ(credentials_.FindClient("nobody"), std::nullopt);
  EXPECT_THROW(credentials_.InsertClient({"client-1", "x", "y", kT0}), StoreError);
}

TEST_F(CredentialStoreTest, TokensAreFoundOnlyBeforeTheyExpire) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertToken({"hash-1", "client-1", kT0 + 3600 * kNanosPerSecond});
  auto found = credentials_.FindToken("hash-1", kT0);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->client_id, "client-1");
  EXPECT_EQ(found->expires_at, kT0 + 3600 * kNanosPerSecond);
  EXPECT_FALSE(credentials_.FindToken("hash-1", kT0 + 3600 * kNanosPerSecond).has_value());
  EXPECT_FALSE(credentials_.FindToken("unknown", kT0).has_value());
}

TEST_F(CredentialStoreTest, DeleteExpiredTokensKeepsLiveOnes) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertToken({"old", "client-1", kT0 + 10});
  credentials_.InsertToken({"live", "client-1", kT0 + 1000});
  credentials_.DeleteExpiredTokens(kT0 + 10);
  // Gone for good: even asking "as of" an earlier time finds nothing.
  EXPECT_FALSE(credentials_.FindToken("old", kT0).has_value());
  EXPECT_TRUE(credentials_.FindToken("live", kT0).has_value());
}

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

TEST_F(CredentialStoreTest, DeleteClientTakesItsTokensWithIt) {
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

TEST_F(CredentialStoreTest, RetireOldestTokensKeepsTheNewestLiveOnes) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertClient({"client-2", "00", "11", kT0 + 1});
  credentials_.InsertToken({"expired", "client-1", kT0 - 1});
  for (int i = 0; i < 5; ++i) {
    credentials_.InsertToken({"t" + std::to_string(i), "client-1", kT0 + 100 + i});
  }
  credentials_.InsertToken({"same-ns", "client-1", kT0 + 104});  // issued with t4: later rowid
  credentials_.InsertToken({"theirs", "client-2", kT0 + 50});

  std::vector<std::string> retired = credentials_.RetireOldestTokens("client-1", 3, kT0);
  std::sort(retired.begin(), retired.end());
  EXPECT_EQ(retired, (std::vector<std::string>{"t0", "t1", "t2"})) << "expired ones not listed";
  for (const char* kept : {"t3", "t4", "same-ns"}) {
    EXPECT_TRUE(credentials_.FindToken(kept, kT0).has_value()) << kept;
  }
  EXPECT_TRUE(credentials_.FindToken("theirs", kT0).has_value());
  EXPECT_TRUE(credentials_.RetireOldestTokens("client-1", 3, kT0).empty());

  std::vector<ClientSummary> clients = credentials_.ListClients(kT0);
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].client_id, "client-1");
  EXPECT_EQ(clients[0].created_at, kT0);
  EXPECT_EQ(clients[0].live_tokens, 3);
  EXPECT_EQ(clients[1].live_tokens, 1);
  EXPECT_EQ(credentials_.ListClients(kT0 + 60)[1].live_tokens, 0) << "expired by then";
}

}  // namespace
}  // namespace jobsd::storage
