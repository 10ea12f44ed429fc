#include "cli/help_examples.h"

namespace jobsd::cli {
namespace {

struct Examples {
  std::string_view path;
  std::string_view text;
};

constexpr Examples kExamples[] = {
    {"",
     R"ex(# Try it: a store with demo orders, then the API on 127.0.0.1:8080
jobsd orders seed --count 10000
jobsd serve
# Export the paid orders from another terminal and follow the job
jobsd jobs submit --type order_export --filter 'eq(payment,paid)'
jobsd jobs wait <id printed above>)ex"},
    {"serve",
     R"ex(# The API and workers on the default SQLite store, credentials printed on first run
jobsd serve
# Another address, links for a proxy in front, JSON logs for a collector
jobsd serve --listen 0.0.0.0:8080 --public-url https://jobs.example.com --log-format json
# One of several nodes sharing a PostgreSQL store
jobsd serve --db postgresql://jobsd@db.internal/jobsd)ex"},
    {"migrate",
     R"ex(# Create or upgrade the default SQLite store
jobsd migrate
# A PostgreSQL store (safe while other nodes run it too)
jobsd migrate --db postgresql://jobsd@db.internal/jobsd)ex"},
    {"orders import",
     R"ex(# Import a file of JSON Lines, all or nothing
jobsd orders import orders.jsonl
# From a pipe, keeping the valid lines and reporting the others
zcat orders.jsonl.gz | jobsd orders import --skip-invalid -)ex"},
    {"orders seed",
     R"ex(# 100,000 demo orders, the same ones on every machine
jobsd orders seed --count 100000
# Another, still reproducible, set
jobsd orders seed --count 5000 --seed 42)ex"},
    {"credentials create",
     R"ex(# A client for a service; prints client_id and client_secret once
jobsd credentials create
# Then, against a running serve:
curl -s -X POST localhost:8080/oauth/access_token -d 'grant_type=client_credentials&client_id=ID&client_secret=SECRET')ex"},
    {"credentials list",
     R"ex(jobsd credentials list
jobsd credentials list --json)ex"},
    {"credentials revoke",
     R"ex(# Its tokens stop working on every node within a second
jobsd credentials revoke 0f6c0d6a-1a2b-4c3d-9e8f-001122334455)ex"},
    {"jobs submit",
     R"ex(# Export the orders paid in November (filters: docs/filters.md)
jobsd jobs submit --type order_export --filter 'eq(payment,paid):ge(created_at,2026-11-01):lt(created_at,2026-12-01)'
# The API's JSON, for scripts
jobsd jobs submit --type order_export --filter 'eq(status,complete)' --json)ex"},
    {"jobs list",
     R"ex(jobsd jobs list
# The failed ones of the last day, 100 per page
jobsd jobs list --filter 'eq(status,failed):ge(created_at,2026-11-28)' --limit 100
# Page two
jobsd jobs list --limit 25 --offset 25)ex"},
    {"jobs get",
     R"ex(jobsd jobs get 5d9a1c0e-8f4b-4c2a-9d3e-7a6b5c4d3e2f
jobsd jobs get 5d9a1c0e-8f4b-4c2a-9d3e-7a6b5c4d3e2f --json)ex"},
    {"jobs cancel",
     R"ex(# Exit 0: cancelled; 1: it had already finished (or no such job)
jobsd jobs cancel 5d9a1c0e-8f4b-4c2a-9d3e-7a6b5c4d3e2f)ex"},
    {"jobs wait",
     R"ex(# Follow an export; the exit code says how it ended (0 success, 1 failed, 3 timeout)
jobsd jobs wait 5d9a1c0e-8f4b-4c2a-9d3e-7a6b5c4d3e2f
# In a script: give up after ten minutes
jobsd jobs wait "$id" --timeout 10m && curl -sO "$(jobsd jobs get "$id" --json | jq -r .data.link.href)")ex"},
    {"webhooks add",
     R"ex(# Both events; keep the printed secret to verify signatures
jobsd webhooks add https://hooks.example.com/jobsd
# Only failures, to a receiver on this machine
jobsd webhooks add http://127.0.0.1:9000/hook --event job.failed)ex"},
    {"webhooks list",
     R"ex(jobsd webhooks list
jobsd webhooks list --json)ex"},
    {"webhooks remove", R"ex(jobsd webhooks remove wh_3f2a9c1d0e8b7a6f5c4d3e2f1a0b9c8d)ex"},
    {"webhooks deliveries",
     R"ex(# What was sent, when, and what the endpoints answered
jobsd webhooks deliveries
jobsd webhooks deliveries --json)ex"},
};

}  // namespace

std::string_view HelpExamples(std::string_view path) {
  for (const Examples& examples : kExamples) {
    if (examples.path == path) return examples.text;
  }
  return "";
}

}  // namespace jobsd::cli
