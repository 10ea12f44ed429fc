-- 0003_job_counts: the number of jobs in each status, kept by triggers.
--
-- GET /v2/jobs answers with the total number of jobs (meta.results.total)
-- on every page, and /metrics with the jobs by status. Counting rows made
-- each of those a scan of the whole jobs table; with this table they read
-- four rows (minus the few expired jobs the retention sweep has not
-- deleted yet, found through the expires_at index).

CREATE TABLE job_counts (
  status TEXT PRIMARY KEY NOT NULL
    CHECK (status IN ('pending', 'started', 'success', 'failed')),
  jobs INTEGER NOT NULL CHECK (jobs >= 0)
) WITHOUT ROWID;

INSERT INTO job_counts (status, jobs)
SELECT column1, (SELECT count(*) FROM jobs WHERE jobs.status = column1)
FROM (VALUES ('pending'), ('started'), ('success'), ('failed'));

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
