#include "storage/sqlite_credential_store.h"

namespace jobsd::storage {

void SqliteCredentialStore::InsertClient(const StoredClient& client) {
  auto connection = pool_.Borrow();
  auto insert = connection->Prepare(
      "INSERT INTO api_clients (client_id, secret_salt, secret_hash, created_at)"
      " VALUES (?, ?, ?, ?)");
  insert->BindText(1, client.client_id)
      .BindText(2, client.secret_salt)
      .BindText(3, client.secret_hash)
      .BindInt64(4, client.created_at);
  insert->Run();
}

std::optional<StoredClient> SqliteCredentialStore::FindClient(std::string_view client_id) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      "SELECT client_id, secret_salt, secret_hash, created_at FROM api_clients"
      " WHERE client_id = ?");
  select->BindText(1, client_id);
  if (!select->Step()) return std::nullopt;
  return StoredClient{select->ColumnString(0), select->ColumnString(1), select->ColumnString(2),
                      select->ColumnInt64(3)};
}

std::int64_t SqliteCredentialStore::CountClients() {
  auto connection = pool_.Borrow();
  auto count = connection->Prepare("SELECT count(*) FROM api_clients");
  count->Step();
  return count->ColumnInt64(0);
}

bool SqliteCredentialStore::DeleteClient(std::string_view client_id) {
  auto connection = pool_.Borrow();
  // access_tokens.client_id is ON DELETE CASCADE (foreign keys are on for
  // every connection of ours), so the client's tokens go in the same statement.
  auto remove = connection->Prepare("DELETE FROM api_clients WHERE client_id = ?");
  remove->BindText(1, client_id);
  remove->Run();
  return connection->Changes() > 0;
}

void SqliteCredentialStore::InsertToken(const StoredToken& token) {
  auto connection = pool_.Borrow();
  auto insert = connection->Prepare(
      "INSERT INTO access_tokens (token_hash, client_id, expires_at) VALUES (?, ?, ?)");
  insert->BindText(1, token.token_hash).BindText(2, token.client_id).BindInt64(3, token.expires_at);
  insert->Run();
}

std::optional<StoredToken> SqliteCredentialStore::FindToken(std::string_view token_hash,
                                                            Nanos now) {
  auto connection = pool_.Borrow();
  // The join drops tokens of a deleted client even if the cascade has not
  // run (foreign_keys off in someone's sqlite3 shell).
  auto select = connection->Prepare(
      "SELECT t.token_hash, t.client_id, t.expires_at FROM access_tokens t"
      " JOIN api_clients c ON c.client_id = t.client_id"
      " WHERE t.token_hash = ? AND t.expires_at > ?");
  select->BindText(1, token_hash).BindInt64(2, now);
  if (!select->Step()) return std::nullopt;
  return StoredToken{select->ColumnString(0), select->ColumnString(1), select->ColumnInt64(2)};
}

void SqliteCredentialStore::DeleteExpiredTokens(Nanos now) {
  auto connection = pool_.Borrow();
  auto remove = connection->Prepare("DELETE FROM access_tokens WHERE expires_at <= ?");
  remove->BindInt64(1, now);
  remove->Run();
}

}  // namespace jobsd::storage
