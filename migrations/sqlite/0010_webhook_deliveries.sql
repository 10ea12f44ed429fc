-- 0010_webhook_deliveries: the outbox of completion webhooks (the README's
-- "Completion webhooks"): one row per event and endpoint still to deliver.
--
-- A trigger on jobs queues the rows, so every path that finishes a job (the
-- completer, a cancel, the rescuer giving up, a write at the SQL prompt)
-- queues its deliveries inside its own transaction: a job is never finished
-- without them, and a rolled-back finish queues nothing.
--
-- Why not jobs of the engine's own queue: GET /v2/jobs, its counts, its
-- cache, retention and the pending -> started -> success|failed machine
-- would all have to learn to hide them, and a delivery's life (retried at a
-- given time, given up after a window counted from the event, never
-- "failed" in the listing) is not a job's.
--
--   webhook_id       the webhook-id header: "msg_" + 32 hex digits, one per
--                    event and endpoint, the same on every retry
--   endpoint_id      no foreign key: a removed endpoint leaves its rows,
--                    which the dispatcher drops (recording why)
--   created_at       the job's finish time (its updated_at then), ns: the
--                    body's timestamp and the start of the retry window
--   next_attempt_at  due from then on, ns
--   attempts         tries made so far
--   claim_token, lease_until  held by one dispatcher while it sends (NULL
--                    when unclaimed); a lapsed lease makes the row due again

CREATE TABLE webhook_deliveries (
  webhook_id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('job.succeeded', 'job.failed')),
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  claim_token TEXT,
  lease_until INTEGER,
  CHECK ((claim_token IS NULL) = (lease_until IS NULL))
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);

CREATE TRIGGER webhook_deliveries_queue AFTER UPDATE OF status ON jobs
WHEN NEW.status IN ('success', 'failed') AND OLD.status NOT IN ('success', 'failed')
BEGIN
  INSERT INTO webhook_deliveries (webhook_id, endpoint_id, job_id, event, created_at,
                                  next_attempt_at)
  SELECT 'msg_' || lower(hex(randomblob(16))), e.id, NEW.id,
         CASE NEW.status WHEN 'success' THEN 'job.succeeded' ELSE 'job.failed' END,
         NEW.updated_at, NEW.updated_at
  FROM webhook_endpoints AS e
  WHERE CASE NEW.status WHEN 'success' THEN e.on_succeeded ELSE e.on_failed END = 1
  ORDER BY e.created_at, e.id;
END;
