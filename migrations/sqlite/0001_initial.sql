-- 0001_initial: the first jobsd schema.
--
-- Units: every *_at column and run_after are INTEGER nanoseconds since the
-- Unix epoch, UTC (engine/time.h Nanos). Integers compare and index exactly;
-- the views at the end show them as RFC 3339 text for people using sqlite3.
-- Amounts are INTEGER minor units (cents). Booleans are INTEGER 0/1.
--
-- Tables:
--   orders          one row per imported order, one column per CSV column of
--                   the export (API.md section 4, engine/orders/order.h
--                   kOrderColumns), so the export is a plain SELECT. Absent
--                   text is '' (NOT NULL DEFAULT ''), absent numbers NULL.
--   order_items     the items of an order (product_id/product_sku filters).
--   jobs            the job queue and its history; status follows the state
--                   machine of engine/queue/job.h, enforced by a trigger below.
--   api_clients     client credentials: only a salted SHA-256 of the secret.
--   access_tokens   bearer tokens: only a SHA-256 of the token.
-- schema_migrations (version, name, applied_at) is created by the migrator.

CREATE TABLE orders (
  id TEXT PRIMARY KEY NOT NULL,
  order_number TEXT NOT NULL DEFAULT '',
  external_ref TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  payment TEXT NOT NULL DEFAULT '',
  shipping TEXT NOT NULL DEFAULT '',
  anonymized INTEGER CHECK (anonymized IN (0, 1)),
  customer_id TEXT NOT NULL DEFAULT '',
  customer_name TEXT NOT NULL DEFAULT '',
  customer_email TEXT NOT NULL DEFAULT '',
  account_id TEXT NOT NULL DEFAULT '',
  account_member_id TEXT NOT NULL DEFAULT '',
  contact_name TEXT NOT NULL DEFAULT '',
  contact_email TEXT NOT NULL DEFAULT '',
  currency TEXT NOT NULL DEFAULT '',
  with_tax INTEGER,
  without_tax INTEGER,
  tax INTEGER,
  discount INTEGER,
  shipping_amount INTEGER,
  balance_owing INTEGER,
  paid INTEGER,
  authorized INTEGER,
  item_count INTEGER NOT NULL DEFAULT 0,     -- sum of item quantities
  product_skus TEXT NOT NULL DEFAULT '',     -- distinct SKUs, byte-sorted, '|'-joined
  shipping_first_name TEXT NOT NULL DEFAULT '',
  shipping_last_name TEXT NOT NULL DEFAULT '',
  shipping_phone_number TEXT NOT NULL DEFAULT '',
  shipping_company_name TEXT NOT NULL DEFAULT '',
  shipping_line_1 TEXT NOT NULL DEFAULT '',
  shipping_line_2 TEXT NOT NULL DEFAULT '',
  shipping_city TEXT NOT NULL DEFAULT '',
  shipping_postcode TEXT NOT NULL DEFAULT '',
  shipping_county TEXT NOT NULL DEFAULT '',
  shipping_country TEXT NOT NULL DEFAULT '',
  shipping_region TEXT NOT NULL DEFAULT '',
  shipping_instructions TEXT NOT NULL DEFAULT '',
  billing_first_name TEXT NOT NULL DEFAULT '',
  billing_last_name TEXT NOT NULL DEFAULT '',
  billing_company_name TEXT NOT NULL DEFAULT '',
  billing_line_1 TEXT NOT NULL DEFAULT '',
  billing_line_2 TEXT NOT NULL DEFAULT '',
  billing_city TEXT NOT NULL DEFAULT '',
  billing_postcode TEXT NOT NULL DEFAULT '',
  billing_county TEXT NOT NULL DEFAULT '',
  billing_country TEXT NOT NULL DEFAULT '',
  billing_region TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,  -- ns since epoch UTC
  updated_at INTEGER NOT NULL   -- ns since epoch UTC
);

-- The export reads orders in this order (created_at, then id).
CREATE INDEX orders_export_order ON orders (created_at, id);
-- One index per filterable column (API.md section 6).
CREATE INDEX orders_status ON orders (status);
CREATE INDEX orders_payment ON orders (payment);
CREATE INDEX orders_shipping ON orders (shipping);
CREATE INDEX orders_customer_email ON orders (customer_email);
CREATE INDEX orders_customer_id ON orders (customer_id);
CREATE INDEX orders_account_id ON orders (account_id);
CREATE INDEX orders_currency ON orders (currency);
CREATE INDEX orders_with_tax ON orders (with_tax);
CREATE INDEX orders_updated_at ON orders (updated_at);
CREATE INDEX orders_order_number ON orders (order_number);
CREATE INDEX orders_external_ref ON orders (external_ref);
CREATE INDEX orders_shipping_postcode ON orders (shipping_postcode);
CREATE INDEX orders_billing_postcode ON orders (billing_postcode);

CREATE TABLE order_items (
  order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  product_id TEXT NOT NULL DEFAULT '',
  sku TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  quantity INTEGER NOT NULL DEFAULT 0,
  unit_price_amount INTEGER,  -- minor units; NULL when absent
  PRIMARY KEY (order_id, id)
) WITHOUT ROWID;  -- the key is the row: one B-tree less to write per item
CREATE INDEX order_items_sku ON order_items (sku, order_id);
CREATE INDEX order_items_product_id ON order_items (product_id, order_id);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL,  -- UUID v4, lowercase
  job_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'started', 'success', 'failed')),
  filter TEXT NOT NULL DEFAULT '',  -- as submitted; '' means every order
  error TEXT,                       -- why it failed (or last retryable error)
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- claims so far
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  created_at INTEGER NOT NULL,  -- ns
  updated_at INTEGER NOT NULL,  -- ns; changes on every status change
  run_after INTEGER NOT NULL,   -- ns; not claimed before (retry backoff)
  expires_at INTEGER NOT NULL,  -- ns; created_at + retention, then invisible
  claimed_by TEXT,              -- worker id while started
  claim_token TEXT,             -- secret of the current claim (compare-and-set)
  lease_expires_at INTEGER,     -- ns; the rescuer takes the job back after it
  file_path TEXT,               -- the CSV, once succeeded
  file_token TEXT UNIQUE,       -- secret part of the public file URL
  row_count INTEGER,
  idempotency_key TEXT UNIQUE,  -- Idempotency-Key header, NULL once expired/replaced
  request_hash TEXT,            -- what the key was used for
  idempotency_expires_at INTEGER,  -- ns
  -- A started job always has its claim; no other job has one.
  CHECK ((status = 'started') = (claim_token IS NOT NULL AND claimed_by IS NOT NULL
                                 AND lease_expires_at IS NOT NULL))
);

-- Claim path: the oldest pending jobs, by (created_at, id).
CREATE INDEX jobs_claim ON jobs (created_at, id, run_after, expires_at)
  WHERE status = 'pending';
-- When to wake up next (earliest run_after of a pending job).
CREATE INDEX jobs_pending_run_after ON jobs (run_after) WHERE status = 'pending';
-- GET /v2/jobs: newest first.
CREATE INDEX jobs_listing ON jobs (created_at DESC, id DESC);
-- Retention sweep.
CREATE INDEX jobs_expires_at ON jobs (expires_at);
-- Releasing a worker's claims at shutdown.
CREATE INDEX jobs_claimed_by ON jobs (claimed_by) WHERE status = 'started';
-- Rescuing jobs whose worker stopped renewing its lease.
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'started';

-- Jobs are born pending.
CREATE TRIGGER jobs_insert_pending BEFORE INSERT ON jobs
WHEN NEW.status IS NOT 'pending'
BEGIN
  SELECT RAISE(ABORT, 'a job must be created pending');
END;

-- The state machine of engine/queue/job.h (IsAllowedTransition), enforced here too
-- so that no code path, and no person with the sqlite3 shell, can move a job
-- where the table forbids:
--   pending -> started; started -> success | failed | pending.
CREATE TRIGGER jobs_status_transition BEFORE UPDATE OF status ON jobs
WHEN NEW.status IS NOT OLD.status
  AND NOT ((OLD.status = 'pending' AND NEW.status = 'started')
        OR (OLD.status = 'started' AND NEW.status IN ('success', 'failed', 'pending')))
BEGIN
  SELECT RAISE(ABORT, 'forbidden job status transition');
END;

CREATE TABLE api_clients (
  client_id TEXT PRIMARY KEY NOT NULL,
  secret_salt TEXT NOT NULL,  -- hex
  secret_hash TEXT NOT NULL,  -- hex SHA-256 of salt || secret
  created_at INTEGER NOT NULL  -- ns
);

CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY NOT NULL,  -- hex SHA-256 of the token
  client_id TEXT NOT NULL REFERENCES api_clients (client_id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL  -- ns
);
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- For people: jobs with readable UTC timestamps (millisecond precision).
CREATE VIEW jobs_readable AS
SELECT
  id,
  job_type,
  status,
  filter,
  error,
  attempts,
  max_attempts,
  strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1e9, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1e9, 'unixepoch') AS updated_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', run_after / 1e9, 'unixepoch') AS run_after,
  strftime('%Y-%m-%dT%H:%M:%fZ', expires_at / 1e9, 'unixepoch') AS expires_at,
  claimed_by,
  strftime('%Y-%m-%dT%H:%M:%fZ', lease_expires_at / 1e9, 'unixepoch') AS lease_expires_at,
  file_path,
  row_count,
  idempotency_key
FROM jobs;

-- For people: orders with readable UTC timestamps.
CREATE VIEW orders_readable AS
SELECT
  id,
  order_number,
  status,
  payment,
  shipping,
  customer_name,
  customer_email,
  currency,
  with_tax,
  item_count,
  product_skus,
  strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1e9, 'unixepoch') AS created_at,
  strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1e9, 'unixepoch') AS updated_at
FROM orders;
