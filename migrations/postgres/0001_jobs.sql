-- 0001_jobs: the job queue and the API credentials on PostgreSQL.
--
-- The same tables, columns and units as the SQLite store (migrations/sqlite),
-- so that one set of queries, one CSV and one mental model serve both:
-- every *_at column and run_after are bigint nanoseconds since the Unix
-- epoch, UTC (engine/time.h Nanos); the views show them as timestamptz for
-- people using psql. Identifiers that are ordered or compared (job ids,
-- client ids) are COLLATE "C": byte order, as SQLite compares them, whatever
-- the database's default collation. Tables live in the first schema of the connection's
-- search_path (normally public), so several stores may share one database.
--
-- Tables:
--   jobs           the job queue and its history; status follows the state
--                  machine of engine/queue/job.h, enforced by a trigger below.
--   job_changes    a change counter the list cache reads (JobStore::
--                  ChangeVersion): every statement that changes jobs adds one
--                  to one of 16 slots (picked by backend pid, so concurrent
--                  writers rarely wait for one another); the sum of the slots
--                  moves with every commit that changed a job.
--   api_clients    client credentials: only a salted SHA-256 of the secret.
--   access_tokens  bearer tokens: only a SHA-256 of the token.
-- schema_migrations (version, name, applied_at) is created by the migrator.

CREATE TABLE jobs (
  id text COLLATE "C" PRIMARY KEY,  -- UUID v4, lowercase
  job_type text NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'started', 'success', 'failed')),
  params text NOT NULL DEFAULT '',  -- as submitted, opaque to the queue
  error text,                       -- why it failed (or the last retryable error)
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- claims so far
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  interruptions integer NOT NULL DEFAULT 0 CHECK (interruptions >= 0),  -- runs cut short
  created_at bigint NOT NULL,  -- ns
  updated_at bigint NOT NULL,  -- ns; changes on every status change
  run_after bigint NOT NULL,   -- ns; not claimed before (retry backoff)
  expires_at bigint NOT NULL,  -- ns; created_at + retention, then invisible
  claimed_by text,             -- worker id while started
  claim_token text,            -- secret of the current claim (fencing)
  lease_expires_at bigint,     -- ns; the rescuer takes the job back after it
  result text,                 -- JSON object the job type reported
  artifact_key text,           -- the output, once succeeded
  artifact_token text UNIQUE,  -- secret part of the public file URL
  artifact_content_type text,
  artifact_name text,
  artifact_size bigint,
  idempotency_key text UNIQUE,  -- Idempotency-Key header, NULL once lapsed
  request_hash text,            -- what the key was used for
  idempotency_expires_at bigint,  -- ns
  client_id text COLLATE "C",   -- the API client that created it (NULL: the CLI)
  -- A started job always has its claim; no other job has one.
  CHECK ((status = 'started') = (claim_token IS NOT NULL AND claimed_by IS NOT NULL
                                 AND lease_expires_at IS NOT NULL))
);

-- Claims: the oldest pending first.
CREATE INDEX jobs_claim ON jobs (created_at, id) WHERE status = 'pending';
-- The earliest run_after among pending jobs (idle workers sleep until it).
CREATE INDEX jobs_pending_run_after ON jobs (run_after) WHERE status = 'pending';
-- Listings: the newest first.
CREATE INDEX jobs_listing ON jobs (created_at DESC, id DESC);
-- Retention.
CREATE INDEX jobs_expires_at ON jobs (expires_at);
-- Rescue of lapsed leases.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'started';
-- The per-client limit on active jobs.
CREATE INDEX jobs_active_by_client ON jobs (client_id)
  WHERE client_id IS NOT NULL AND status IN ('pending', 'started');

-- The state machine (engine/queue/job.h IsAllowedTransition):
-- created pending; pending -> started; started -> success | failed | pending.
CREATE FUNCTION jobs_check_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'pending' THEN
      RAISE EXCEPTION 'a job must be created pending' USING ERRCODE = 'check_violation';
    END IF;
  ELSIF NEW.status <> OLD.status
        AND NOT ((OLD.status = 'pending' AND NEW.status = 'started')
              OR (OLD.status = 'started' AND NEW.status IN ('success', 'failed', 'pending'))) THEN
    RAISE EXCEPTION 'forbidden job status transition % -> %', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER jobs_status_insert BEFORE INSERT ON jobs
  FOR EACH ROW EXECUTE FUNCTION jobs_check_status();
CREATE TRIGGER jobs_status_transition BEFORE UPDATE OF status ON jobs
  FOR EACH ROW EXECUTE FUNCTION jobs_check_status();

CREATE TABLE job_changes (
  slot integer PRIMARY KEY,
  changes bigint NOT NULL
);
INSERT INTO job_changes (slot, changes) SELECT slot, 0 FROM generate_series(0, 15) AS slot;

-- One bump per statement that changed at least one job (a claim that found
-- nothing changes nothing, so idle polling keeps list caches warm).
CREATE FUNCTION jobs_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed_jobs) THEN
    UPDATE job_changes SET changes = changes + 1 WHERE slot = pg_backend_pid() % 16;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_changed_by_insert AFTER INSERT ON jobs
  REFERENCING NEW TABLE AS changed_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_change();
CREATE TRIGGER jobs_changed_by_update AFTER UPDATE ON jobs
  REFERENCING NEW TABLE AS changed_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_change();
CREATE TRIGGER jobs_changed_by_delete AFTER DELETE ON jobs
  REFERENCING OLD TABLE AS changed_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_count_change();

CREATE TABLE api_clients (
  client_id text COLLATE "C" PRIMARY KEY,
  secret_salt text NOT NULL,  -- hex
  secret_hash text NOT NULL,  -- hex SHA-256 of salt || secret
  created_at bigint NOT NULL  -- ns
);

CREATE TABLE access_tokens (
  token_hash text PRIMARY KEY,  -- hex SHA-256 of the token
  client_id text COLLATE "C" NOT NULL REFERENCES api_clients (client_id) ON DELETE CASCADE,
  expires_at bigint NOT NULL,  -- ns
  -- Issue order: of two tokens that expire together, the later issued is
  -- the newer (SQLite orders them by rowid).
  issued bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- For people using psql: the jobs with readable times.
CREATE VIEW jobs_readable AS
SELECT
  id, job_type, status, params, error, attempts, max_attempts, interruptions,
  to_timestamp(created_at / 1e9) AS created_at,
  to_timestamp(updated_at / 1e9) AS updated_at,
  to_timestamp(run_after / 1e9) AS run_after,
  to_timestamp(expires_at / 1e9) AS expires_at,
  claimed_by,
  to_timestamp(lease_expires_at / 1e9) AS lease_expires_at,
  result, artifact_key, artifact_name, artifact_content_type, artifact_size, idempotency_key,
  client_id
FROM jobs;
