-- 0009_webhooks: completion webhooks (API.md section 13). 0008 is left to
-- another change made at the same time; the migrator allows the gap.
--
-- Tables:
--   webhook_endpoints  what `jobsd webhooks add` registered. `secret` is the
--                      signing secret as given (whsec_<base64>): HMAC needs
--                      the key itself, so it cannot be hashed. The store file
--                      is made readable by its owner only once it holds one
--                      (storage/sqlite/sqlite_webhook_store.cc). Removing an
--                      endpoint deletes its row, secret included.
--   webhook_attempts   one row per delivery attempt, for `webhooks
--                      deliveries`; endpoint_id is no foreign key, so the
--                      record outlives a removed endpoint.
-- Times are INTEGER nanoseconds since the epoch, as everywhere.

CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  on_succeeded INTEGER NOT NULL CHECK (on_succeeded IN (0, 1)),
  on_failed INTEGER NOT NULL CHECK (on_failed IN (0, 1)),
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CHECK (on_succeeded = 1 OR on_failed = 1)
);

CREATE TABLE webhook_attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of recording
  webhook_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('job.succeeded', 'job.failed')),
  attempt INTEGER NOT NULL CHECK (attempt >= 1),
  attempted_at INTEGER NOT NULL,
  http_status INTEGER,  -- NULL when no answer came
  error TEXT NOT NULL DEFAULT '',
  duration INTEGER NOT NULL  -- ns
);

CREATE INDEX webhook_attempts_recent ON webhook_attempts (attempted_at DESC, seq DESC);
