#!/usr/bin/env bash
# Benchmark (not a test): memory. Prints, and writes to bench/RESULTS-memory.md:
#  - `orders seed` of N orders (default 1,000,000): peak RSS and time;
#  - `orders import` of the same N orders as JSON Lines into a new store: peak RSS and time;
#  - the reference: `sqlite3 .import` of a CSV of the same rows into a table of the same
#    columns (then with the store's secondary indexes built, as the import leaves them);
#  - `jobsd serve`: RSS idle, at the peak of a burst (POSTs from wrk, then big list pages),
#    and 60 s after the burst.
#
#   bench/memory.sh                          # builds Release into build-bench, ~10 minutes
#   BENCH_MEMORY_ORDERS=200000 bench/memory.sh
#   BENCH_MEMORY_ONLY="serve" bench/memory.sh  # any of: seed import serve
#   JOBSD_BINARY=/path/to/jobsd BENCH_NO_BUILD=1 bench/memory.sh  # another binary, no build
# BENCH_MEMORY_OUT: where the results go (default bench/RESULTS-memory.md).
# Scratch in /tmp, removed at the end; everything listens on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/ccache-env.sh
source bench/post_lua.sh
count=${BENCH_MEMORY_ORDERS:-1000000}
only=" ${BENCH_MEMORY_ONLY:-seed import serve} "
build=${BENCH_BUILD_DIR:-build-bench}
out=${BENCH_MEMORY_OUT:-$root/bench/RESULTS-memory.md}
burst_seconds=${BENCH_MEMORY_BURST_SECONDS:-10}
after_seconds=${BENCH_MEMORY_AFTER_SECONDS:-60}
for tool in sqlite3 wrk curl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done
log() { echo "bench memory: $*" >&2; }

if [[ -z ${BENCH_NO_BUILD:-} ]]; then
  log "building Release into $build"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" -j"${JOBSD_JOBS:-2}" jobsd >&2
fi
jobsd=${JOBSD_BINARY:-$root/$build/jobsd}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit+=" plus uncommitted changes"
fi
uptime_start=$(uptime)

work=$(mktemp -d /tmp/jobsd-memory-bench.XXXXXX)
serve_pid=
cleanup() {
  if [[ -n $serve_pid ]]; then kill -TERM "$serve_pid" 2>/dev/null || true; wait "$serve_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export TMPDIR=$work  # the import's staging database and SQLite's temporary files

# measure NAME CMD...: runs CMD under /usr/bin/time; NAME.s (wall seconds) and NAME.mib (peak RSS).
declare -A R
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
    echo "bench: $name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
  read -r R[$name.s] kib <"$work/$name.time"
  R[$name.mib]=$(awk -v k="$kib" 'BEGIN { printf "%.0f", k / 1024 }')
  log "$name: ${R[$name.s]} s, peak RSS ${R[$name.mib]} MiB"
}
fresh_db() { rm -f "$1" "$1-wal" "$1-shm"; }

seed_db=$work/seed.db
if [[ $only == *" seed "* || $only == *" import "* ]]; then
  measure seed "$jobsd" orders seed --count "$count" --db "$seed_db"
  [[ $(sqlite3 "$seed_db" 'SELECT count(*) FROM orders') == "$count" ]] || {
    echo "bench: the seed did not write $count orders" >&2; exit 1; }
fi

if [[ $only == *" import "* ]]; then
  log "writing the same orders as JSON Lines and as CSV"
  sqlite3 "$seed_db" <bench/memory/orders_jsonl.sql >"$work/orders.jsonl"
  sqlite3 -csv "$seed_db" 'SELECT * FROM orders ORDER BY id' >"$work/orders.csv"
  R[jsonl.mib]=$(du -m "$work/orders.jsonl" | cut -f1)
  R[csv.mib]=$(du -m "$work/orders.csv" | cut -f1)
  fresh_db "$work/import.db"
  "$jobsd" migrate --db "$work/import.db" >/dev/null
  measure import "$jobsd" orders import --db "$work/import.db" "$work/orders.jsonl"
  [[ $(sqlite3 "$work/import.db" 'SELECT count(*) FROM orders') == "$count" ]] || {
    echo "bench: the import did not write $count orders" >&2; exit 1; }
  # The same table (the store's own CREATE TABLE), in WAL mode with synchronous = FULL as
  # jobsd's store; .import runs in one transaction. CSV has no NULL (an absent amount is an
  # empty field, imported as ''), so the CHECK of anonymized, which '' fails, is left out.
  sqlite3 "$seed_db" '.schema orders' | grep -v '^CREATE INDEX' |
    sed 's/ CHECK (anonymized IN (0, 1))//' >"$work/table.sql"
  sqlite3 "$seed_db" '.schema orders' | grep '^CREATE INDEX' >"$work/indexes.sql"
  fresh_db "$work/ref.db"
  sqlite3 "$work/ref.db" 'PRAGMA journal_mode = WAL' '.read '"$work/table.sql" >/dev/null
  measure sqlite3_import sqlite3 "$work/ref.db" 'PRAGMA synchronous = FULL' \
    ".import --csv $work/orders.csv orders"
  measure sqlite3_indexes sqlite3 "$work/ref.db" 'PRAGMA synchronous = FULL' \
    ".read $work/indexes.sql"
  [[ $(sqlite3 "$work/ref.db" 'SELECT count(*) FROM orders') == "$count" ]] || {
    echo "bench: sqlite3 .import did not write $count orders" >&2; exit 1; }
  R[sqlite3_total.s]=$(awk -v a="${R[sqlite3_import.s]}" -v b="${R[sqlite3_indexes.s]}" \
    'BEGIN { printf "%.2f", a + b }')
fi

rss_mib() { awk -v k="$2" '$1 == k":" { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
if [[ $only == *" serve "* ]]; then
  db=$work/serve.db
  fresh_db "$db"
  mkdir -p "$work/exports"
  "$jobsd" credentials create --json --db "$db" >"$work/creds.json"
  "$jobsd" serve --db "$db" --exports "$work/exports" --listen 127.0.0.1:0 --workers 1 \
    --max-active-jobs 0 >"$work/serve.out" 2>"$work/serve.err" &
  serve_pid=$!
  url=
  for _ in $(seq 300); do
    url=$(sed -n 's/^jobsd listening on \(http:[^ ]*\) .*/\1/p' "$work/serve.out")
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { cat "$work/serve.err" >&2; echo "bench: serve did not start" >&2; exit 1; }
  id=$(sed 's/.*"client_id":"\([^"]*\)".*/\1/' "$work/creds.json")
  secret=$(sed 's/.*"client_secret":"\([^"]*\)".*/\1/' "$work/creds.json")
  token=$(curl -sf "$url/oauth/access_token" -d grant_type=client_credentials -d "client_id=$id" \
    -d "client_secret=$secret" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  sleep 5
  R[idle.mib]=$(rss_mib "$serve_pid" VmRSS)
  log "serve idle: ${R[idle.mib]} MiB"
  write_post_lua "$work/post.lua" "$token"
  wrk -t2 -c64 -d"${burst_seconds}s" --timeout 10s -s "$work/post.lua" "$url/v2/jobs" >"$work/post.wrk"
  R[posts]=$(awk '/requests in/ { print $1 }' "$work/post.wrk")
  wrk -t2 -c64 -d"${burst_seconds}s" --timeout 10s -H "Authorization: Bearer $token" \
    "$url/v2/jobs?page%5Blimit%5D=100" >"$work/list.wrk"
  R[lists]=$(awk '/requests in/ { print $1 }' "$work/list.wrk")
  R[peak.mib]=$(rss_mib "$serve_pid" VmHWM)
  R[burst_end.mib]=$(rss_mib "$serve_pid" VmRSS)
  log "serve after ${R[posts]} POSTs and ${R[lists]} lists of 100: peak ${R[peak.mib]} MiB," \
    "${R[burst_end.mib]} MiB at the end; waiting ${after_seconds} s"
  sleep "$after_seconds"
  R[after.mib]=$(rss_mib "$serve_pid" VmRSS)
  R[after_ratio]=$(awk -v a="${R[after.mib]}" -v i="${R[idle.mib]}" 'BEGIN { printf "%.2f", a / i }')
  log "serve ${after_seconds} s after: ${R[after.mib]} MiB (${R[after_ratio]}x idle)"
  kill -TERM "$serve_pid"; wait "$serve_pid" || true; serve_pid=
fi

v() { echo "${R[$1]:-n/a}"; }
{
  echo "# Memory ($(date -u +%F), $(nproc) cores)"
  echo
  echo "Commit $commit; \`bench/memory.sh\` with BENCH_MEMORY_ORDERS=$count$(
    [[ -n ${BENCH_MEMORY_ONLY:-} ]] && echo ", BENCH_MEMORY_ONLY=\"$BENCH_MEMORY_ONLY\"")$(
    [[ -n ${JOBSD_BINARY:-} ]] && echo ", JOBSD_BINARY=${JOBSD_BINARY#"$root"/}")$(
    [[ -n ${BENCH_NO_BUILD:-} ]] && echo ", BENCH_NO_BUILD=1")."
  echo "Machine load at the start: \`${uptime_start# }\`; at the end: \`$(uptime | sed 's/^ *//')\`."
  echo "Peak RSS is /usr/bin/time's maximum resident set size; times are wall clock on a shared"
  echo "machine, so compare them within one run only."
  echo
  echo "| what | peak RSS (MiB) | time (s) |"
  echo "|---|---:|---:|"
  echo "| \`jobsd orders seed --count $count\` | $(v seed.mib) | $(v seed.s) |"
  echo "| \`jobsd orders import\` of the same orders as JSON Lines ($(v jsonl.mib) MiB), new store | $(v import.mib) | $(v import.s) |"
  echo "| \`sqlite3 .import\` of the same orders as CSV ($(v csv.mib) MiB), table only | $(v sqlite3_import.mib) | $(v sqlite3_import.s) |"
  echo "| the same, then the store's $(wc -l <"$work/indexes.sql" 2>/dev/null || echo n/a) secondary indexes of orders | $(v sqlite3_indexes.mib) | $(v sqlite3_total.s) (both) |"
  echo
  echo "jobsd's import also parses JSON, writes the order_items of every order and their two"
  echo "indexes, and commits with synchronous = FULL; sqlite3 loads only the orders table."
  echo
  echo "| \`jobsd serve\` (SQLite, 1 worker) | RSS (MiB) |"
  echo "|---|---:|"
  echo "| idle, 5 s after start | $(v idle.mib) |"
  echo "| peak (VmHWM) after $(v posts) POSTs and $(v lists) lists of 100 jobs (wrk -t2 -c64, ${burst_seconds} s each) | $(v peak.mib) |"
  echo "| at the end of the burst | $(v burst_end.mib) |"
  echo "| ${after_seconds} s after the burst | $(v after.mib) ($(v after_ratio)x idle) |"
} >"$out"
cat "$out"
