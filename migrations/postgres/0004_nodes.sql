-- 0004_nodes: several jobsd nodes on one store.
--
-- Tables:
--   nodes        one row per live node (engine/queue/cluster.h NodeBeat),
--                refreshed by its heartbeat; a node that left cleanly deletes
--                its row, a dead one's row ages and is pruned by the leader.
--   leadership   one row per role ('maintenance'): the node that holds it and
--                until when (ns). A node takes it when it is free or lapsed,
--                keeps it by beating; rescue and retention run only there.
--
-- Wake-ups: every statement that makes a job pending (a new job, a retry, a
-- release, a rescue) notifies channel jobsd_jobs with the schema's name as
-- payload, in the same transaction, so it is delivered only if the change
-- commits. Each node LISTENs and wakes a sleeping worker; polling stays as
-- the fallback.

CREATE TABLE nodes (
  node_id text PRIMARY KEY,  -- host:pid:random, as in jobs.claimed_by
  host text NOT NULL,
  pid bigint NOT NULL,
  started_at bigint NOT NULL,    -- ns
  last_beat_at bigint NOT NULL   -- ns
);

CREATE TABLE leadership (
  role text PRIMARY KEY,
  node_id text NOT NULL,
  since bigint NOT NULL,       -- ns: when this node took it
  expires_at bigint NOT NULL   -- ns: free for another node from then on
);

CREATE FUNCTION jobs_notify_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pending_jobs WHERE status = 'pending') THEN
    PERFORM pg_notify('jobsd_jobs', current_schema());
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
  REFERENCING NEW TABLE AS pending_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_pending();
CREATE TRIGGER jobs_notify_update AFTER UPDATE ON jobs
  REFERENCING NEW TABLE AS pending_jobs FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_pending();

CREATE VIEW nodes_readable AS
SELECT
  n.node_id, n.host, n.pid,
  to_timestamp(n.started_at / 1e9) AS started_at,
  to_timestamp(n.last_beat_at / 1e9) AS last_beat_at,
  (l.node_id IS NOT NULL) AS leads_maintenance
FROM nodes n
LEFT JOIN leadership l ON l.role = 'maintenance' AND l.node_id = n.node_id;
