-- 0019_expiry_found_through_the_listing: no index on expires_at alone.
--
-- Every new job entered jobs_expires_at, so every insert paid for an index
-- that only the retention sweep, the list's count of expired jobs not yet
-- swept, and the list's valid_until read. Without it the engine's insert of
-- 100,000 jobs in batches of 1,000 took 0.24-0.28 s of user CPU instead of
-- 0.27-0.33 s, and ran at 197-232k jobs/s instead of 173-209k (6 rounds of
-- `jobsd_queue_bench enqueue --jobs 100000 --mode batch` under
-- /usr/bin/time, alternating).
--
-- Those three readers now find expired jobs by their created_at, in
-- jobs_listing (created_at, seq, expires_at), which the list already reads.
-- A job's retention is expires_at - created_at, and job_retention_range
-- holds bounds every job's retention lies within: a job expired at `now`
-- was created at or before now - shortest, and a job created at or before
-- now - longest has expired. jobsd inserts every job of a store with the
-- retention in force (created_at + retention, clamped at the last storable
-- instant), so the two bounds are usually equal and the expired jobs are
-- exactly the first entries of jobs_listing, oldest first.
--
-- The store keeps the bounds itself, without a trigger (see 0017 for what a
-- trigger per inserted row costs): each write that inserts jobs widens them
-- to the retentions it inserted, in its own transaction
-- (storage/sqlite/sqlite_job_store.cc), and applying a retention to every
-- job (at `jobsd serve` start) sets them to that retention. Both are NULL
-- when no job has been inserted since they were set on an empty table, and
-- the readers then read every job. A job inserted by hand at the
-- sqlite3 prompt with a retention outside the bounds may be swept late or
-- early, or counted as expired wrongly, until the next start of
-- `jobsd serve`, which applies its retention to every job and resets them.

CREATE TABLE job_retention_range (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  shortest INTEGER,  -- nanoseconds: no job's expires_at - created_at is below it
  longest INTEGER    -- nanoseconds: no job's expires_at - created_at is above it
);
INSERT INTO job_retention_range (only_row, shortest, longest)
  SELECT 1, min(expires_at - created_at), max(expires_at - created_at) FROM jobs;

DROP INDEX jobs_expires_at;
