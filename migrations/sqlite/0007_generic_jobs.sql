-- 0007_generic_jobs: jobs of any type, outputs in an artifact store.
--
-- The queue no longer knows what an order export is (engine/queue/job.h):
--   filter     -> params          the type's parameters, opaque to the queue
--                                 (order_export: its filter)
--   row_count  -> result          what the type reported on success, a JSON
--                                 object text (order_export:
--                                 {"row_count":N}); NULL when nothing
--   file_path  -> artifact_key    where the artifact store keeps the output
--                                 (the local directory store: the file's
--                                 absolute path, as before)
--   file_token -> artifact_token  the secret part of its public URL (UNIQUE)
-- plus what the download needs to describe the output without knowing the
-- job type: artifact_content_type, artifact_name (Content-Disposition) and
-- artifact_size (bytes, as committed).
--
-- Jobs written before this migration keep everything: their result becomes
-- {"row_count":N}, their artifact the CSV it was (text/csv; charset=utf-8,
-- orders-<id>.csv). Their size was never recorded and SQL cannot stat a
-- file, so artifact_size stays NULL for them, and only for them: the
-- download always takes the size from the bytes it opens, never from here.
--
-- No index, trigger or CHECK names the renamed or dropped columns; the view
-- does, so it is dropped first and made again at the end.

DROP VIEW jobs_readable;

ALTER TABLE jobs RENAME COLUMN filter TO params;
ALTER TABLE jobs RENAME COLUMN file_path TO artifact_key;
ALTER TABLE jobs RENAME COLUMN file_token TO artifact_token;
ALTER TABLE jobs ADD COLUMN result TEXT;
ALTER TABLE jobs ADD COLUMN artifact_content_type TEXT;
ALTER TABLE jobs ADD COLUMN artifact_name TEXT;
ALTER TABLE jobs ADD COLUMN artifact_size INTEGER;

-- Only result and the artifact columns change: the status triggers (UPDATE
-- OF status) do not fire.
UPDATE jobs SET result = '{"row_count":' || row_count || '}' WHERE row_count IS NOT NULL;
UPDATE jobs SET artifact_content_type = 'text/csv; charset=utf-8',
                artifact_name = 'orders-' || id || '.csv'
WHERE artifact_key IS NOT NULL;

ALTER TABLE jobs DROP COLUMN row_count;

-- As in 0004, with the new columns.
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
  result,
  artifact_key,
  artifact_name,
  artifact_content_type,
  artifact_size,
  idempotency_key
FROM jobs;
