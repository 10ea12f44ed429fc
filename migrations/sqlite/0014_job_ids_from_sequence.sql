-- 0014_job_ids_from_sequence: a job made by jobsd is found by its sequence
-- number, not through an index on its random id.
--
-- Every job id is a random UUID v4 (the API's contract), and until now the
-- id was the table's key: a unique index in which each new job lands at a
-- random place. Each commit then rewrote about one page of that index per
-- job: a batch of 1,000 jobs into a store of 100,000 appended ~600 pages to
-- the WAL, against ~120 without that index, and ran 3-4x slower on disk
-- (bench/schema_cost.sh, bench/RESULTS-schema.md). Every POST paid the same
-- page per job.
--
-- Now each job has a sequence number, `seq` (the rowid; AUTOINCREMENT, so a
-- deleted job's number is never handed out again), and the ids jobsd makes
-- are derived from it: AES-128 of the number under this store's key,
-- `job_id_key.key` (storage/sqlite/job_id_codec.h). To anyone without the
-- key such an id is as random as any UUID v4 (the keystream of AES-CTR is
-- made the same way); with it, the store decrypts an id back to its seq and
-- reads the row by rowid. New jobs are appended, and no index holds ids.
--
-- `id_from_seq` says which ids those are (1). Ids given from outside (jobs
-- of a store older than this migration, rows written by hand) keep 0 and
-- the partial unique index jobs_id_given, which finds them and keeps them
-- unique. At the sqlite3 prompt `WHERE id = '...'` still finds any job, by
-- reading the table.
--
-- artifact_token and idempotency_key were UNIQUE columns, whose indexes held
-- an entry for every job, NULL for most: they become unique indexes over the
-- jobs that have one. Every other column, index, trigger and the view are
-- unchanged; existing jobs keep their rowids as seq, and their ids.

DROP VIEW jobs_readable;

CREATE TABLE job_id_key (
  key BLOB NOT NULL CHECK (length(key) = 16)  -- AES-128 key of the ids jobsd makes
);
INSERT INTO job_id_key (key) VALUES (randomblob(16));

CREATE TABLE jobs_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- rowid; never reused
  id TEXT NOT NULL,  -- UUID v4, lowercase; derived from seq when id_from_seq = 1
  id_from_seq INTEGER NOT NULL DEFAULT 0 CHECK (id_from_seq = 0 OR id_from_seq = 1),
  job_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status = 'pending' OR status = 'started' OR status = 'success' OR status = 'failed'),
  params TEXT NOT NULL DEFAULT '',  -- the job type's parameters (an export's filter)
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
  artifact_key TEXT,            -- where the output is, once succeeded
  artifact_token TEXT,          -- secret part of the download URL (unique: below)
  idempotency_key TEXT,         -- Idempotency-Key header, NULL once expired/replaced (unique)
  request_hash TEXT,            -- what the key was used for
  idempotency_expires_at INTEGER,  -- ns
  interruptions INTEGER NOT NULL DEFAULT 0  -- runs cut short by a lost worker (0002)
    CHECK (interruptions >= 0),
  client_id TEXT,               -- the API client that created it (0006)
  result TEXT,                  -- JSON object the job type reported (0007)
  artifact_content_type TEXT,
  artifact_name TEXT,
  artifact_size INTEGER,
  progress_rows_written INTEGER,  -- while started (0008)
  progress_rows_total INTEGER,
  -- A started job always has its claim; no other job has one.
  CHECK ((status = 'started') = (claim_token IS NOT NULL AND claimed_by IS NOT NULL
                                 AND lease_expires_at IS NOT NULL))
);

INSERT INTO jobs_new (seq, id, id_from_seq, job_type, status, params, error, attempts,
                      max_attempts, created_at, updated_at, run_after, expires_at, claimed_by,
                      claim_token, lease_expires_at, artifact_key, artifact_token,
                      idempotency_key, request_hash, idempotency_expires_at, interruptions,
                      client_id, result, artifact_content_type, artifact_name, artifact_size,
                      progress_rows_written, progress_rows_total)
SELECT rowid, id, 0, job_type, status, params, error, attempts,
       max_attempts, created_at, updated_at, run_after, expires_at, claimed_by,
       claim_token, lease_expires_at, artifact_key, artifact_token,
       idempotency_key, request_hash, idempotency_expires_at, interruptions,
       client_id, result, artifact_content_type, artifact_name, artifact_size,
       progress_rows_written, progress_rows_total
FROM jobs;

-- Also drops the old table's indexes and triggers (and fires none).
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

-- Ids given from outside: found, and kept unique, here.
CREATE UNIQUE INDEX jobs_id_given ON jobs (id) WHERE id_from_seq = 0;
CREATE UNIQUE INDEX jobs_artifact_token ON jobs (artifact_token) WHERE artifact_token IS NOT NULL;
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- As before (0004, 0005, 0006, 0013).
CREATE INDEX jobs_claim ON jobs (created_at, id, run_after, expires_at)
  WHERE status = 'pending';
CREATE INDEX jobs_listing ON jobs (created_at, id, expires_at);
CREATE INDEX jobs_expires_at ON jobs (expires_at);
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'started';
CREATE INDEX jobs_active_by_client ON jobs (client_id)
  WHERE client_id IS NOT NULL AND (status = 'pending' OR status = 'started');

-- As before (0004, 0010, 0012).
CREATE TRIGGER jobs_insert_pending BEFORE INSERT ON jobs
WHEN NEW.status IS NOT 'pending'
BEGIN
  SELECT RAISE(FAIL, 'a job must be created pending');
END;

CREATE TRIGGER jobs_status_transition BEFORE UPDATE OF status ON jobs
WHEN NEW.status IS NOT OLD.status
  AND NOT ((OLD.status = 'pending' AND NEW.status = 'started')
        OR (OLD.status = 'started'
            AND (NEW.status = 'success' OR NEW.status = 'failed' OR NEW.status = 'pending')))
BEGIN
  SELECT RAISE(ABORT, 'forbidden job status transition');
END;

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

CREATE TRIGGER webhook_deliveries_queue AFTER UPDATE OF status ON jobs
WHEN NEW.status IN ('success', 'failed') AND OLD.status NOT IN ('success', 'failed')
BEGIN
  INSERT INTO webhook_deliveries (webhook_id, endpoint_id, job_id, event, created_at,
                                  next_attempt_at)
  SELECT 'msg_' || lower(hex(randomblob(16))), e.id, NEW.id,
         CASE NEW.status WHEN 'success' THEN 'job.succeeded' ELSE 'job.failed' END,
         NEW.updated_at, NEW.updated_at
  FROM webhook_endpoints AS e
  WHERE CASE NEW.status WHEN 'success' THEN e.on_succeeded ELSE e.on_failed END = 1
  ORDER BY e.created_at, e.id;
END;

CREATE VIEW jobs_readable AS
SELECT
  id,
  job_type,
  status,
  params,
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
  progress_rows_written,
  progress_rows_total,
  result,
  artifact_key,
  artifact_name,
  artifact_content_type,
  artifact_size,
  idempotency_key
FROM jobs;
