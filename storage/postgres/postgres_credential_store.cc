#include "storage/postgres/postgres_credential_store.h"

namespace jobsd::storage {

using pg::Connection;
using pg::Params;
using pg::Result;

// Every verb is one statement, and so one transaction of its own.

void PostgresCredentialStore::InsertClient(const StoredClient& client) {
  pg::WithConnection(pool_, [&](Connection& connection) {
    connection.Run(
        "INSERT INTO api_clients (client_id, secret_salt, secret_hash, created_at)"
        " VALUES ($1, $2, $3, $4)",
        Params()
            .Add(client.client_id)
            .Add(client.secret_salt)
            .Add(client.secret_hash)
            .Add(client.created_at));
  });
}

namespace {

// PostgreSQL text never holds a NUL byte: no stored id or hash has one, and
// pg::Params would refuse to send it.
bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

}  // namespace

std::optional<StoredClient> PostgresCredentialStore::FindClient(std::string_view client_id) {
  if (HasNul(client_id)) return std::nullopt;
  return pg::WithConnection(pool_, [&](Connection& connection) -> std::optional<StoredClient> {
    const Result row = connection.Run(
        "SELECT client_id, secret_salt, secret_hash, created_at FROM api_clients"
        " WHERE client_id = $1",
        Params().Add(client_id));
    if (row.rows() == 0) return std::nullopt;
    return StoredClient{row.String(0, 0), row.String(0, 1), row.String(0, 2), row.Int64(0, 3)};
  });
}

std::int64_t PostgresCredentialStore::CountClients() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    return connection.Run("SELECT count(*) FROM api_clients").Int64(0, 0);
  });
}

bool PostgresCredentialStore::DeleteClient(std::string_view client_id) {
  if (HasNul(client_id)) return false;
  return pg::WithConnection(pool_, [&](Connection& connection) {
    // access_tokens.client_id is ON DELETE CASCADE: the client's tokens go
    // in the same statement.
    return connection.Run("DELETE FROM api_clients WHERE client_id = $1", Params().Add(client_id))
               .Affected() > 0;
  });
}

void PostgresCredentialStore::InsertToken(const StoredToken& token) {
  pg::WithConnection(pool_, [&](Connection& connection) {
    // A client that does not exist fails the foreign key: a StoreError.
    connection.Run(
        "INSERT INTO access_tokens (token_hash, client_id, expires_at) VALUES ($1, $2, $3)",
        Params().Add(token.token_hash).Add(token.client_id).Add(token.expires_at));
  });
}

std::optional<StoredToken> PostgresCredentialStore::FindToken(std::string_view token_hash,
                                                              Nanos now) {
  if (HasNul(token_hash)) return std::nullopt;
  return pg::WithConnection(pool_, [&](Connection& connection) -> std::optional<StoredToken> {
    const Result row = connection.Run(
        "SELECT t.token_hash, t.client_id, t.expires_at FROM access_tokens t"
        " JOIN api_clients c ON c.client_id = t.client_id"
        " WHERE t.token_hash = $1 AND t.expires_at > $2",
        Params().Add(token_hash).Add(now));
    if (row.rows() == 0) return std::nullopt;
    return StoredToken{row.String(0, 0), row.String(0, 1), row.Int64(0, 2)};
  });
}

std::vector<std::string> PostgresCredentialStore::RetireOldestTokens(std::string_view client_id,
                                                                     int keep, Nanos now) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    // Tokens all live as long, so the newest expire last; `issued` orders
    // those that expire together. The client's expired tokens go too (they
    // count for nothing and only take room).
    const Result rows = connection.Run(
        "DELETE FROM access_tokens WHERE client_id = $1 AND (expires_at <= $3 OR token_hash IN"
        " (SELECT token_hash FROM access_tokens WHERE client_id = $1 AND expires_at > $3"
        "  ORDER BY expires_at DESC, issued DESC OFFSET $2))"
        " RETURNING token_hash, expires_at",
        Params().Add(client_id).Add(std::int64_t{keep < 0 ? 0 : keep}).Add(now));
    std::vector<std::string> retired;
    for (int row = 0; row < rows.rows(); ++row) {
      if (rows.Int64(row, 1) > now) retired.push_back(rows.String(row, 0));
    }
    return retired;
  });
}

std::vector<ClientSummary> PostgresCredentialStore::ListClients(Nanos now) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    // client_id is COLLATE "C" (0001): byte order, as on SQLite.
    const Result rows = connection.Run(
        "SELECT c.client_id, c.created_at,"
        " (SELECT count(*) FROM access_tokens t WHERE t.client_id = c.client_id"
        "  AND t.expires_at > $1)"
        " FROM api_clients c ORDER BY c.created_at, c.client_id",
        Params().Add(now));
    std::vector<ClientSummary> clients;
    clients.reserve(static_cast<std::size_t>(rows.rows()));
    for (int row = 0; row < rows.rows(); ++row) {
      clients.push_back(ClientSummary{rows.String(row, 0), rows.Int64(row, 1), rows.Int64(row, 2)});
    }
    return clients;
  });
}

void PostgresCredentialStore::RecordFailedTokenAttempt(std::string_view client_id, Nanos at,
                                                       Nanos forget_before) {
  if (HasNul(client_id)) return;
  pg::WithConnection(pool_, [&](Connection& connection) {
    // One statement, and so one transaction; the same for a known and an
    // unknown id.
    connection.Run(
        "WITH forgotten AS (DELETE FROM failed_token_attempts WHERE attempted_at < $3)"
        " INSERT INTO failed_token_attempts (client_id, attempted_at)"
        " SELECT client_id, $2 FROM api_clients WHERE client_id = $1",
        Params().Add(client_id).Add(at).Add(forget_before));
  });
}

std::vector<Nanos> PostgresCredentialStore::FailedTokenAttemptsSince(std::string_view client_id,
                                                                     Nanos since) {
  if (HasNul(client_id)) return {};
  return pg::WithConnection(pool_, [&](Connection& connection) {
    const Result rows = connection.Run(
        "SELECT attempted_at FROM failed_token_attempts"
        " WHERE client_id = $1 AND attempted_at >= $2 ORDER BY attempted_at",
        Params().Add(client_id).Add(since));
    std::vector<Nanos> times;
    for (int row = 0; row < rows.rows(); ++row) times.push_back(rows.Int64(row, 0));
    return times;
  });
}

void PostgresCredentialStore::ForgetFailedTokenAttempts(std::string_view client_id) {
  if (HasNul(client_id)) return;
  pg::WithConnection(pool_, [&](Connection& connection) {
    connection.Run("DELETE FROM failed_token_attempts WHERE client_id = $1",
                   Params().Add(client_id));
  });
}

}  // namespace jobsd::storage
