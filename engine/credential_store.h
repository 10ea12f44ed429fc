// The storage port for API client credentials and access tokens. Only
// hashes are stored; see engine/credentials.h for how they are made.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/time.h"

namespace jobsd {

struct StoredClient {
  std::string client_id;
  std::string secret_salt;  // hex
  std::string secret_hash;  // hex SHA-256 of salt || secret
  Nanos created_at = 0;
};

struct StoredToken {
  std::string token_hash;  // hex SHA-256 of the token
  std::string client_id;
  Nanos expires_at = 0;
};

// What `jobsd credentials list` shows of a client: never its secret.
struct ClientSummary {
  std::string client_id;
  Nanos created_at = 0;
  std::int64_t live_tokens = 0;  // not expired at the time asked
};

// Each call is one transaction, visible to every later call from any thread
// or process sharing the store; every method may be called from any thread.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // A client_id already stored is a StoreError.
  virtual void InsertClient(const StoredClient& client) = 0;
  virtual std::optional<StoredClient> FindClient(std::string_view client_id) = 0;
  virtual std::int64_t CountClients() = 0;
  // Revokes a client: false when there was none. Its tokens go with it, in
  // the same transaction.
  virtual bool DeleteClient(std::string_view client_id) = 0;
  // A token of a client that does not exist is a StoreError.
  virtual void InsertToken(const StoredToken& token) = 0;
  // Only tokens whose client still exists and that expire after `now`.
  virtual std::optional<StoredToken> FindToken(std::string_view token_hash, Nanos now) = 0;
  // Keeps the client's `keep` newest live tokens (latest expiry; the later
  // inserted of two that expire together) and deletes the others and its
  // expired ones, in one transaction; returns the hashes of the live ones
  // deleted.
  virtual std::vector<std::string> RetireOldestTokens(std::string_view client_id, int keep,
                                                      Nanos now) = 0;
  // Every client, oldest first (created_at, then client_id).
  virtual std::vector<ClientSummary> ListClients(Nanos now) = 0;

  // Failed token requests, kept in the store so that the limit on guessing
  // a secret holds across every node sharing it (docs/errors.md, 429).
  // Records a failure of `client_id` at `at` when that client exists (for
  // an unknown id nothing is recorded: nothing to protect, and no request
  // without credentials may grow the store), and forgets every failure
  // older than `forget_before`, of any client; one transaction.
  virtual void RecordFailedTokenAttempt(std::string_view client_id, Nanos at,
                                        Nanos forget_before) = 0;
  // When the client's failures at or after `since` happened, oldest first.
  virtual std::vector<Nanos> FailedTokenAttemptsSince(std::string_view client_id, Nanos since) = 0;
  // Forgets the client's failures (it presented its right secret). Revoking
  // a client forgets them too.
  virtual void ForgetFailedTokenAttempts(std::string_view client_id) = 0;
};

}  // namespace jobsd
