#!/usr/bin/env bash
# Benchmark (not a test): the dashboard on a store of many jobs. Fills a
# SQLite store with BENCH_DASHBOARD_JOBS finished jobs (default 1,000,000;
# bench/dashboard/fill_jobs.sql, cached in BENCH_CACHE), serves it, and runs
# bench/dashboard/measure.mjs: the job list's API requests (page 1, the tab
# counts, the last page) and the first page in Chromium. Prints Markdown.
#
#   bench/dashboard.sh                 # needs build/jobsd, node, npm, /usr/bin/chromium
#   BENCH_DASHBOARD_JOBS=100000 bench/dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobsd=${JOBSD_BINARY:-$root/build/jobsd}
count=${BENCH_DASHBOARD_JOBS:-1000000}
cache=${BENCH_CACHE:-$root/build-bench/bench-cache}
store=$cache/dashboard-$count.db
mkdir -p "$cache"
if [[ ! -f $store.ok ]]; then
  rm -f "$store" "$store-wal" "$store-shm"
  JOBSD_DB=$store "$jobsd" migrate >/dev/null
  echo "filling $store with $count jobs" >&2
  sqlite3 "$store" ".param set :count $count" ".read bench/dashboard/fill_jobs.sql" >/dev/null
  touch "$store.ok"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-dashboard-bench.XXXXXX")
serve_pid=""
cleanup() {
  if [[ -n $serve_pid ]]; then kill -TERM "$serve_pid" 2>/dev/null || true; wait "$serve_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cp tests/ui/package.json tests/ui/package-lock.json tests/ui/launch_chromium.mjs \
  bench/dashboard/measure.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null 2>&1)
export JOBSD_DB=$store JOBSD_EXPORTS=$work/exports JOBSD_LISTEN=127.0.0.1:0
credentials=$("$jobsd" credentials create --json)
CLIENT_ID=$(node -e 'console.log(JSON.parse(process.argv[1]).client_id)' "$credentials")
CLIENT_SECRET=$(node -e 'console.log(JSON.parse(process.argv[1]).client_secret)' "$credentials")
# Retention far beyond the jobs' six days would expire nothing; the default keeps them all.
"$jobsd" serve --workers 1 >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
url=""
for _ in $(seq 300); do
  url=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/serve.out" | sed 's/listening on //' || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { cat "$work/serve.err" >&2; echo "serve did not start" >&2; exit 1; }
echo "## The dashboard on a store of $count jobs ($(date -u +%F), $(nproc) cores)"
echo
(cd "$work" && JOBSD_URL=$url CLIENT_ID=$CLIENT_ID CLIENT_SECRET=$CLIENT_SECRET node measure.mjs)
