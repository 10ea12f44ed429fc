#include "storage/sqlite/sqlite_webhook_store.h"

#include <algorithm>
#include <system_error>
#include <tuple>

#include "engine/random.h"
#include "engine/store_error.h"

namespace jobsd::storage {
namespace {

constexpr std::string_view kEndpointColumns =
    "id, url, on_succeeded, on_failed, secret, created_at";

WebhookEndpoint ReadEndpoint(sqlite::Statement& row) {
  return WebhookEndpoint{row.ColumnString(0),     row.ColumnString(1), row.ColumnInt64(2) != 0,
                         row.ColumnInt64(3) != 0, row.ColumnString(4), row.ColumnInt64(5)};
}

std::string Sql(std::string_view head, std::string_view tail) {
  return std::string(head) + std::string(kEndpointColumns) + std::string(tail);
}

}  // namespace

void SqliteWebhookStore::KeepFileToOwner() const {
  using std::filesystem::perms;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::path path = file_;
    path += suffix;
    std::error_code ignored;  // missing companions, or a file of another owner
    std::filesystem::permissions(path, perms::group_all | perms::others_all,
                                 std::filesystem::perm_options::remove, ignored);
  }
}

void SqliteWebhookStore::AddEndpoint(const WebhookEndpoint& endpoint) {
  BeforeWrite();
  KeepFileToOwner();
  auto connection = pool_.Borrow();
  auto insert = connection->Prepare(
      "INSERT INTO webhook_endpoints (id, url, on_succeeded, on_failed, secret, created_at)"
      " VALUES (?, ?, ?, ?, ?, ?)");
  insert->BindText(1, endpoint.id)
      .BindText(2, endpoint.url)
      .BindInt64(3, endpoint.on_succeeded ? 1 : 0)
      .BindInt64(4, endpoint.on_failed ? 1 : 0)
      .BindText(5, endpoint.secret)
      .BindInt64(6, endpoint.created_at);
  insert->Run();
}

std::vector<WebhookEndpointSummary> SqliteWebhookStore::ListEndpoints() {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      "SELECT id, url, on_succeeded, on_failed, created_at FROM webhook_endpoints"
      " ORDER BY created_at, id");
  std::vector<WebhookEndpointSummary> endpoints;
  while (select->Step()) {
    endpoints.push_back({select->ColumnString(0), select->ColumnString(1),
                         select->ColumnInt64(2) != 0, select->ColumnInt64(3) != 0,
                         select->ColumnInt64(4)});
  }
  return endpoints;
}

std::vector<WebhookEndpoint> SqliteWebhookStore::EndpointsFor(WebhookEvent event) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      event == WebhookEvent::kJobSucceeded
          ? Sql("SELECT ", " FROM webhook_endpoints WHERE on_succeeded = 1 ORDER BY created_at, id")
          : Sql("SELECT ", " FROM webhook_endpoints WHERE on_failed = 1 ORDER BY created_at, id"));
  std::vector<WebhookEndpoint> endpoints;
  while (select->Step()) endpoints.push_back(ReadEndpoint(*select));
  return endpoints;
}

std::optional<WebhookEndpoint> SqliteWebhookStore::FindEndpoint(std::string_view id) {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(Sql("SELECT ", " FROM webhook_endpoints WHERE id = ?"));
  select->BindText(1, id);
  if (!select->Step()) return std::nullopt;
  return ReadEndpoint(*select);
}

bool SqliteWebhookStore::RemoveEndpoint(std::string_view id) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  auto remove = connection->Prepare("DELETE FROM webhook_endpoints WHERE id = ?");
  remove->BindText(1, id);
  remove->Run();
  return connection->Changes() > 0;
}

void SqliteWebhookStore::RecordAttempt(const WebhookAttempt& attempt) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  auto insert = connection->Prepare(
      "INSERT INTO webhook_attempts (webhook_id, endpoint_id, job_id, event, attempt,"
      " attempted_at, http_status, error, duration) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert->BindText(1, attempt.webhook_id)
      .BindText(2, attempt.endpoint_id)
      .BindText(3, attempt.job_id)
      .BindText(4, WebhookEventName(attempt.event))
      .BindInt64(5, attempt.attempt)
      .BindInt64(6, attempt.attempted_at)
      .Bind(7,
            attempt.http_status ? std::optional<std::int64_t>(*attempt.http_status) : std::nullopt)
      .BindText(8, attempt.error)
      .BindInt64(9, attempt.duration);
  insert->Run();
}

std::vector<WebhookAttempt> SqliteWebhookStore::RecentAttempts(int limit) {
  std::vector<WebhookAttempt> attempts;
  if (limit <= 0) return attempts;
  auto connection = pool_.Borrow();
  auto select = connection->Prepare(
      "SELECT webhook_id, endpoint_id, job_id, event, attempt, attempted_at, http_status,"
      " error, duration FROM webhook_attempts ORDER BY attempted_at DESC, seq DESC LIMIT ?");
  select->BindInt64(1, limit);
  while (select->Step()) {
    WebhookAttempt attempt;
    attempt.webhook_id = select->ColumnString(0);
    attempt.endpoint_id = select->ColumnString(1);
    attempt.job_id = select->ColumnString(2);
    attempt.event = ParseWebhookEvent(select->ColumnText(3)).value_or(WebhookEvent::kJobFailed);
    attempt.attempt = static_cast<int>(select->ColumnInt64(4));
    attempt.attempted_at = select->ColumnInt64(5);
    if (auto status = select->ColumnOptionalInt64(6))
      attempt.http_status = static_cast<int>(*status);
    attempt.error = select->ColumnString(7);
    attempt.duration = select->ColumnInt64(8);
    attempts.push_back(std::move(attempt));
  }
  return attempts;
}

std::int64_t SqliteWebhookStore::DeleteAttemptsBefore(Nanos cutoff) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  auto remove = connection->Prepare("DELETE FROM webhook_attempts WHERE attempted_at < ?");
  remove->BindInt64(1, cutoff);
  remove->Run();
  return connection->Changes();
}

}  // namespace jobsd::storage

namespace jobsd::storage {
namespace {

constexpr std::string_view kDeliveryColumns =
    "webhook_id, endpoint_id, job_id, event, created_at, next_attempt_at, attempts,"
    " coalesce(claim_token, '')";

WebhookDelivery ReadDelivery(sqlite::Statement& row) {
  WebhookDelivery delivery;
  delivery.webhook_id = row.ColumnString(0);
  delivery.endpoint_id = row.ColumnString(1);
  delivery.job_id = row.ColumnString(2);
  delivery.event = ParseWebhookEvent(row.ColumnText(3)).value_or(WebhookEvent::kJobFailed);
  delivery.created_at = row.ColumnInt64(4);
  delivery.next_attempt_at = row.ColumnInt64(5);
  delivery.attempts = static_cast<int>(row.ColumnInt64(6));
  delivery.claim_token = row.ColumnString(7);
  return delivery;
}

bool OldestDueFirst(const WebhookDelivery& a, const WebhookDelivery& b) {
  return std::tie(a.next_attempt_at, a.webhook_id) < std::tie(b.next_attempt_at, b.webhook_id);
}

}  // namespace

// One UPDATE statement: SQLite runs it as one write transaction, so two
// claimers (threads or processes) never take the same row. A read first
// keeps the idle poll (every dispatcher, every second) from taking the
// write lock when nothing is due.
std::vector<WebhookDelivery> SqliteWebhookStore::ClaimDueDeliveries(Nanos now, int limit,
                                                                    Nanos lease_until) {
  std::vector<WebhookDelivery> claimed;
  if (limit <= 0) return claimed;
  auto connection = pool_.Borrow();
  {
    auto any = connection->Prepare(
        "SELECT 1 FROM webhook_deliveries WHERE next_attempt_at <= ?1"
        " AND (lease_until IS NULL OR lease_until <= ?1) LIMIT 1");
    any->BindInt64(1, now);
    if (!any->Step()) return claimed;
  }
  BeforeWrite();
  // Each row gets its own token: a random prefix for this batch plus the id.
  const std::string token_prefix = RandomHex(16) + ":";
  auto claim = connection->Prepare(
      "UPDATE webhook_deliveries SET claim_token = ?1 || webhook_id, lease_until = ?2"
      " WHERE rowid IN (SELECT rowid FROM webhook_deliveries"
      "   WHERE next_attempt_at <= ?3 AND (lease_until IS NULL OR lease_until <= ?3)"
      "   ORDER BY next_attempt_at, webhook_id LIMIT ?4)"
      " RETURNING " +
      std::string(kDeliveryColumns));
  claim->BindText(1, token_prefix).BindInt64(2, lease_until).BindInt64(3, now).BindInt64(4, limit);
  while (claim->Step()) claimed.push_back(ReadDelivery(*claim));
  std::sort(claimed.begin(), claimed.end(), OldestDueFirst);
  return claimed;
}

bool SqliteWebhookStore::CompleteDelivery(std::string_view webhook_id,
                                          std::string_view claim_token) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  auto remove = connection->Prepare(
      "DELETE FROM webhook_deliveries WHERE webhook_id = ? AND claim_token = ?");
  remove->BindText(1, webhook_id).BindText(2, claim_token);
  remove->Run();
  return connection->Changes() > 0;
}

bool SqliteWebhookStore::RetryDelivery(std::string_view webhook_id, std::string_view claim_token,
                                       Nanos next_attempt_at) {
  BeforeWrite();
  auto connection = pool_.Borrow();
  auto retry = connection->Prepare(
      "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?,"
      " claim_token = NULL, lease_until = NULL WHERE webhook_id = ? AND claim_token = ?");
  retry->BindInt64(1, next_attempt_at).BindText(2, webhook_id).BindText(3, claim_token);
  retry->Run();
  return connection->Changes() > 0;
}

std::vector<WebhookDelivery> SqliteWebhookStore::QueuedDeliveries() {
  auto connection = pool_.Borrow();
  auto select = connection->Prepare("SELECT " + std::string(kDeliveryColumns) +
                                    " FROM webhook_deliveries ORDER BY created_at, webhook_id");
  std::vector<WebhookDelivery> deliveries;
  while (select->Step()) deliveries.push_back(ReadDelivery(*select));
  return deliveries;
}

}  // namespace jobsd::storage
