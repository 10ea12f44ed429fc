-- 0013_listing_index_ascending: jobs_listing in ascending order.
--
-- GET /v2/jobs reads newest first, and 0001/0005 built the index that way:
-- (created_at DESC, id DESC, expires_at). But every new job then goes to the
-- index's first page, and SQLite splits a page it inserts into in the middle
-- unless the insert is at the index's end: the index stayed half empty (308
-- pages where 156 hold the same 10,000 jobs) and a batch insert spent about
-- a tenth of its time splitting it (sqlite3 CLI, 10,000 jobs in one
-- transaction on a fresh store: 103 ms -> 93 ms).
--
-- In ascending order new jobs are appended at the end, where SQLite fills
-- pages whole. The list walks the same index backwards: `ORDER BY created_at
-- DESC, id DESC` still needs no sort, and a deep page skips its rows in the
-- index as before (0005), over half as many pages.

DROP INDEX jobs_listing;
CREATE INDEX jobs_listing ON jobs (created_at, id, expires_at);
