// API client credentials and bearer tokens (API.md section 5).
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

  // A new client: random id, 32-byte random secret.
  ClientCredentials CreateClient();

  // nullopt when the client is unknown or the secret does not match. The
  // comparison runs in constant time, and an unknown client costs the
  // same hashing as a known one.
  std::optional<IssuedToken> IssueToken(std::string_view client_id, std::string_view client_secret);

  // True for a token issued here, not expired, whose client still exists.
  // A token found valid is remembered (by its hash) for kTokenRecheck, so
  // a busy client costs no store query per request; DeleteClient forgets
  // that client's tokens at once.
  bool ValidateToken(std::string_view token);

  bool HasAnyClient();

  // Revokes a client and every token issued to it; false when unknown.
  bool DeleteClient(std::string_view client_id);

 private:
  struct KnownToken {
    std::string client_id;
    Nanos expires_at = 0;
    Nanos checked_at = 0;
  };
  static constexpr Nanos kTokenRecheck = 5 * kNanosPerSecond;
  static constexpr std::size_t kMaxKnownTokens = 10'000;

  CredentialStore& store_;
  const Clock& clock_;
  std::mutex known_mutex_;
  std::unordered_map<std::string, KnownToken> known_;  // by token hash; guarded by known_mutex_
};

}  // namespace jobsd
