// engine/credential_store.h on SQLite: API clients and hashed access tokens.
#pragma once

#include <functional>

#include "engine/credential_store.h"
#include "storage/sqlite/connection_pool.h"

namespace jobsd::storage {

class SqliteCredentialStore final : public CredentialStore {
 public:
  // `before_write` runs before every write and may throw StoreError to
  // refuse it (the database checks there that its file is still in place).
  explicit SqliteCredentialStore(ConnectionPool& pool, std::function<void()> before_write = {})
      : pool_(pool), before_write_(std::move(before_write)) {}

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
  void BeforeWrite() const {
    if (before_write_) before_write_();
  }

  ConnectionPool& pool_;
  std::function<void()> before_write_;
};

}  // namespace jobsd::storage
