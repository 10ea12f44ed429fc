-- 0005_job_progress: how far a started run has come (API.md section 10), as
-- on SQLite (migrations/sqlite/0008_job_progress.sql).
--
-- progress_rows_written and progress_rows_total are what the run reported
-- last through its lease renewals, NULL when it reported nothing; set only
-- while the job is started, cleared with the claim by every statement that
-- moves a job out of started (storage/postgres/postgres_job_store.cc
-- JOBSD_PG_DROP_CLAIM). Existing jobs get NULL.
--
-- Only new columns: the status, change-counting and NOTIFY triggers keep
-- working as they are (a renewal that writes progress is an UPDATE like the
-- renewal before it). The view gains them at its end.

ALTER TABLE jobs ADD COLUMN progress_rows_written bigint;
ALTER TABLE jobs ADD COLUMN progress_rows_total bigint;

CREATE OR REPLACE VIEW jobs_readable AS
SELECT
  id, job_type, status, params, error, attempts, max_attempts, interruptions,
  to_timestamp(created_at / 1e9) AS created_at,
  to_timestamp(updated_at / 1e9) AS updated_at,
  to_timestamp(run_after / 1e9) AS run_after,
  to_timestamp(expires_at / 1e9) AS expires_at,
  claimed_by,
  to_timestamp(lease_expires_at / 1e9) AS lease_expires_at,
  result, artifact_key, artifact_name, artifact_content_type, artifact_size, idempotency_key,
  client_id, progress_rows_written, progress_rows_total
FROM jobs;
