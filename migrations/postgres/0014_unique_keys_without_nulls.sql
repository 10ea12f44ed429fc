-- 0014_unique_keys_without_nulls: the unique indexes on idempotency_key and
-- artifact_token hold only the jobs that have one.
--
-- 0001 declared both columns UNIQUE, and a unique constraint indexes every
-- row, NULL included. Most jobs carry no idempotency key, and no job has a
-- download token before it succeeds, so both indexes were mostly runs of
-- NULL entries. Changing status cannot be a HOT update (status is in the
-- predicates of the partial indexes), so every claim and every completion
-- wrote a new NULL entry into each of the two, and PostgreSQL spent more
-- time again pruning those runs of equal keys. As partial indexes they stay
-- empty for such jobs: a claim writes 4 index entries instead of 6, a
-- completion 3 instead of 5, an insert 5 instead of 7. Measured with
-- `jobsd_queue_bench drain --workers 2 --nodes K` on 20,000 jobs, four
-- alternating runs on one durable PostgreSQL 15: one node 14,339 -> 16,268
-- jobs/s (means), three nodes 10,662 -> 11,785.
--
-- Uniqueness is unchanged: NULLs never conflicted. Lookups by key or token
-- (`= $1`) still use the indexes, since `=` is strict and implies NOT NULL;
-- an insert names the predicate in ON CONFLICT (idempotency_key) WHERE
-- idempotency_key IS NOT NULL, which a full unique index satisfies too, so
-- a node of this version works before and after this migration. A node
-- older than it that is still running fails to create jobs that carry an
-- Idempotency-Key (PostgreSQL finds no arbiter for its plain ON CONFLICT);
-- every other request works: upgrade every node after migrating.
--
-- The indexes are built inside this migration's transaction: job writes
-- wait for the table scan (about a second for a million jobs), once.

CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
ALTER TABLE jobs DROP CONSTRAINT jobs_idempotency_key_key;

CREATE UNIQUE INDEX jobs_artifact_token ON jobs (artifact_token)
  WHERE artifact_token IS NOT NULL;
ALTER TABLE jobs DROP CONSTRAINT jobs_artifact_token_key;
