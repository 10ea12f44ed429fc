-- 0012_insert_without_statement_journal: a job insert no longer makes SQLite
-- keep a statement journal.
--
-- SQLite journals a statement on its own (a copy of every page it touches,
-- in memory) when the statement writes more than one b-tree and may ABORT
-- half-way: the jobs insert writes the table, its indexes and job_counts
-- (trigger), and could abort through its UNIQUE, CHECK and NOT NULL
-- constraints and the RAISE(ABORT) below. perf on `jobsd_queue_bench
-- enqueue --mode batch` put that journal at about a third of the insert.
--
-- The insert is now INSERT OR FAIL and this trigger raises FAIL. For a
-- one-row INSERT, FAIL and ABORT leave the same store: SQLite runs the
-- BEFORE trigger and checks every constraint before it writes the row, its
-- index entries or job_counts, so a refused insert has written nothing.
-- The message is unchanged.

DROP TRIGGER jobs_insert_pending;

CREATE TRIGGER jobs_insert_pending BEFORE INSERT ON jobs
WHEN NEW.status IS NOT 'pending'
BEGIN
  SELECT RAISE(FAIL, 'a job must be created pending');
END;
