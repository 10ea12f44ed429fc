-- 0015_ties_in_insert_order: jobs_claim and jobs_listing order ties of
-- created_at by seq, a number each job gets when it is inserted, instead of
-- by id; as on SQLite (its 0015), so both stores list and claim in one order.
--
-- Both indexes held each job's id (a 36-byte UUID) only to break ties of
-- created_at. Ties are rare (one node's clock hands out strictly increasing
-- times; nodes tie only within the same nanosecond), and ordering them by a
-- random id told a user nothing. seq orders them as they were inserted (the
-- first inserted is claimed first and listed second), in 8 bytes.
--
-- Existing jobs are numbered in their old order (created_at, then id), so
-- no list or claim order changes; the table is rewritten once, inside this
-- migration's transaction (job writes wait for it). GENERATED ALWAYS: no
-- insert may choose its own number.

ALTER TABLE jobs ADD COLUMN seq bigint;
UPDATE jobs SET seq = numbered.seq
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS seq FROM jobs) AS numbered
WHERE jobs.id = numbered.id;
ALTER TABLE jobs ALTER COLUMN seq SET NOT NULL;
ALTER TABLE jobs ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('jobs', 'seq'), coalesce(max(seq), 0) + 1, false) FROM jobs;

DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (created_at, seq) WHERE status = 'pending';
DROP INDEX jobs_listing;
CREATE INDEX jobs_listing ON jobs (created_at, seq);

CREATE OR REPLACE FUNCTION jobs_claimable(now_ns bigint, how_many bigint) RETURNS SETOF text
LANGUAGE sql VOLATILE
SET enable_sort = off
AS $$
  SELECT id FROM jobs
  WHERE status = 'pending' AND run_after <= now_ns AND expires_at > now_ns
  ORDER BY created_at, seq
  LIMIT how_many
  FOR UPDATE SKIP LOCKED
$$;
