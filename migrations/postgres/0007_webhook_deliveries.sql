-- 0007_webhook_deliveries: the outbox of completion webhooks, as in
-- migrations/sqlite/0010_webhook_deliveries.sql (which says why a trigger,
-- and why not jobs of the engine's own queue: GET /v2/jobs, its counts,
-- cache, retention and state machine would all have to hide them, and a
-- delivery's life, retried at a time and given up after a window, is not a
-- job's). Several nodes claim rows with FOR UPDATE SKIP LOCKED, so two
-- nodes never send the same row at once.

CREATE TABLE webhook_deliveries (
  webhook_id text COLLATE "C" PRIMARY KEY,  -- "msg_" + 32 hex digits
  endpoint_id text COLLATE "C" NOT NULL,    -- no foreign key: outlives its endpoint
  job_id text COLLATE "C" NOT NULL,
  event text NOT NULL CHECK (event IN ('job.succeeded', 'job.failed')),
  created_at bigint NOT NULL,       -- ns, the job's finish time
  next_attempt_at bigint NOT NULL,  -- ns
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  claim_token text,
  lease_until bigint,               -- ns
  CHECK ((claim_token IS NULL) = (lease_until IS NULL))
);
REVOKE ALL ON webhook_deliveries FROM PUBLIC;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);

CREATE FUNCTION webhook_deliveries_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (webhook_id, endpoint_id, job_id, event, created_at,
                                  next_attempt_at)
  SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, NEW.id,
         CASE NEW.status WHEN 'success' THEN 'job.succeeded' ELSE 'job.failed' END,
         NEW.updated_at, NEW.updated_at
  FROM webhook_endpoints AS e
  WHERE CASE NEW.status WHEN 'success' THEN e.on_succeeded ELSE e.on_failed END
  ORDER BY e.created_at, e.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER webhook_deliveries_queue AFTER UPDATE OF status ON jobs
  FOR EACH ROW
  WHEN (NEW.status IN ('success', 'failed') AND OLD.status NOT IN ('success', 'failed'))
  EXECUTE FUNCTION webhook_deliveries_queue();
