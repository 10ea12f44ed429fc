-- 0011_webhook_deliveries_per_statement: the outbox of 0007 filled once per
-- statement instead of once per finished job.
--
-- 0007's trigger ran a PL/pgSQL function, and in it a query on
-- webhook_endpoints, for every job that finished, whether or not any
-- endpoint exists. The completer finishes jobs hundreds at a time, so that
-- was the largest cost per job left on the server: with it disabled, one
-- node drained 10,000 no-op jobs at 12,030 jobs/s instead of 9,988-10,622.
-- Now one statement-level trigger compares the rows before and after
-- (transition tables) and queues every delivery the statement owes in one
-- INSERT, skipped at once when there is no endpoint. Same rows as before:
-- one per finished job and subscribed endpoint, created at the job's finish.
DROP TRIGGER webhook_deliveries_queue ON jobs;
DROP FUNCTION webhook_deliveries_queue();

CREATE FUNCTION webhook_deliveries_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints) THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (webhook_id, endpoint_id, job_id, event, created_at,
                                  next_attempt_at)
  SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, n.id,
         CASE n.status WHEN 'success' THEN 'job.succeeded' ELSE 'job.failed' END,
         n.updated_at, n.updated_at
  FROM finished_after AS n
  JOIN finished_before AS o ON o.id = n.id
  JOIN webhook_endpoints AS e
    ON CASE n.status WHEN 'success' THEN e.on_succeeded ELSE e.on_failed END
  WHERE n.status IN ('success', 'failed') AND o.status NOT IN ('success', 'failed')
  ORDER BY n.updated_at, n.id, e.created_at, e.id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER webhook_deliveries_queue AFTER UPDATE ON jobs
  REFERENCING OLD TABLE AS finished_before NEW TABLE AS finished_after
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_queue();
