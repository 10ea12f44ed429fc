#include "storage/sqlite/sqlite_credential_store.h"

namespace jobsd::storage {

void SqliteCredentialStore::InsertClient(const StoredClient& client) {
  BeforeWrite();
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
  BeforeWrite();
  auto connection = pool_.Borrow();
  // access_tokens.client_id is ON DELETE CASCADE (foreign keys are on for
  // every connection of ours), so the client's tokens go in the same statement.
  auto remove = connection->Prepare("DELETE FROM api_clients WHERE client_id = ?");
  remove->BindText(1, client_id);
  remove->Run();
  return connection->Changes() > 0;
}

void SqliteCredentialStore::InsertToken(const StoredToken& token) {
  BeforeWrite();
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

std::vector<std::string> SqliteCredentialStore::RetireOldestTokens(std::string_view client_id,
                                                                   int keep, Nanos now) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  // Tokens all live kTokenLifetimeSeconds, so the newest expire last; rowid
  // orders those issued within the same nanosecond. The client's expired
  // tokens go too (they count for nothing and only take room).
  auto retire = connection->Prepare(
      "DELETE FROM access_tokens WHERE client_id = ?1 AND (expires_at <= ?3 OR token_hash IN"
      " (SELECT token_hash FROM access_tokens WHERE client_id = ?1 AND expires_at > ?3"
      "  ORDER BY expires_at DESC, rowid DESC LIMIT -1 OFFSET ?2))"
      " RETURNING token_hash, expires_at");
  retire->BindText(1, client_id).BindInt64(2, keep).BindInt64(3, now);
  std::vector<std::string> retired;
  while (retire->Step()) {
    if (retire->ColumnInt64(1) > now) retired.push_back(retire->ColumnString(0));
  }
  return retired;
}

std::vector<ClientSummary> SqliteCredentialStore::ListClients(Nanos now) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      "SELECT c.client_id, c.created_at,"
      " (SELECT count(*) FROM access_tokens t WHERE t.client_id = c.client_id"
      "  AND t.expires_at > ?1)"
      " FROM api_clients c ORDER BY c.created_at, c.client_id");
  select->BindInt64(1, now);
  std::vector<ClientSummary> clients;
  while (select->Step()) {
    clients.push_back(
        ClientSummary{select->ColumnString(0), select->ColumnInt64(1), select->ColumnInt64(2)});
  }
  return clients;
}

void SqliteCredentialStore::RecordFailedTokenAttempt(std::string_view client_id, Nanos at,
                                                     Nanos forget_before) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  sqlite::Transaction transaction(*connection);
  auto forget = connection->Prepare("DELETE FROM failed_token_attempts WHERE attempted_at < ?");
  forget->BindInt64(1, forget_before);
  forget->Run();
  // One statement for a known and an unknown id alike.
  auto record = connection->Prepare(
      "INSERT INTO failed_token_attempts (client_id, attempted_at)"
      " SELECT client_id, ?2 FROM api_clients WHERE client_id = ?1");
  record->BindText(1, client_id).BindInt64(2, at);
  record->Run();
  transaction.Commit();
}

std::vector<Nanos> SqliteCredentialStore::FailedTokenAttemptsSince(std::string_view client_id,
                                                                   Nanos since) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      "SELECT attempted_at FROM failed_token_attempts WHERE client_id = ? AND attempted_at >= ?"
      " ORDER BY attempted_at");
  select->BindText(1, client_id).BindInt64(2, since);
  std::vector<Nanos> times;
  while (select->Step()) times.push_back(select->ColumnInt64(0));
  return times;
}

void SqliteCredentialStore::ForgetFailedTokenAttempts(std::string_view client_id) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  auto forget = connection->Prepare("DELETE FROM failed_token_attempts WHERE client_id = ?");
  forget->BindText(1, client_id);
  forget->Run();
}

}  // namespace jobsd::storage
