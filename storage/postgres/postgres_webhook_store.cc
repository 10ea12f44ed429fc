#include "storage/postgres/postgres_webhook_store.h"

#include <algorithm>
#include <tuple>

#include "engine/random.h"

namespace jobsd::storage {

using pg::Connection;
using pg::Params;
using pg::Result;

// Every verb is one statement, and so one transaction of its own.
namespace {

const std::string kEndpointColumns = "id, url, on_succeeded, on_failed, secret, created_at";

WebhookEndpoint ReadEndpoint(const Result& rows, int row) {
  return WebhookEndpoint{rows.String(row, 0), rows.String(row, 1), rows.Bool(row, 2),
                         rows.Bool(row, 3),   rows.String(row, 4), rows.Int64(row, 5)};
}

// PostgreSQL text never holds a NUL byte: no stored id has one.
bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

}  // namespace

void PostgresWebhookStore::AddEndpoint(const WebhookEndpoint& endpoint) {
  pg::WithConnection(pool_, [&](Connection& connection) {
    connection.Run(
        "INSERT INTO webhook_endpoints (id, url, on_succeeded, on_failed, secret, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        Params()
            .Add(endpoint.id)
            .Add(endpoint.url)
            .AddBool(endpoint.on_succeeded)
            .AddBool(endpoint.on_failed)
            .Add(endpoint.secret)
            .Add(endpoint.created_at));
  });
}

std::vector<WebhookEndpointSummary> PostgresWebhookStore::ListEndpoints() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    const Result rows = connection.Run(
        "SELECT id, url, on_succeeded, on_failed, created_at FROM webhook_endpoints"
        " ORDER BY created_at, id");
    std::vector<WebhookEndpointSummary> endpoints;
    for (int row = 0; row < rows.rows(); ++row) {
      endpoints.push_back({rows.String(row, 0), rows.String(row, 1), rows.Bool(row, 2),
                           rows.Bool(row, 3), rows.Int64(row, 4)});
    }
    return endpoints;
  });
}

std::vector<WebhookEndpoint> PostgresWebhookStore::EndpointsFor(WebhookEvent event) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    const Result rows = connection.Run(
        "SELECT " + kEndpointColumns +
            " FROM webhook_endpoints WHERE CASE WHEN $1 THEN on_succeeded ELSE on_failed END"
            " ORDER BY created_at, id",
        Params().AddBool(event == WebhookEvent::kJobSucceeded));
    std::vector<WebhookEndpoint> endpoints;
    for (int row = 0; row < rows.rows(); ++row) endpoints.push_back(ReadEndpoint(rows, row));
    return endpoints;
  });
}

std::optional<WebhookEndpoint> PostgresWebhookStore::FindEndpoint(std::string_view id) {
  if (HasNul(id)) return std::nullopt;
  return pg::WithConnection(pool_, [&](Connection& connection) -> std::optional<WebhookEndpoint> {
    const Result rows = connection.Run(
        "SELECT " + kEndpointColumns + " FROM webhook_endpoints WHERE id = $1", Params().Add(id));
    if (rows.rows() == 0) return std::nullopt;
    return ReadEndpoint(rows, 0);
  });
}

bool PostgresWebhookStore::RemoveEndpoint(std::string_view id) {
  if (HasNul(id)) return false;
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return connection.Run("DELETE FROM webhook_endpoints WHERE id = $1", Params().Add(id))
               .Affected() > 0;
  });
}

void PostgresWebhookStore::RecordAttempt(const WebhookAttempt& attempt) {
  pg::WithConnection(pool_, [&](Connection& connection) {
    connection.Run(
        "INSERT INTO webhook_attempts (webhook_id, endpoint_id, job_id, event, attempt,"
        " attempted_at, http_status, error, duration)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        Params()
            .Add(attempt.webhook_id)
            .Add(attempt.endpoint_id)
            .Add(attempt.job_id)
            .Add(WebhookEventName(attempt.event))
            .Add(attempt.attempt)
            .Add(attempt.attempted_at)
            .Add(attempt.http_status ? std::optional<std::int64_t>(*attempt.http_status)
                                     : std::nullopt)
            .Add(attempt.error)
            .Add(attempt.duration));
  });
}

std::vector<WebhookAttempt> PostgresWebhookStore::RecentAttempts(int limit) {
  if (limit <= 0) return {};
  return pg::WithConnection(pool_, [&](Connection& connection) {
    const Result rows = connection.Run(
        "SELECT webhook_id, endpoint_id, job_id, event, attempt, attempted_at, http_status,"
        " error, duration FROM webhook_attempts ORDER BY attempted_at DESC, seq DESC LIMIT $1",
        Params().Add(limit));
    std::vector<WebhookAttempt> attempts;
    for (int row = 0; row < rows.rows(); ++row) {
      WebhookAttempt attempt;
      attempt.webhook_id = rows.String(row, 0);
      attempt.endpoint_id = rows.String(row, 1);
      attempt.job_id = rows.String(row, 2);
      attempt.event = ParseWebhookEvent(rows.Text(row, 3)).value_or(WebhookEvent::kJobFailed);
      attempt.attempt = static_cast<int>(rows.Int64(row, 4));
      attempt.attempted_at = rows.Int64(row, 5);
      if (auto status = rows.OptionalInt64(row, 6)) attempt.http_status = static_cast<int>(*status);
      attempt.error = rows.String(row, 7);
      attempt.duration = rows.Int64(row, 8);
      attempts.push_back(std::move(attempt));
    }
    return attempts;
  });
}

std::int64_t PostgresWebhookStore::DeleteAttemptsBefore(Nanos cutoff) {
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return connection
        .Run("DELETE FROM webhook_attempts WHERE attempted_at < $1", Params().Add(cutoff))
        .Affected();
  });
}

}  // namespace jobsd::storage

namespace jobsd::storage {
namespace {

const std::string kDeliveryColumns =
    "webhook_id, endpoint_id, job_id, event, created_at, next_attempt_at, attempts,"
    " coalesce(claim_token, '')";

std::vector<WebhookDelivery> ReadDeliveries(const Result& rows) {
  std::vector<WebhookDelivery> deliveries;
  for (int row = 0; row < rows.rows(); ++row) {
    WebhookDelivery delivery;
    delivery.webhook_id = rows.String(row, 0);
    delivery.endpoint_id = rows.String(row, 1);
    delivery.job_id = rows.String(row, 2);
    delivery.event = ParseWebhookEvent(rows.Text(row, 3)).value_or(WebhookEvent::kJobFailed);
    delivery.created_at = rows.Int64(row, 4);
    delivery.next_attempt_at = rows.Int64(row, 5);
    delivery.attempts = static_cast<int>(rows.Int64(row, 6));
    delivery.claim_token = rows.String(row, 7);
    deliveries.push_back(std::move(delivery));
  }
  return deliveries;
}

bool HasNulByte(std::string_view text) { return text.find('\0') != std::string_view::npos; }

}  // namespace

// One statement: FOR UPDATE SKIP LOCKED lets every node claim at once, each
// taking rows no other claim holds; the re-check of the due condition in
// the UPDATE's WHERE (evaluated on the locked row) keeps a row that another
// claim took and committed in between from being taken twice.
std::vector<WebhookDelivery> PostgresWebhookStore::ClaimDueDeliveries(Nanos now, int limit,
                                                                      Nanos lease_until) {
  if (limit <= 0) return {};
  const std::string token_prefix = RandomHex(16) + ":";
  return pg::WithConnection(pool_, [&](Connection& connection) {
    const Result rows = connection.Run(
        "UPDATE webhook_deliveries SET claim_token = $3 || webhook_id, lease_until = $4"
        " WHERE webhook_id = ANY (ARRAY("
        "  SELECT webhook_id FROM webhook_deliveries"
        "  WHERE next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)"
        "  ORDER BY next_attempt_at, webhook_id LIMIT $2 FOR UPDATE SKIP LOCKED))"
        " AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)"
        " RETURNING " +
            kDeliveryColumns,
        Params().Add(now).Add(std::int64_t{limit}).Add(token_prefix).Add(lease_until));
    std::vector<WebhookDelivery> claimed = ReadDeliveries(rows);
    std::sort(claimed.begin(), claimed.end(), [](const auto& a, const auto& b) {
      return std::tie(a.next_attempt_at, a.webhook_id) < std::tie(b.next_attempt_at, b.webhook_id);
    });
    return claimed;
  });
}

bool PostgresWebhookStore::CompleteDelivery(std::string_view webhook_id,
                                            std::string_view claim_token) {
  if (HasNulByte(webhook_id) || HasNulByte(claim_token)) return false;
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return connection
               .Run("DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND claim_token = $2",
                    Params().Add(webhook_id).Add(claim_token))
               .Affected() > 0;
  });
}

bool PostgresWebhookStore::RetryDelivery(std::string_view webhook_id, std::string_view claim_token,
                                         Nanos next_attempt_at) {
  if (HasNulByte(webhook_id) || HasNulByte(claim_token)) return false;
  return pg::WithConnection(pool_, [&](Connection& connection) {
    return connection
               .Run(
                   "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $3,"
                   " claim_token = NULL, lease_until = NULL"
                   " WHERE webhook_id = $1 AND claim_token = $2",
                   Params().Add(webhook_id).Add(claim_token).Add(next_attempt_at))
               .Affected() > 0;
  });
}

std::vector<WebhookDelivery> PostgresWebhookStore::QueuedDeliveries() {
  return pg::WithConnection(pool_, [](Connection& connection) {
    return ReadDeliveries(connection.Run(
        "SELECT " + kDeliveryColumns + " FROM webhook_deliveries ORDER BY created_at, webhook_id"));
  });
}

}  // namespace jobsd::storage
