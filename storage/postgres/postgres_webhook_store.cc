#include "storage/postgres/postgres_webhook_store.h"

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
