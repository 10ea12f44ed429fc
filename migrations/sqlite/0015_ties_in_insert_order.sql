-- 0015_ties_in_insert_order: jobs_claim and jobs_listing order ties of
-- created_at by seq (insertion order) instead of id.
--
-- Both indexes held each job's id (36 bytes of text) only to break ties of
-- created_at, which one process never makes (its clock hands out strictly
-- increasing times). Since 0014 the ids the store makes are random-looking,
-- so the tie-break also ordered nothing a user could see. seq, an integer
-- that grows with every insert, breaks ties as well, in an order that means
-- something (of two jobs created at the same instant, the first inserted is
-- claimed first and listed second), and takes a few bytes instead of 36.
-- Measured with `bench/schema_cost.sh` (raw SQLite, batches of 1000): the WAL
-- pages each batch of 1000 jobs writes went from 117-123 to 95-102.
--
-- seq is named in the index, not left to the rowid SQLite appends to every
-- index entry: the covering columns after it (run_after, expires_at) would
-- otherwise come between created_at and the rowid, and the listing and the
-- claim could no longer read their order from the index.

DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (created_at, seq, run_after, expires_at)
  WHERE status = 'pending';
DROP INDEX jobs_listing;
CREATE INDEX jobs_listing ON jobs (created_at, seq, expires_at);
