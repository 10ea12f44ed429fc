-- 0004_lighter_job_writes: less work per job status change.
--
-- Every claim (pending -> started) and every outcome (started -> ...)
-- updates one row of jobs. Profiling the queue (perf on
-- jobsd_queue_bench drain) showed three costs this schema can drop:
--
-- 1. Two partial indexes whose WHERE mentions status were rewritten on each
--    change but serve no query the engine runs (checked with EXPLAIN QUERY
--    PLAN on every statement of storage/sqlite/sqlite_job_store.cc, the rescuer
--    and the retention sweep included):
--      jobs_pending_run_after  only NextRunAfter, which the engine does not
--                              use; its min(run_after) now reads jobs_claim.
--      jobs_claimed_by         the claimed_by lookups (taking back the jobs
--                              of an ended process, releasing a worker's
--                              claims) now scan jobs_lease, which holds only
--                              the started jobs: a few per worker.
-- 2. SQLite evaluates `x IN ('a', 'b', 'c')` with three or more constants
--    by building a temporary B-tree of the constants, every time the
--    statement runs: once for the status CHECK and once for the transition
--    trigger, on every single-row UPDATE of an outcome. The same conditions
--    written with = and OR cost a few comparisons. A CHECK cannot be changed
--    in place, so jobs is rebuilt (same columns in the same order, same
--    rowids, same constraints otherwise) with its indexes, triggers and view.

DROP VIEW jobs_readable;

CREATE TABLE jobs_new (
  id TEXT PRIMARY KEY NOT NULL,  -- UUID v4, lowercase
  job_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status = 'pending' OR status = 'started' OR status = 'success' OR status = 'failed'),
  filter TEXT NOT NULL DEFAULT '',  -- as submitted; '' means every order
  error TEXT,                       -- why it failed (or last retryable error)
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- claims so far
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  created_at INTEGER NOT NULL,  -- ns
  updated_at INTEGER NOT NULL,  -- ns; changes on every status change
  run_after INTEGER NOT NULL,   -- ns; not claimed before (retry backoff)
  expires_at INTEGER NOT NULL,  -- ns; created_at + retention, then invisible
  claimed_by TEXT,              -- worker id while started
  claim_token TEXT,             -- secret of the current claim (compare-and-set)
  lease_expires_at INTEGER,     -- ns; the rescuer takes the job back after it
  file_path TEXT,               -- the CSV, once succeeded
  file_token TEXT UNIQUE,       -- secret part of the public file URL
  row_count INTEGER,
  idempotency_key TEXT UNIQUE,  -- Idempotency-Key header, NULL once expired/replaced
  request_hash TEXT,            -- what the key was used for
  idempotency_expires_at INTEGER,  -- ns
  interruptions INTEGER NOT NULL DEFAULT 0  -- runs cut short by a lost worker (0002)
    CHECK (interruptions >= 0),
  -- A started job always has its claim; no other job has one.
  CHECK ((status = 'started') = (claim_token IS NOT NULL AND claimed_by IS NOT NULL
                                 AND lease_expires_at IS NOT NULL))
);

INSERT INTO jobs_new (rowid, id, job_type, status, filter, error, attempts, max_attempts,
                      created_at, updated_at, run_after, expires_at, claimed_by, claim_token,
                      lease_expires_at, file_path, file_token, row_count, idempotency_key,
                      request_hash, idempotency_expires_at, interruptions)
SELECT rowid, id, job_type, status, filter, error, attempts, max_attempts,
       created_at, updated_at, run_after, expires_at, claimed_by, claim_token,
       lease_expires_at, file_path, file_token, row_count, idempotency_key,
       request_hash, idempotency_expires_at, interruptions
FROM jobs;

-- Also drops the old table's indexes and triggers (and fires none).
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

-- Claim path: the oldest pending jobs, by (created_at, id).
CREATE INDEX jobs_claim ON jobs (created_at, id, run_after, expires_at)
  WHERE status = 'pending';
-- GET /v2/jobs: newest first.
CREATE INDEX jobs_listing ON jobs (created_at DESC, id DESC);
-- Retention sweep.
CREATE INDEX jobs_expires_at ON jobs (expires_at);
-- Rescuing jobs whose worker stopped renewing its lease; also finds the
-- started jobs of a worker (claimed_by) among the few started ones.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'started';

-- Jobs are born pending.
CREATE TRIGGER jobs_insert_pending BEFORE INSERT ON jobs
WHEN NEW.status IS NOT 'pending'
BEGIN
  SELECT RAISE(ABORT, 'a job must be created pending');
END;

-- The state machine of engine/queue/job.h (IsAllowedTransition), as in 0001:
--   pending -> started; started -> success | failed | pending.
CREATE TRIGGER jobs_status_transition BEFORE UPDATE OF status ON jobs
WHEN NEW.status IS NOT OLD.status
  AND NOT ((OLD.status = 'pending' AND NEW.status = 'started')
        OR (OLD.status = 'started'
            AND (NEW.status = 'success' OR NEW.status = 'failed' OR NEW.status = 'pending')))
BEGIN
  SELECT RAISE(ABORT, 'forbidden job status transition');
END;

-- The per-status counts of 0003.
CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
BEGIN
  UPDATE job_counts SET jobs = jobs + 1 WHERE status = NEW.status;
END;

CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
BEGIN
  UPDATE job_counts SET jobs = jobs - 1 WHERE status = OLD.status;
END;

CREATE TRIGGER job_counts_update AFTER UPDATE OF status ON jobs
WHEN NEW.status IS NOT OLD.status
BEGIN
  UPDATE job_counts SET jobs = jobs - 1 WHERE status = OLD.status;
  UPDATE job_counts SET jobs = jobs + 1 WHERE status = NEW.status;
END;

-- As in 0002.
CREATE VIEW jobs_readable AS
SELECT
  id,
  job_type,
  status,
  filter,
  error,
  attempts,
  max_attempts,
  interruptions,
  strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1e9, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1e9, 'unixepoch') AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', run_after / 1e9, 'unixepoch') AS run_after,
  strftime('%Y-%m-%dT%H:%M:%fZ', expires_at / 1e9, 'unixepoch') AS expires_at,
  claimed_by,
  strftime('%Y-%m-%dT%H:%M:%fZ', lease_expires_at / 1e9, 'unixepoch') AS lease_expires_at,
  file_path,
  row_count,
  idempotency_key
FROM jobs;
