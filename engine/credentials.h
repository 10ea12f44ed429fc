// API client credentials and bearer tokens (docs/jobs.md).
//
// Secrets and tokens are random, shown to their owner exactly once, and
// stored only as SHA-256 hashes: a leaked database does not give access.
// Nothing here logs a secret or a token.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/credential_store.h"
#include "engine/failed_attempts.h"
#include "engine/limits.h"
#include "engine/sha256.h"  // Sha256Hex, defined in credentials.cc
#include "engine/time.h"

namespace jobsd {

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;  // shown once; only its salted hash is stored
};

struct IssuedToken {
  std::string access_token;
  Nanos expires_at = 0;
  int expires_in = 0;  // seconds
};

inline constexpr int kTokenLifetimeSeconds = 3600;

// Creates clients, exchanges client credentials for tokens and checks
// tokens. Thread-safe when the CredentialStore is (storage's is).
class Authenticator {
 public:
  Authenticator(CredentialStore& store, const Clock& clock);

  // Counts failed token requests in the store as well, so that the limit
  // holds across every node sharing it (serve turns it on for a
  // PostgreSQL store). Off, each process counts alone, in memory: the one
  // process of a SQLite store then writes nothing for a wrong secret. Call
  // before the first IssueToken.
  void CountFailuresInStore(bool on) { failures_in_store_ = on; }

  // A new client: random id, 32-byte random secret.
  ClientCredentials CreateClient();

  // nullopt when the client is unknown or the secret does not match. The
  // comparison runs in constant time, and an unknown client costs the
  // same hashing as a known one.
  //
  // Throws LimitReached, without looking at the secret, while the client_id
  // has had kMaxFailedTokenAttempts failures within the last
  // kFailedTokenAttemptWindow (right or wrong secret: it is the guessing
  // that is slowed down). A client keeps kMaxLiveTokensPerClient live
  // tokens: a new one retires the oldest, which stops working at once.
  std::optional<IssuedToken> IssueToken(std::string_view client_id, std::string_view client_secret);

  // The client_id of a token issued here, not expired, whose client still
  // exists; nullopt otherwise. A token found valid is remembered (by its
  // hash) for kTokenRecheck, so a busy client costs a store query per
  // token every kTokenRecheck rather than per request. DeleteClient and a
  // retiring IssueToken forget tokens at once; a client deleted by another
  // process (jobsd credentials revoke) loses access within kTokenRecheck.
  std::optional<std::string> Authenticate(std::string_view token);
  bool ValidateToken(std::string_view token) { return Authenticate(token).has_value(); }
  // What Authenticate answers from memory alone: the client_id of a token
  // remembered and due for no recheck, else nullopt (which means "ask
  // Authenticate", not "invalid"). Never reads the store. Past
  // kTokenRefresh, it answers nullopt once, so that one request reads the
  // token again through Authenticate before it is due.
  std::optional<std::string> AuthenticateRemembered(std::string_view token);

  bool HasAnyClient();

  // Revokes a client and every token issued to it; false when unknown.
  bool DeleteClient(std::string_view client_id);

  // Every client with its count of live tokens, oldest first.
  std::vector<ClientSummary> ListClients();

  static constexpr Nanos kTokenRecheck = kNanosPerSecond / 2;
  // A remembered token is read again from the store ahead of its recheck:
  // past kTokenRefresh, AuthenticateRemembered sends one request (and only
  // one) to Authenticate, which reads the token again for everyone. When
  // every request found the token due at once, they all went to the pool
  // together: at 256 connections, a queue of 100-250 POSTs every half
  // second, each waiting 130-160 ms (p99 125-142 ms; 32-39 ms with no
  // recheck at all).
  static constexpr Nanos kTokenRefresh = kTokenRecheck / 2;

 private:
  struct KnownToken {
    std::string client_id;
    Nanos expires_at = 0;
    Nanos checked_at = 0;
    bool refresh_sent = false;  // a request was sent to read it again
  };
  static constexpr std::size_t kMaxKnownTokens = 10'000;

  void ForgetTokens(const std::vector<std::string>& hashes);

  CredentialStore& store_;
  const Clock& clock_;
  FailedAttempts failed_attempts_;
  bool failures_in_store_ = false;
  std::mutex known_mutex_;
  std::unordered_map<std::string, KnownToken> known_;  // by token hash; guarded by known_mutex_
};

}  // namespace jobsd
