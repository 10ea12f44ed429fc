// engine/credential_store.h held in memory: the reference implementation of
// the port, for tests. One mutex makes each call one transaction.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "engine/credential_store.h"

namespace jobsd::storage {

class MemoryCredentialStore final : public CredentialStore {
 public:
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
  struct TokenRow {
    StoredToken token;
    std::uint64_t sequence = 0;  // insertion order, for tokens that expire together
  };

  std::mutex mutex_;
  std::map<std::string, StoredClient, std::less<>> clients_;
  std::map<std::string, TokenRow, std::less<>> tokens_;  // by token hash
  std::uint64_t next_sequence_ = 0;
  std::multimap<std::string, Nanos, std::less<>> failed_attempts_;  // by client_id
};

}  // namespace jobsd::storage
