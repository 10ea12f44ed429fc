-- 0008_job_progress: how far a started run has come (API.md section 10).
--
-- progress_rows_written and progress_rows_total are what the run reported
-- last through its lease renewals (engine/queue/lease_keeper.h), NULL when
-- it reported nothing. They are set only while the job is started: every
-- statement that moves a job out of started clears them with its claim
-- (storage/sqlite/sqlite_job_store.cc JOBSD_DROP_CLAIM). Existing jobs get
-- NULL: a job started before this migration shows no progress until its
-- next renewal.
--
-- Only new columns: no trigger fires, the view keeps working and shows them.

ALTER TABLE jobs ADD COLUMN progress_rows_written INTEGER;
ALTER TABLE jobs ADD COLUMN progress_rows_total INTEGER;

DROP VIEW jobs_readable;
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
