-- 0017_inserts_counted_by_the_store: no trigger runs for an inserted job.
--
-- jobs_inserted (0016) ran as a trigger program of its own for every row,
-- and the run itself cost more than what it did: without it, the engine's
-- insert of 100,000 jobs in batches of 1,000 took 0.71-0.72 s of user CPU
-- instead of 0.88-0.95 s (`jobsd_queue_bench enqueue` under /usr/bin/time),
-- and `bench/schema_cost.sh` measured the raw insert at 1.18x of plainjob
-- instead of 1.01x. SQLite evaluates a trigger's WHEN clause inside the
-- trigger's program, so even a trigger whose WHEN no row meets keeps half
-- to three quarters of that cost (two runs of bench/schema_cost.sh).
--
-- The store now counts the jobs it inserts itself, in the transaction that
-- inserts them: one `UPDATE job_counts SET jobs = jobs + n` after each write
-- (a batch of 1,000 jobs, or one POST), run by its group writer outside the
-- write's savepoint (storage/sqlite/group_writer.h), so that a claim later
-- in the same transaction never takes a count below zero.
--
-- What the trigger also did, refusing a job not born pending, is left to
-- the store, whose INSERTs write the status 'pending' as a literal: a row
-- written by hand at the sqlite3 prompt is no longer checked for its status
-- when inserted, nor counted. Its later status changes still are checked
-- (jobs_status_transition) and counted (job_counts_update), and so that such
-- a row can still be claimed, a count now stops at zero instead of failing
-- its CHECK: a pending job inserted by hand is missing from the pending
-- count until it is claimed, and the counts are right again once no such
-- job is pending. Without the floor, its claim would take the pending count
-- below zero, the CHECK would refuse the claim, and the queue would stall on
-- that job.

DROP TRIGGER jobs_inserted;

DROP TRIGGER job_counts_delete;
CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
BEGIN
  UPDATE job_counts SET jobs = max(jobs - 1, 0) WHERE status = OLD.status;
END;

DROP TRIGGER job_counts_update;
CREATE TRIGGER job_counts_update AFTER UPDATE OF status ON jobs
WHEN NEW.status IS NOT OLD.status
BEGIN
  UPDATE job_counts SET jobs = max(jobs - 1, 0) WHERE status = OLD.status;
  UPDATE job_counts SET jobs = jobs + 1 WHERE status = NEW.status;
END;
