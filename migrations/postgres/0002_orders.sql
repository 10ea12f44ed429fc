-- 0002_orders: the orders an export reads, on PostgreSQL.
--
-- The same tables, columns and units as the SQLite store
-- (migrations/sqlite/0001_initial.sql): one column per CSV column of the
-- export (API.md section 4, engine/orders/order.h kOrderColumns), absent
-- text '' (NOT NULL DEFAULT ''), absent numbers NULL, times as bigint
-- nanoseconds since the Unix epoch, UTC. anonymized is a boolean (SQLite
-- keeps 0/1); the store hands both out as 0/1.
--
-- Every text column is COLLATE "C": comparisons, ORDER BY and the indexes
-- then go by byte value, as SQLite's BINARY collation does, whatever the
-- database's default collation. That is what makes a filter select the same
-- rows, and an export list them in the same order, on both stores (API.md
-- section 6); `like` adds lower(x COLLATE "C"), which folds ASCII letters
-- only (storage/filter_sql.cc).
--
-- Tables:
--   orders       one row per imported order.
--   order_items  the items of an order (product_id/product_sku filters).
-- Imports stage their rows in temporary tables of their own connection and
-- merge them here in one short transaction
-- (storage/postgres/postgres_order_import.cc).

CREATE TABLE orders (
  id text COLLATE "C" PRIMARY KEY,
  order_number text COLLATE "C" NOT NULL DEFAULT '',
  external_ref text COLLATE "C" NOT NULL DEFAULT '',
  status text COLLATE "C" NOT NULL DEFAULT '',
  payment text COLLATE "C" NOT NULL DEFAULT '',
  shipping text COLLATE "C" NOT NULL DEFAULT '',
  anonymized boolean,
  customer_id text COLLATE "C" NOT NULL DEFAULT '',
  customer_name text COLLATE "C" NOT NULL DEFAULT '',
  customer_email text COLLATE "C" NOT NULL DEFAULT '',
  account_id text COLLATE "C" NOT NULL DEFAULT '',
  account_member_id text COLLATE "C" NOT NULL DEFAULT '',
  contact_name text COLLATE "C" NOT NULL DEFAULT '',
  contact_email text COLLATE "C" NOT NULL DEFAULT '',
  currency text COLLATE "C" NOT NULL DEFAULT '',
  with_tax bigint,  -- amounts in minor units
  without_tax bigint,
  tax bigint,
  discount bigint,
  shipping_amount bigint,
  balance_owing bigint,
  paid bigint,
  authorized bigint,
  item_count bigint NOT NULL DEFAULT 0,             -- sum of item quantities
  product_skus text COLLATE "C" NOT NULL DEFAULT '',  -- distinct SKUs, byte-sorted, '|'-joined
  shipping_first_name text COLLATE "C" NOT NULL DEFAULT '',
  shipping_last_name text COLLATE "C" NOT NULL DEFAULT '',
  shipping_phone_number text COLLATE "C" NOT NULL DEFAULT '',
  shipping_company_name text COLLATE "C" NOT NULL DEFAULT '',
  shipping_line_1 text COLLATE "C" NOT NULL DEFAULT '',
  shipping_line_2 text COLLATE "C" NOT NULL DEFAULT '',
  shipping_city text COLLATE "C" NOT NULL DEFAULT '',
  shipping_postcode text COLLATE "C" NOT NULL DEFAULT '',
  shipping_county text COLLATE "C" NOT NULL DEFAULT '',
  shipping_country text COLLATE "C" NOT NULL DEFAULT '',
  shipping_region text COLLATE "C" NOT NULL DEFAULT '',
  shipping_instructions text COLLATE "C" NOT NULL DEFAULT '',
  billing_first_name text COLLATE "C" NOT NULL DEFAULT '',
  billing_last_name text COLLATE "C" NOT NULL DEFAULT '',
  billing_company_name text COLLATE "C" NOT NULL DEFAULT '',
  billing_line_1 text COLLATE "C" NOT NULL DEFAULT '',
  billing_line_2 text COLLATE "C" NOT NULL DEFAULT '',
  billing_city text COLLATE "C" NOT NULL DEFAULT '',
  billing_postcode text COLLATE "C" NOT NULL DEFAULT '',
  billing_county text COLLATE "C" NOT NULL DEFAULT '',
  billing_country text COLLATE "C" NOT NULL DEFAULT '',
  billing_region text COLLATE "C" NOT NULL DEFAULT '',
  created_at bigint NOT NULL,  -- ns since epoch UTC
  updated_at bigint NOT NULL   -- ns since epoch UTC
);

-- The export reads orders in this order (created_at, then id by bytes).
CREATE INDEX orders_export_order ON orders (created_at, id);
-- One index per filterable column (API.md section 6), as on SQLite.
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
  order_id text COLLATE "C" NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  id text COLLATE "C" NOT NULL,
  product_id text COLLATE "C" NOT NULL DEFAULT '',
  sku text COLLATE "C" NOT NULL DEFAULT '',
  name text COLLATE "C" NOT NULL DEFAULT '',
  quantity bigint NOT NULL DEFAULT 0,
  unit_price_amount bigint,  -- minor units; NULL when absent
  PRIMARY KEY (order_id, id)
);
CREATE INDEX order_items_sku ON order_items (sku, order_id);
CREATE INDEX order_items_product_id ON order_items (product_id, order_id);

-- For people using psql: orders with readable times.
CREATE VIEW orders_readable AS
SELECT
  id, order_number, status, payment, shipping, customer_name, customer_email, currency,
  with_tax, item_count, product_skus,
  to_timestamp(created_at / 1e9) AS created_at,
  to_timestamp(updated_at / 1e9) AS updated_at
FROM orders;
