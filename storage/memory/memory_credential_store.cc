#include "storage/memory/memory_credential_store.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "engine/store_error.h"

namespace jobsd::storage {

void MemoryCredentialStore::InsertClient(const StoredClient& client) {
  std::lock_guard lock(mutex_);
  if (!clients_.emplace(client.client_id, client).second) {
    throw StoreError("client [" + client.client_id + "] already exists", /*transient=*/false);
  }
}

std::optional<StoredClient> MemoryCredentialStore::FindClient(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  auto found = clients_.find(client_id);
  if (found == clients_.end()) return std::nullopt;
  return found->second;
}

std::int64_t MemoryCredentialStore::CountClients() {
  std::lock_guard lock(mutex_);
  return static_cast<std::int64_t>(clients_.size());
}

bool MemoryCredentialStore::DeleteClient(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  auto found = clients_.find(client_id);
  if (found == clients_.end()) return false;
  clients_.erase(found);
  failed_attempts_.erase(std::string(client_id));
  std::erase_if(tokens_,
                [&](const auto& entry) { return entry.second.token.client_id == client_id; });
  return true;
}

void MemoryCredentialStore::InsertToken(const StoredToken& token) {
  std::lock_guard lock(mutex_);
  if (clients_.count(token.client_id) == 0) {
    throw StoreError("token of unknown client [" + token.client_id + "]", /*transient=*/false);
  }
  if (!tokens_.emplace(token.token_hash, TokenRow{token, next_sequence_}).second) {
    throw StoreError("token already stored", /*transient=*/false);
  }
  ++next_sequence_;
}

std::optional<StoredToken> MemoryCredentialStore::FindToken(std::string_view token_hash,
                                                            Nanos now) {
  std::lock_guard lock(mutex_);
  auto found = tokens_.find(token_hash);
  if (found == tokens_.end() || found->second.token.expires_at <= now ||
      clients_.count(found->second.token.client_id) == 0) {
    return std::nullopt;
  }
  return found->second.token;
}

std::vector<std::string> MemoryCredentialStore::RetireOldestTokens(std::string_view client_id,
                                                                   int keep, Nanos now) {
  std::lock_guard lock(mutex_);
  std::vector<const TokenRow*> live;
  std::vector<std::string> expired;
  for (const auto& [hash, row] : tokens_) {
    if (row.token.client_id != client_id) continue;
    if (row.token.expires_at > now) {
      live.push_back(&row);
    } else {
      expired.push_back(hash);
    }
  }
  // Newest first: latest expiry, then latest inserted.
  std::sort(live.begin(), live.end(), [](const TokenRow* a, const TokenRow* b) {
    return std::tie(a->token.expires_at, a->sequence) > std::tie(b->token.expires_at, b->sequence);
  });
  std::vector<std::string> retired;
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 0)); i < live.size(); ++i) {
    retired.push_back(live[i]->token.token_hash);
  }
  for (const std::string& hash : retired) tokens_.erase(hash);
  for (const std::string& hash : expired) tokens_.erase(hash);
  return retired;
}

std::vector<ClientSummary> MemoryCredentialStore::ListClients(Nanos now) {
  std::lock_guard lock(mutex_);
  std::vector<ClientSummary> clients;
  for (const auto& [id, client] : clients_) {
    ClientSummary summary{client.client_id, client.created_at, 0};
    for (const auto& [hash, row] : tokens_) {
      if (row.token.client_id == id && row.token.expires_at > now) ++summary.live_tokens;
    }
    clients.push_back(std::move(summary));
  }
  std::sort(clients.begin(), clients.end(), [](const ClientSummary& a, const ClientSummary& b) {
    return std::tie(a.created_at, a.client_id) < std::tie(b.created_at, b.client_id);
  });
  return clients;
}

void MemoryCredentialStore::RecordFailedTokenAttempt(std::string_view client_id, Nanos at,
                                                     Nanos forget_before) {
  std::lock_guard lock(mutex_);
  std::erase_if(failed_attempts_, [&](const auto& entry) { return entry.second < forget_before; });
  if (clients_.count(client_id) > 0) failed_attempts_.emplace(std::string(client_id), at);
}

std::vector<Nanos> MemoryCredentialStore::FailedTokenAttemptsSince(std::string_view client_id,
                                                                   Nanos since) {
  std::lock_guard lock(mutex_);
  std::vector<Nanos> times;
  auto [first, last] = failed_attempts_.equal_range(client_id);
  for (auto it = first; it != last; ++it) {
    if (it->second >= since) times.push_back(it->second);
  }
  std::sort(times.begin(), times.end());
  return times;
}

void MemoryCredentialStore::ForgetFailedTokenAttempts(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  auto [first, last] = failed_attempts_.equal_range(client_id);
  failed_attempts_.erase(first, last);
}

}  // namespace jobsd::storage
