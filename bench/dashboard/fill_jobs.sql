-- A store with many finished jobs for bench/dashboard.sh, written straight
-- into SQLite because the API would take hours: :count rows go pending ->
-- started -> failed as the store's triggers demand, one per millisecond of
-- created_at going back from now, all expiring in six days.
-- Usage: sqlite3 STORE ".param set :count 1000000" ".read fill_jobs.sql"
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
CREATE TEMP TABLE bench_now AS SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) * 1000000 AS ns;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO jobs (id, job_type, status, params, attempts, max_attempts, created_at, updated_at,
                  run_after, expires_at)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
             substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) ||
             substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       'order_export', 'pending', 'eq(order_number,none)', 0, 3,
       (SELECT ns FROM bench_now) - i * 1000000, (SELECT ns FROM bench_now) - i * 1000000,
       (SELECT ns FROM bench_now), (SELECT ns FROM bench_now) + 6 * 86400 * 1000000000
FROM n;
UPDATE jobs SET status = 'started', attempts = 1, claimed_by = 'bench', claim_token = 'bench',
                lease_expires_at = (SELECT ns FROM bench_now)
WHERE status = 'pending';
UPDATE jobs SET status = 'failed', error = 'No results matched the supplied filter',
                claimed_by = NULL, claim_token = NULL, lease_expires_at = NULL
WHERE status = 'started';
COMMIT;
