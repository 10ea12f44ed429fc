-- 0012_listing_index_ascending: jobs_listing in ascending order, as on
-- SQLite (its 0013).
--
-- GET /v2/jobs reads newest first, and 0001 built the index that way:
-- (created_at DESC, id DESC). Every new job then goes to the index's
-- leftmost page, which PostgreSQL splits in the middle (only the rightmost
-- page is split to keep the left one full): the index stayed about half
-- empty (measured: 200,000 rows, 24.2 MB descending against 13.6 MB
-- ascending). Ascending, new jobs are appended; the listing is an index scan
-- backward, with no sort, as before.
--
-- The new index is built inside this migration's transaction: job writes
-- wait for it (a few seconds for a million jobs), once.

DROP INDEX jobs_listing;
CREATE INDEX jobs_listing ON jobs (created_at, id);
