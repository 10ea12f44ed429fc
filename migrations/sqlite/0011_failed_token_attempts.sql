-- 0011_failed_token_attempts: failed POST /oauth/access_token requests of
-- existing clients, so that "at most 10 failures per client_id a minute"
-- holds for every process on the store, not for each one apart.
--
-- Tables:
--   failed_token_attempts  one row per failure (client_id, attempted_at in
--                          ns); rows older than the minute are deleted by
--                          the next failure, and a client's by its next
--                          success or its revocation (ON DELETE CASCADE).

CREATE TABLE failed_token_attempts (
  client_id TEXT NOT NULL REFERENCES api_clients (client_id) ON DELETE CASCADE,
  attempted_at INTEGER NOT NULL  -- ns
);
CREATE INDEX failed_token_attempts_client ON failed_token_attempts (client_id, attempted_at);
CREATE INDEX failed_token_attempts_at ON failed_token_attempts (attempted_at);
