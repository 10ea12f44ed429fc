// CredentialStore on PostgreSQL: a token issued through one node is valid on
// every node sharing the store.
#pragma once

#include "engine/credential_store.h"
#include "storage/postgres/pg_pool.h"

namespace jobsd::storage {

class PostgresCredentialStore final : public CredentialStore {
 public:
  explicit PostgresCredentialStore(pg::Pool& pool) : pool_(pool) {}

  void InsertClient(const StoredClient& client) override;
  std::optional<StoredClient> FindClient(std::string_view client_id) override;
  std::int64_t CountClients() override;
  bool DeleteClient(std::string_view client_id) override;
  void InsertToken(const StoredToken& token) override;
  std::optional<StoredToken> FindToken(std::string_view token_hash, Nanos now) override;
  std::vector<std::string> RetireOldestTokens(std::string_view client_id, int keep,
                                              Nanos now) override;
  std::vector<ClientSummary> ListClients(Nanos now) override;
  void RecordFailedTokenAttempt(std::string_view client_id, Nanos at, Nanos forget_before) override;
  std::vector<Nanos> FailedTokenAttemptsSince(std::string_view client_id, Nanos since) override;
  void ForgetFailedTokenAttempts(std::string_view client_id) override;

 private:
  pg::Pool& pool_;
};

}  // namespace jobsd::storage
