-- 0010_claim_in_index_order: the jobs a claim takes, found the one way that
-- stays fast whatever the table's statistics say.
--
-- A claim wants the oldest claimable pending jobs, a few at a time. The fast
-- plan walks jobs_claim (created_at, id) in order and stops after `how_many`
-- rows. When the statistics say the queue is nearly empty (a table never
-- analysed, or analysed while it was idle, before a burst of jobs), the
-- planner prefers to fetch every pending job and sort them, and does so on
-- every claim: measured on a new database with 10,000 pending jobs, one
-- jobsd node drained them with 26 s of server CPU instead of 2, and three
-- nodes at a third of the rate of one. Autovacuum corrects the statistics
-- only a minute or more later. Turning sorts off for this one query leaves
-- the planner no plan but the ordered index scan.
--
-- A function because SET clauses apply to its body only: the claim stays one
-- statement, and no other statement on the connection plans differently.
-- FOR UPDATE SKIP LOCKED: claims on every node run at once, each taking rows
-- no other claim holds, never waiting for one another. The caller locks the
-- returned ids again in its UPDATE (already held: no wait).
CREATE FUNCTION jobs_claimable(now_ns bigint, how_many bigint) RETURNS SETOF text
LANGUAGE sql VOLATILE
SET enable_sort = off
AS $$
  SELECT id FROM jobs
  WHERE status = 'pending' AND run_after <= now_ns AND expires_at > now_ns
  ORDER BY created_at, id
  LIMIT how_many
  FOR UPDATE SKIP LOCKED
$$;
