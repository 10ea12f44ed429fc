-- 0006_jobs_client_id: which API client created a job, to limit how many
-- each client has pending or started at once (API.md section 15,
-- --max-active-jobs).
--
-- client_id is NULL for jobs made by the command line (jobs submit), which
-- no limit counts, and for every job made before this migration. It is not
-- a foreign key: a revoked client's jobs stay, as they were acknowledged.
--
-- The partial index holds only the active jobs of API clients, so counting
-- one client's reads at most --max-active-jobs entries, and jobs of the
-- command line or that have finished are not in it at all.

ALTER TABLE jobs ADD COLUMN client_id TEXT;

CREATE INDEX jobs_active_by_client ON jobs (client_id)
  WHERE client_id IS NOT NULL AND (status = 'pending' OR status = 'started');
