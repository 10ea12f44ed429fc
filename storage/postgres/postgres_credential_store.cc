#include "storage/postgres/postgres_credential_store.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
// PLACEHOLDER: replaced by the real implementation before this lands.
namespace jobsd::storage {
namespace {
[[noreturn]] void NotYet() { throw StoreError("PostgreSQL store: not implemented yet", false); }
}  // namespace

void PostgresCredentialStore::InsertClient(const StoredClient& client) { NotYet(); }
std::optional<StoredClient> PostgresCredentialStore::FindClient(std::string_view client_id) { NotYet(); }
std::int64_t PostgresCredentialStore::CountClients() { NotYet(); }
bool PostgresCredentialStore::DeleteClient(std::string_view client_id) { NotYet(); }
void PostgresCredentialStore::InsertToken(const StoredToken& token) { NotYet(); }
std::optional<StoredToken> PostgresCredentialStore::FindToken(std::string_view token_hash, Nanos now) { NotYet(); }
std::vector<std::string> PostgresCredentialStore::RetireOldestTokens(std::string_view client_id, int keep, Nanos now) { NotYet(); }
std::vector<ClientSummary> PostgresCredentialStore::ListClients(Nanos now) { NotYet(); }

}  // namespace jobsd::storage
