#include "engine/credentials.h"

#include <gtest/gtest.h>

#include <regex>
#include <thread>
#include <vector>

#include "tests/engine/engine_stores.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace jobsd {
namespace {

// On the memory credential store and on SQLite's.
class CredentialsTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  CredentialsTest() : auth_(stores_.credentials(), clock_) {}

  testing::TempDir dir_;
  testing::ManualClock clock_;
  testing::EngineStores stores_{GetParam(), dir_.path()};
  Authenticator auth_;
};

TEST(Sha256HexTest, MatchesKnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_P(CredentialsTest, CreatedClientsHaveRandomIdsAndLongSecrets) {
  EXPECT_FALSE(auth_.HasAnyClient());
  const ClientCredentials a = auth_.CreateClient();
  const ClientCredentials b = auth_.CreateClient();
  EXPECT_TRUE(auth_.HasAnyClient());
  EXPECT_NE(a.client_id, b.client_id);
  EXPECT_NE(a.client_secret, b.client_secret);
  EXPECT_TRUE(std::regex_match(a.client_secret, std::regex("^[0-9a-f]{64}$"))) << a.client_secret;
}

TEST_P(CredentialsTest, OnlyASaltedHashOfTheSecretIsStored) {
  const ClientCredentials client = auth_.CreateClient();
  const StoredClient stored = stores_.credentials().FindClient(client.client_id).value();
  EXPECT_EQ(stored.secret_hash, Sha256Hex(stored.secret_salt + client.client_secret));
  EXPECT_NE(stored.secret_hash, Sha256Hex(client.client_secret)) << "salted";
  if (GetParam() == testing::StoreKind::kSqlite) {
    // Nor is the secret anywhere in the file.
    EXPECT_EQ(testing::ReadFile(dir_ / "jobsd.db").find(client.client_secret), std::string::npos);
  }
}

TEST_P(CredentialsTest, IssuesTokensOnlyForTheRightSecret) {
  const ClientCredentials client = auth_.CreateClient();
  EXPECT_FALSE(auth_.IssueToken(client.client_id, client.client_secret + "0"));
  EXPECT_FALSE(auth_.IssueToken(client.client_id, ""));
  EXPECT_FALSE(auth_.IssueToken("unknown", client.client_secret));
  EXPECT_FALSE(auth_.IssueToken("", ""));
  const auto token = auth_.IssueToken(client.client_id, client.client_secret);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->expires_in, 3600);
  EXPECT_EQ(token->expires_at, clock_.Now() + 3600 * kNanosPerSecond);
  EXPECT_GE(token->access_token.size(), 32u) << "at least 128 bits";
  EXPECT_TRUE(auth_.ValidateToken(token->access_token));
  EXPECT_FALSE(auth_.ValidateToken(token->access_token + "0"));
  EXPECT_FALSE(auth_.ValidateToken(""));
  // The store keeps only the hash.
  EXPECT_TRUE(stores_.credentials().FindToken(Sha256Hex(token->access_token), clock_.Now()));
  EXPECT_FALSE(stores_.credentials().FindToken(token->access_token, clock_.Now()));
}

TEST_P(CredentialsTest, TokensExpireAfterTheirLifetime) {
  const ClientCredentials client = auth_.CreateClient();
  const std::string token = auth_.IssueToken(client.client_id, client.client_secret)->access_token;
  clock_.Advance(3599 * kNanosPerSecond);
  EXPECT_TRUE(auth_.ValidateToken(token));
  clock_.Advance(1 * kNanosPerSecond);
  EXPECT_FALSE(auth_.ValidateToken(token));
}

TEST_P(CredentialsTest, ARememberedTokenStillExpiresAndDiesWithItsClient) {
  const ClientCredentials client = auth_.CreateClient();
  const ClientCredentials other = auth_.CreateClient();
  const std::string token = auth_.IssueToken(client.client_id, client.client_secret)->access_token;
  const std::string kept = auth_.IssueToken(other.client_id, other.client_secret)->access_token;
  EXPECT_TRUE(auth_.ValidateToken(token));  // now remembered
  EXPECT_TRUE(auth_.ValidateToken(kept));
  EXPECT_TRUE(auth_.DeleteClient(client.client_id));
  EXPECT_FALSE(auth_.ValidateToken(token)) << "revocation must be immediate";
  EXPECT_TRUE(auth_.ValidateToken(kept));

  // Another process deleting the client is seen within the recheck period,
  // which the README's "Security and limits" wants within a second.
  Authenticator elsewhere(stores_.credentials(), clock_);
  EXPECT_TRUE(elsewhere.DeleteClient(other.client_id));
  static_assert(Authenticator::kTokenRecheck <= kNanosPerSecond);
  clock_.Advance(Authenticator::kTokenRecheck);
  EXPECT_FALSE(auth_.ValidateToken(kept));

  const ClientCredentials third = auth_.CreateClient();
  const std::string late = auth_.IssueToken(third.client_id, third.client_secret)->access_token;
  EXPECT_TRUE(auth_.ValidateToken(late));
  clock_.Advance(3600 * kNanosPerSecond);
  EXPECT_FALSE(auth_.ValidateToken(late)) << "a remembered token expires on time";
}

// Past kTokenRefresh one request, and only one, is sent to read the token
// again, so that the others never find it due all at once (they would all
// go to the pool together).
TEST_P(CredentialsTest, OneRequestReadsARememberedTokenAgainBeforeItIsDue) {
  const ClientCredentials client = auth_.CreateClient();
  const std::string token = auth_.IssueToken(client.client_id, client.client_secret)->access_token;
  EXPECT_EQ(auth_.Authenticate(token), client.client_id);  // now remembered
  EXPECT_EQ(auth_.AuthenticateRemembered(token), client.client_id);
  clock_.Advance(Authenticator::kTokenRefresh);
  EXPECT_EQ(auth_.AuthenticateRemembered(token), std::nullopt) << "the one sent to read it again";
  EXPECT_EQ(auth_.AuthenticateRemembered(token), client.client_id) << "the others still answered";
  EXPECT_EQ(auth_.AuthenticateRemembered(token), client.client_id);
  EXPECT_EQ(auth_.Authenticate(token), client.client_id) << "the one sent reads it again";
  // Where the first reading would now be due, the second one carries on.
  clock_.Advance(Authenticator::kTokenRecheck - Authenticator::kTokenRefresh);
  EXPECT_EQ(auth_.AuthenticateRemembered(token), std::nullopt) << "the next one sent";
  EXPECT_EQ(auth_.AuthenticateRemembered(token), client.client_id);

  // A token revoked by another process: the reading ahead forgets it for all.
  Authenticator elsewhere(stores_.credentials(), clock_);
  EXPECT_TRUE(elsewhere.DeleteClient(client.client_id));
  EXPECT_EQ(auth_.Authenticate(token), std::nullopt);
  EXPECT_EQ(auth_.AuthenticateRemembered(token), std::nullopt);
}

TEST_P(CredentialsTest, ConcurrentIssuingAndValidating) {
  const ClientCredentials client = auth_.CreateClient();
  std::vector<std::thread> threads;
  std::atomic<int> valid{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto token = auth_.IssueToken(client.client_id, client.client_secret);
        if (token && auth_.ValidateToken(token->access_token)) valid.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(valid.load(), 40);
}

TEST_P(CredentialsTest, AuthenticateNamesTheTokensClient) {
  const ClientCredentials client = auth_.CreateClient();
  const std::string token = auth_.IssueToken(client.client_id, client.client_secret)->access_token;
  EXPECT_EQ(auth_.Authenticate(token), client.client_id);
  EXPECT_EQ(auth_.Authenticate(token), client.client_id) << "remembered";
  EXPECT_EQ(auth_.Authenticate(token + "0"), std::nullopt);
}

TEST_P(CredentialsTest, TenFailuresThrottleTheClientIdUntilTheOldestIsAMinuteOld) {
  const ClientCredentials client = auth_.CreateClient();
  for (int i = 0; i < kMaxFailedTokenAttempts; ++i) {
    EXPECT_FALSE(auth_.IssueToken(client.client_id, "wrong"));
    clock_.Advance(kNanosPerSecond);
  }
  try {
    auth_.IssueToken(client.client_id, client.client_secret);
    ADD_FAILURE() << "the right secret went through while throttled";
  } catch (const LimitReached& e) {
    EXPECT_EQ(e.retry_after_seconds(), 50);
  }
  EXPECT_THROW(auth_.IssueToken(client.client_id, "wrong"), LimitReached);
  // Unknown client_ids are throttled alike, and apart.
  for (int i = 0; i < kMaxFailedTokenAttempts; ++i) EXPECT_FALSE(auth_.IssueToken("ghost", "x"));
  EXPECT_THROW(auth_.IssueToken("ghost", "x"), LimitReached);

  clock_.Advance(50 * kNanosPerSecond);
  EXPECT_TRUE(auth_.IssueToken(client.client_id, client.client_secret));
  // The success forgot the failures: ten more are allowed.
  for (int i = 0; i < kMaxFailedTokenAttempts; ++i) {
    EXPECT_FALSE(auth_.IssueToken(client.client_id, "wrong"));
  }
  EXPECT_THROW(auth_.IssueToken(client.client_id, "wrong"), LimitReached);
}

TEST_P(CredentialsTest, IssuingPastTheTokenCapRetiresTheOldestAtOnce) {
  const ClientCredentials client = auth_.CreateClient();
  clock_.Advance(1);  // listed oldest first
  const ClientCredentials other = auth_.CreateClient();
  const std::string others = auth_.IssueToken(other.client_id, other.client_secret)->access_token;
  std::vector<std::string> tokens;
  for (int i = 0; i < kMaxLiveTokensPerClient; ++i) {
    tokens.push_back(auth_.IssueToken(client.client_id, client.client_secret)->access_token);
  }
  ASSERT_TRUE(auth_.ValidateToken(tokens[0]));  // remembered
  const std::string newest = auth_.IssueToken(client.client_id, client.client_secret)->access_token;
  EXPECT_FALSE(auth_.ValidateToken(tokens[0])) << "retired, and forgotten at once";
  EXPECT_TRUE(auth_.ValidateToken(tokens[1]));
  EXPECT_TRUE(auth_.ValidateToken(newest));
  EXPECT_TRUE(auth_.ValidateToken(others)) << "another client's tokens are not counted";

  std::vector<ClientSummary> clients = auth_.ListClients();
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(clients[0].client_id, client.client_id);
  EXPECT_EQ(clients[0].live_tokens, kMaxLiveTokensPerClient);
  EXPECT_EQ(clients[1].live_tokens, 1);
}

// Two nodes on one store: each has its own Authenticator (and in-memory
// count); with CountFailuresInStore they refuse a client together.
TEST_P(CredentialsTest, NodesCountingInTheStoreShareTheLimit) {
  Authenticator node_a(stores_.credentials(), clock_);
  Authenticator node_b(stores_.credentials(), clock_);
  node_a.CountFailuresInStore(true);
  node_b.CountFailuresInStore(true);
  const ClientCredentials client = node_a.CreateClient();
  for (int i = 0; i < kMaxFailedTokenAttempts / 2; ++i) {
    EXPECT_FALSE(node_a.IssueToken(client.client_id, "wrong"));
    EXPECT_FALSE(node_b.IssueToken(client.client_id, "wrong"));
    clock_.Advance(kNanosPerSecond);
  }
  EXPECT_THROW(node_a.IssueToken(client.client_id, client.client_secret), LimitReached);
  try {
    node_b.IssueToken(client.client_id, client.client_secret);
    ADD_FAILURE() << "node b let the 11th attempt through";
  } catch (const LimitReached& e) {
    // The first failure (at +0 s) leaves the minute at +60 s; it is +5 s.
    EXPECT_EQ(e.retry_after_seconds(), 55);
  }
  clock_.Advance(kFailedTokenAttemptWindow - 4 * kNanosPerSecond);  // +61 s
  EXPECT_TRUE(node_b.IssueToken(client.client_id, client.client_secret))
      << "two failures of the first second have left the minute";
  EXPECT_TRUE(stores_.credentials().FailedTokenAttemptsSince(client.client_id, 0).empty())
      << "the right secret forgets the failures";
}

TEST_P(CredentialsTest, WithoutTheStoreEachProcessCountsAlone) {
  Authenticator node_a(stores_.credentials(), clock_);
  Authenticator node_b(stores_.credentials(), clock_);
  const ClientCredentials client = node_a.CreateClient();
  for (int i = 0; i < kMaxFailedTokenAttempts; ++i) {
    EXPECT_FALSE(node_a.IssueToken(client.client_id, "wrong"));
  }
  EXPECT_THROW(node_a.IssueToken(client.client_id, client.client_secret), LimitReached);
  EXPECT_TRUE(node_b.IssueToken(client.client_id, client.client_secret));
  EXPECT_TRUE(stores_.credentials().FailedTokenAttemptsSince(client.client_id, 0).empty())
      << "nothing written for a wrong secret";
}

INSTANTIATE_TEST_SUITE_P(Stores, CredentialsTest, testing::kEngineStoreKinds,
                         testing::StoreKindName);

}  // namespace
}  // namespace jobsd
