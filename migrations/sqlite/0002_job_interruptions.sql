-- 0002_job_interruptions: runs cut short by a lost worker are counted apart
-- from attempts.
--
-- A job whose worker vanished (kill -9, a crash, a deploy, a lease that
-- lapsed) did not fail: it was interrupted. Such runs no longer use up the
-- job's attempts (those are for errors of the job itself); they are counted
-- here, and only a job interrupted many times in a row (engine/queue/job.h
-- kMaxInterruptions: likely a job that crashes jobsd) is failed.

ALTER TABLE jobs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0
  CHECK (interruptions >= 0);

DROP VIEW jobs_readable;
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
