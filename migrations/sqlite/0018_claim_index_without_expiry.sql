-- 0018_claim_index_without_expiry: jobs_claim no longer holds expires_at.
--
-- Every new job enters jobs_claim, so each byte of its entries is paid by
-- every insert, and the claim reads expires_at for a handful of rows only:
-- the jobs it is about to take, whose rows its UPDATE reads and writes
-- anyway. Without the column (as PostgreSQL's jobs_claim has always been)
-- the raw insert of 100,000 jobs in batches of 1,000 took 0.58 s of CPU
-- instead of 0.66 s (medians of 5, `jobsd_queue_bench rawbatch` under
-- /usr/bin/time).
--
-- run_after stays: a job waiting out its retry backoff is skipped within
-- the index, and NextRunAfter reads its minimum there. A pending job that
-- expired before any worker took it is now skipped by reading its row, until
-- the retention sweep deletes it.

DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (created_at, seq, run_after) WHERE status = 'pending';
