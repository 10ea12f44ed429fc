-- 0006_webhooks: completion webhooks (API.md section 13), as in
-- migrations/sqlite/0009_webhooks.sql. 0005 is left to another change made
-- at the same time; the migrator allows the gap.
--
-- Tables:
--   webhook_endpoints  what `jobsd webhooks add` registered. `secret` is the
--                      signing secret as given (whsec_<base64>): HMAC needs
--                      the key itself, so it cannot be hashed. Like every
--                      table of the store, only its owner (the role jobsd
--                      connects as) and superusers may read it; the REVOKE
--                      below says so even where a DBA granted PUBLIC more by
--                      default privileges. Removing an endpoint deletes its
--                      row, secret included.
--   webhook_attempts   one row per delivery attempt, for `webhooks
--                      deliveries`; endpoint_id is no foreign key, so the
--                      record outlives a removed endpoint.

CREATE TABLE webhook_endpoints (
  id text COLLATE "C" PRIMARY KEY,
  url text NOT NULL,
  on_succeeded boolean NOT NULL,
  on_failed boolean NOT NULL,
  secret text NOT NULL,
  created_at bigint NOT NULL,  -- ns
  CHECK (on_succeeded OR on_failed)
);
REVOKE ALL ON webhook_endpoints FROM PUBLIC;

CREATE TABLE webhook_attempts (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- order of recording
  webhook_id text NOT NULL,
  endpoint_id text COLLATE "C" NOT NULL,
  job_id text COLLATE "C" NOT NULL,
  event text NOT NULL CHECK (event IN ('job.succeeded', 'job.failed')),
  attempt integer NOT NULL CHECK (attempt >= 1),
  attempted_at bigint NOT NULL,  -- ns
  http_status integer,           -- NULL when no answer came
  error text NOT NULL DEFAULT '',
  duration bigint NOT NULL       -- ns
);

CREATE INDEX webhook_attempts_recent ON webhook_attempts (attempted_at DESC, seq DESC);
