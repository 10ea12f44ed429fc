// Every verb of engine/credential_store.h, against every backend built.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "tests/storage/conformance/backend.h"
#include "tests/support/temp_dir.h"

namespace jobsd::conformance {
namespace {

constexpr Nanos kT0 = 1'700'000'000 * kNanosPerSecond;

class CredentialStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  CredentialStoreConformanceTest()
      : store_(GetParam().open(dir_.path())), credentials_(store_->credentials()) {}

  testing::TempDir dir_;
  std::unique_ptr<OpenBackend> store_;
  CredentialStore& credentials_;
};

TEST_P(CredentialStoreConformanceTest, ClientsRoundTripAndCount) {
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
  EXPECT_EQ(credentials_.FindClient("client-1")->secret_hash, "abcd") << "the first one stays";
}

TEST_P(CredentialStoreConformanceTest, TokensAreFoundOnlyBeforeTheyExpire) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertToken({"hash-1", "client-1", kT0 + 3600 * kNanosPerSecond});
  auto found = credentials_.FindToken("hash-1", kT0);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->token_hash, "hash-1");
  EXPECT_EQ(found->client_id, "client-1");
  EXPECT_EQ(found->expires_at, kT0 + 3600 * kNanosPerSecond);
  EXPECT_TRUE(credentials_.FindToken("hash-1", kT0 + 3600 * kNanosPerSecond - 1).has_value());
  EXPECT_FALSE(credentials_.FindToken("hash-1", kT0 + 3600 * kNanosPerSecond).has_value());
  EXPECT_FALSE(credentials_.FindToken("unknown", kT0).has_value());
}

TEST_P(CredentialStoreConformanceTest, TokensNeedAnExistingClient) {
  EXPECT_THROW(credentials_.InsertToken({"h", "nobody", kT0 + 10}), StoreError);
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  EXPECT_FALSE(credentials_.FindToken("h", kT0).has_value());
  credentials_.InsertToken({"h", "client-1", kT0 + 10});
  EXPECT_TRUE(credentials_.FindToken("h", kT0).has_value());
}

TEST_P(CredentialStoreConformanceTest, DeleteClientTakesItsTokensWithIt) {
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
  // A client of the same name later does not inherit the old tokens.
  credentials_.InsertClient({"client-1", "44", "55", kT0 + 1});
  EXPECT_FALSE(credentials_.FindToken("h1", kT0).has_value());
  EXPECT_EQ(credentials_.ListClients(kT0)[0].live_tokens, 1);  // client-2's
}

TEST_P(CredentialStoreConformanceTest, RetireOldestTokensKeepsTheNewestLiveOnes) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertClient({"client-2", "00", "11", kT0 + 1});
  credentials_.InsertToken({"expired", "client-1", kT0 - 1});
  for (int i = 0; i < 5; ++i) {
    credentials_.InsertToken({"t" + std::to_string(i), "client-1", kT0 + 100 + i});
  }
  credentials_.InsertToken({"same-ns", "client-1", kT0 + 104});  // issued after t4, same expiry
  credentials_.InsertToken({"theirs", "client-2", kT0 + 50});

  std::vector<std::string> retired = credentials_.RetireOldestTokens("client-1", 3, kT0);
  std::sort(retired.begin(), retired.end());
  EXPECT_EQ(retired, (std::vector<std::string>{"t0", "t1", "t2"})) << "expired ones not listed";
  for (const char* kept : {"t3", "t4", "same-ns"}) {
    EXPECT_TRUE(credentials_.FindToken(kept, kT0).has_value()) << kept;
  }
  EXPECT_FALSE(credentials_.FindToken("t2", kT0).has_value());
  EXPECT_FALSE(credentials_.FindToken("expired", kT0 - 2).has_value()) << "deleted for good";
  EXPECT_TRUE(credentials_.FindToken("theirs", kT0).has_value());
  EXPECT_TRUE(credentials_.RetireOldestTokens("client-1", 3, kT0).empty());

  // Of two that expire together, the later issued is the newer.
  std::vector<std::string> one = credentials_.RetireOldestTokens("client-1", 1, kT0);
  std::sort(one.begin(), one.end());
  EXPECT_EQ(one, (std::vector<std::string>{"t3", "t4"}));
  EXPECT_TRUE(credentials_.FindToken("same-ns", kT0).has_value());
}

TEST_P(CredentialStoreConformanceTest, ListClientsOldestFirstWithTheirLiveTokens) {
  EXPECT_TRUE(credentials_.ListClients(kT0).empty());
  credentials_.InsertClient({"zed", "00", "11", kT0});
  credentials_.InsertClient({"amy", "00", "11", kT0});
  credentials_.InsertClient({"bob", "00", "11", kT0 - 5});
  credentials_.InsertToken({"z1", "zed", kT0 + 100});
  credentials_.InsertToken({"z2", "zed", kT0 + 50});
  credentials_.InsertToken({"a1", "amy", kT0 + 50});

  std::vector<ClientSummary> clients = credentials_.ListClients(kT0);
  ASSERT_EQ(clients.size(), 3u);
  EXPECT_EQ(clients[0].client_id, "bob");
  EXPECT_EQ(clients[0].created_at, kT0 - 5);
  EXPECT_EQ(clients[0].live_tokens, 0);
  EXPECT_EQ(clients[1].client_id, "amy") << "same created_at: by client_id";
  EXPECT_EQ(clients[1].live_tokens, 1);
  EXPECT_EQ(clients[2].client_id, "zed");
  EXPECT_EQ(clients[2].live_tokens, 2);
  EXPECT_EQ(credentials_.ListClients(kT0 + 50)[2].live_tokens, 1) << "one expired by then";
}

TEST_P(CredentialStoreConformanceTest, FailedTokenAttemptsAreCountedForExistingClientsOnly) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertClient({"client-2", "00", "11", kT0});
  for (int i = 0; i < 3; ++i) credentials_.RecordFailedTokenAttempt("client-1", kT0 + i, kT0);
  credentials_.RecordFailedTokenAttempt("client-2", kT0 + 5, kT0);
  credentials_.RecordFailedTokenAttempt("nobody", kT0 + 6, kT0);

  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-1", kT0),
            (std::vector<Nanos>{kT0, kT0 + 1, kT0 + 2}));
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-1", kT0 + 1),
            (std::vector<Nanos>{kT0 + 1, kT0 + 2}));
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-2", kT0), std::vector<Nanos>{kT0 + 5});
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("nobody", kT0), std::vector<Nanos>{})
      << "an unknown id records nothing";
}

TEST_P(CredentialStoreConformanceTest, OldFailuresOfAnyClientGoWithTheNextOne) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertClient({"client-2", "00", "11", kT0});
  credentials_.RecordFailedTokenAttempt("client-1", kT0, kT0);
  credentials_.RecordFailedTokenAttempt("client-1", kT0 + 10, kT0);
  // client-2's failure forgets everything before kT0 + 5, client-1's too.
  credentials_.RecordFailedTokenAttempt("client-2", kT0 + 20, kT0 + 5);
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-1", 0), std::vector<Nanos>{kT0 + 10});
  // The same for an unknown id: it records nothing but still forgets.
  credentials_.RecordFailedTokenAttempt("nobody", kT0 + 30, kT0 + 15);
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-1", 0), std::vector<Nanos>{});
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-2", 0), std::vector<Nanos>{kT0 + 20});
}

TEST_P(CredentialStoreConformanceTest, ASuccessOrARevocationForgetsTheClientsFailures) {
  credentials_.InsertClient({"client-1", "00", "11", kT0});
  credentials_.InsertClient({"client-2", "00", "11", kT0});
  credentials_.RecordFailedTokenAttempt("client-1", kT0, kT0);
  credentials_.RecordFailedTokenAttempt("client-2", kT0, kT0);
  credentials_.ForgetFailedTokenAttempts("client-1");
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-1", 0), std::vector<Nanos>{});
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-2", 0), std::vector<Nanos>{kT0});
  ASSERT_TRUE(credentials_.DeleteClient("client-2"));
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-2", 0), std::vector<Nanos>{});
  credentials_.InsertClient({"client-2", "00", "11", kT0 + 1});
  EXPECT_EQ(credentials_.FailedTokenAttemptsSince("client-2", 0), std::vector<Nanos>{})
      << "a client made again with the same id starts clean";
}

INSTANTIATE_TEST_SUITE_P(AllBackends, CredentialStoreConformanceTest,
                         ::testing::ValuesIn(AllBackends()), BackendName);

}  // namespace
}  // namespace jobsd::conformance
