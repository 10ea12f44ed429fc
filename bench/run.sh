#!/usr/bin/env bash
# Benchmarks (not tests): queue throughput, HTTP, export and scale, each figure as a ratio against
# a reference measured in the same run on the same machine. Writes bench/RESULTS.md and prints it.
#
#   bench/run.sh                     # default sizes, about 10 minutes
#   BENCH_SCALE=full bench/run.sh    # the issue's full sizes (1M orders export, 1M jobs + 5M orders)
#   BENCH_SCALE=smoke bench/run.sh   # seconds; CI uses it to keep the benchmarks working
#   BENCH_ONLY=postgres bench/run.sh # several nodes on one PostgreSQL only (bench/postgres.sh)
#
# Sizes (override any): BENCH_JOBS, BENCH_ORDERS, BENCH_SMALL_JOBS, BENCH_SCALE_JOBS,
# BENCH_SCALE_ORDERS, BENCH_REPS, BENCH_WRK_SECONDS, BENCH_LATENCY_SECONDS, BENCH_RAW_TX,
# BENCH_LATENCY_RATE (default: half the sustainable load). BENCH_OUT: where RESULTS.md goes.
# BENCH_ONLY="queue http export scale postgres" runs a subset; BENCH_NO_BUILD=1 skips the build.
# The postgres section writes bench/RESULTS-postgres.md (BENCH_OUT_POSTGRES) and has its own
# variables, listed in bench/postgres.sh.
# Seeded order stores are cached in BENCH_CACHE (default build-bench/bench-cache) because seeding
# is the slowest part and is not what is measured.
# Everything listens on 127.0.0.1 only; every load is bounded in count and time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/ccache-env.sh
started_at=$(date +%s)

scale=${BENCH_SCALE:-default}
case "$scale" in
  smoke)   d_jobs=300    d_single=50    d_small=200  d_orders=2000    d_sjobs=1000
           d_sorders=4000    d_reps=1 d_wrk=1  d_lat=1  d_raw=50 ;;
  default) d_jobs=10000  d_single=1000  d_small=1000 d_orders=200000  d_sjobs=100000
           d_sorders=400000  d_reps=3 d_wrk=5  d_lat=5  d_raw=500 ;;
  full)    d_jobs=100000 d_single=20000 d_small=1000 d_orders=1000000 d_sjobs=1000000
           d_sorders=5000000 d_reps=3 d_wrk=10 d_lat=10 d_raw=5000 ;;
  *) echo "bench: BENCH_SCALE must be smoke, default or full" >&2; exit 2 ;;
esac
jobs_n=${BENCH_JOBS:-$d_jobs}
# One call per job at synchronous=FULL is one fsync per job (a few hundred per second on this
# kind of disk), so that figure gets its own, smaller count.
single_n=${BENCH_SINGLE_JOBS:-$d_single}
small_jobs=${BENCH_SMALL_JOBS:-$d_small}
orders_n=${BENCH_ORDERS:-$d_orders}
scale_jobs=${BENCH_SCALE_JOBS:-$d_sjobs}
scale_orders=${BENCH_SCALE_ORDERS:-$d_sorders}
reps=${BENCH_REPS:-$d_reps}
wrk_seconds=${BENCH_WRK_SECONDS:-$d_wrk}
# The concurrent writer of the "while another client creates jobs" rows pauses this long after
# each answered POST (one connection): some 300-400 jobs/s on this machine.
writer_delay_ms=${BENCH_WRITER_DELAY_MS:-2}
lat_seconds=${BENCH_LATENCY_SECONDS:-$d_lat}
raw_tx=${BENCH_RAW_TX:-$d_raw}
lat_light=${BENCH_LATENCY_LIGHT_RATE:-100}
build=${BENCH_BUILD_DIR:-build-bench}
cache=${BENCH_CACHE:-$root/$build/bench-cache}
if [[ $scale == smoke ]]; then out=${BENCH_OUT:-$root/$build/RESULTS-smoke.md}
else out=${BENCH_OUT:-$root/bench/RESULTS.md}; fi
if [[ $scale == smoke ]]; then pg_out=${BENCH_OUT_POSTGRES:-$root/$build/RESULTS-postgres-smoke.md}
else pg_out=${BENCH_OUT_POSTGRES:-$root/bench/RESULTS-postgres.md}; fi
# BENCH_ONLY="queue http export scale postgres" (any subset) runs only those parts.
only=" ${BENCH_ONLY:-queue http export scale postgres} "
if ((scale_orders < orders_n)); then
  echo "bench: BENCH_SCALE_ORDERS must be at least BENCH_ORDERS" >&2; exit 2
fi
# Export filter: three of the six payment states the seeder spreads evenly, about half the orders.
export_filter='in(payment,paid,authorized,partially_paid)'
export_sql_where="payment IN ('paid','authorized','partially_paid')"

log() { echo "bench [$(($(date +%s) - started_at)) s]: $*" >&2; }
source bench/postgres.sh
source bench/post_lua.sh

# ---- set-up: packages, npm peer, build -------------------------------------------------------
extra="wrk sqlite3 time curl"
command -v nginx >/dev/null || extra+=" nginx-light"
JOBSD_DEPS_EXTRA="$extra ${JOBSD_DEPS_EXTRA:-}" scripts/install-deps.sh
command -v node >/dev/null || { echo "bench: Node.js 20 is needed for the plainjob reference" >&2; exit 1; }
if [[ ! -f bench/node/node_modules/better-sqlite3/build/Release/better_sqlite3.node ||
      ! -d bench/node/node_modules/plainjob ]]; then
  log "installing plainjob and better-sqlite3 into bench/node (compiles better-sqlite3)"
  (cd bench/node && npm install --no-audit --no-fund --loglevel=error >&2)
fi
if [[ $only == *" postgres "* ]]; then pg_install_peers; fi
# The commit the binaries are built from (the tree may hold uncommitted work besides).
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit+=" plus uncommitted changes"
fi
if [[ -z ${BENCH_NO_BUILD:-} ]]; then  # BENCH_NO_BUILD=1: use the binaries already built
  log "building Release into $build"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" -j"${JOBSD_JOBS:-2}" jobsd jobsd_queue_bench >&2
fi
jobsd=$root/$build/jobsd
qbench=$root/$build/bench/jobsd_queue_bench
pjbench=(node "$root/bench/node/plainjob_bench.js")

# ---- scratch space and clean-up of everything started ----------------------------------------
work=$(mktemp -d /tmp/jobsd-bench.XXXXXX)
pids=()
cleanup() {
  local pid
  touch "$work/pg.stop"  # ends the PostgreSQL server's wait (bench/postgres.sh)
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$cache"
uptime_start=$(uptime)

# ---- small helpers ---------------------------------------------------------------------------
# value KEY < "k=v k=v" line: prints v.
value() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
declare -A R  # figure name -> space-separated values, one per repetition
add() { R[$1]="${R[$1]:-} $2"; }
median() {
  local v=${R[$1]:-}
  [[ -z ${v// /} ]] && { echo "n/a"; return; }
  tr ' ' '\n' <<<"$v" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
fresh_db() { rm -f "$1" "$1-wal" "$1-shm"; }

# ---- 1. queue throughput ---------------------------------------------------------------------
queue_suite() {
  local rep=$1 db=$work/q.db line mode w n
  for mode in single batch; do
    n=$jobs_n; [[ $mode == single ]] && n=$single_n
    fresh_db "$db"; line=$("$qbench" enqueue --db "$db" --jobs "$n" --mode "$mode")
    add "q.jobsd.enq.$mode" "$(value enqueue_jobs_per_s <<<"$line")"
    fresh_db "$db"; line=$("${pjbench[@]}" enqueue --db "$db" --jobs "$n" --mode "$mode")
    add "q.plainjob.enq.$mode" "$(value enqueue_jobs_per_s <<<"$line")"
    R[q.plainjob.sync]=$(value synchronous <<<"$line")
  done
  # The same one-by-one enqueue through plainjob at jobsd's durability: one fsync per job too.
  fresh_db "$db"
  line=$("${pjbench[@]}" enqueue --db "$db" --jobs "$single_n" --mode single --sync FULL)
  add q.plainjob_full.enq.single "$(value enqueue_jobs_per_s <<<"$line")"
  # Batches at jobsd's durability (a commit is an fsync), and their floor: the same rows put
  # into a jobsd store (schema, indexes, triggers) by raw SQLite, with no engine around it.
  fresh_db "$db"
  line=$("${pjbench[@]}" enqueue --db "$db" --jobs "$jobs_n" --mode batch --sync FULL)
  add q.plainjob_full.enq.batch "$(value enqueue_jobs_per_s <<<"$line")"
  fresh_db "$db"; line=$("$qbench" rawbatch --db "$db" --jobs "$jobs_n")
  add q.rawbatch "$(value rawbatch_jobs_per_s <<<"$line")"
  for w in 1 2 4; do
    fresh_db "$db"; "$qbench" enqueue --db "$db" --jobs "$jobs_n" --mode batch >/dev/null
    line=$("$qbench" drain --db "$db" --workers "$w")
    [[ $(value jobs <<<"$line") == "$jobs_n" ]] || { echo "bench: jobsd drained: $line" >&2; exit 1; }
    add "q.jobsd.drain.$w" "$(value drain_jobs_per_s <<<"$line")"
    fresh_db "$db"; "${pjbench[@]}" enqueue --db "$db" --jobs "$jobs_n" --mode batch >/dev/null
    line=$("${pjbench[@]}" drain --db "$db" --workers "$w")
    add "q.plainjob.drain.$w" "$(value drain_jobs_per_s <<<"$line")"
  done
  fresh_db "$db"; line=$("$qbench" rawsqlite --db "$db" --n "$raw_tx")
  add q.raw "$(value raw_tx_per_s <<<"$line")"
  log "queue rep $rep: enqueue single $(median q.jobsd.enq.single)/s, drain 2 workers $(median q.jobsd.drain.2)/s"
}

latency_suite() {
  local db=$work/lat.db line rate
  # Sustainable load: a job must be both enqueued one call at a time and drained, so the lower
  # of the two rates bounds it; the target is measured at half of that.
  rate=${BENCH_LATENCY_RATE:-$(awk -v e="$(median q.jobsd.enq.single)" -v d="$(median q.jobsd.drain.2)" \
    'BEGIN { r = (e < d ? e : d) / 2; printf "%d", (r < 1 ? 1 : r) }')}
  R[q.lat.rate]=$rate
  for ((i = 1; i <= reps; i++)); do
    fresh_db "$db"
    line=$("$qbench" latency --db "$db" --rate "$rate" --seconds "$lat_seconds" --workers 2)
    add q.lat.p50 "$(value p50_ms <<<"$line")"
    add q.lat.p99 "$(value p99_ms <<<"$line")"
    # The same at a light fixed load, so a reader sees how latency grows with the load.
    fresh_db "$db"
    line=$("$qbench" latency --db "$db" --rate "$lat_light" --seconds "$lat_seconds" --workers 2)
    add q.lat.light.p50 "$(value p50_ms <<<"$line")"
    add q.lat.light.p99 "$(value p99_ms <<<"$line")"
  done
}

# ---- HTTP ------------------------------------------------------------------------------------
serve_pid=
serve_url=
start_serve() {  # start_serve DB LOGPREFIX
  local db=$1 i
  mkdir -p "$work/exports"
  : >"$2.out"
  # The POST runs queue thousands of jobs from one client: no per-client limit.
  "$jobsd" serve --db "$db" --exports "$work/exports" --listen 127.0.0.1:0 --workers 1 \
    --max-active-jobs 0 \
    >"$2.out" 2>"$2.err" &
  serve_pid=$!
  pids+=("$serve_pid")
  for ((i = 0; i < 600; i++)); do
    serve_url=$(sed -n 's/^jobsd listening on \(http:[^ ]*\) .*/\1/p' "$2.out")
    [[ -n $serve_url ]] && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: jobsd serve did not start:" >&2; cat "$2.err" >&2; exit 1
}
stop_serve() {
  kill -TERM "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=
}

token_for() {  # token_for DB URL: a fresh client and an access token
  local creds id secret
  creds=$("$jobsd" credentials create --json --db "$1")
  id=$(sed 's/.*"client_id":"\([^"]*\)".*/\1/' <<<"$creds")
  secret=$(sed 's/.*"client_secret":"\([^"]*\)".*/\1/' <<<"$creds")
  curl -sf "$2/oauth/access_token" -d grant_type=client_credentials -d "client_id=$id" \
    -d "client_secret=$secret" | sed 's/.*"access_token":"\([^"]*\)".*/\1/'
}

nginx_port=
start_nginx() {  # serves $work/www with 2 worker processes on a free 127.0.0.1 port
  local conf=$work/nginx.conf i
  for ((i = 0; i < 50; i++)); do
    nginx_port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null || break
  done
  mkdir -p "$work/nginx"
  cat >"$conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  types { }
  default_type application/json;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
  }
}
EOF
  # nginx's workers run as an unprivileged user: they must be able to read the files.
  chmod 755 "$work"
  nginx -c "$conf" -p "$work/nginx" -e "$work/nginx/error.log" &
  pids+=($!)
  for ((i = 0; i < 100; i++)); do
    if curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/list10.json"; then return 0; fi
    sleep 0.1
  done
  echo "bench: nginx did not start" >&2; cat "$work/nginx/error.log" >&2; exit 1
}

# wrk_run NAME CONNECTIONS URL [wrk args...]: adds NAME.rps and NAME.p99 (ms).
wrk_run() {
  local name=$1 conns=$2 url=$3 report
  shift 3
  # wrk wants at least one connection per thread.
  report=$(wrk -t"$((conns < 2 ? conns : 2))" -c"$conns" -d"${wrk_seconds}s" --timeout 10s --latency "$@" "$url")
  if grep -q "Non-2xx" <<<"$report"; then
    echo "bench: $name answered errors:" >&2; echo "$report" >&2; exit 1
  fi
  add "$name.rps" "$(awk '/^Requests\/sec:/ { print $2 }' <<<"$report")"
  add "$name.p99" "$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
    print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v) }' <<<"$report")"
}

# http_suite DB PREFIX WITH_NGINX: list/get/post figures against a running jobsd on DB.
http_suite() {
  local db=$1 p=$2 with_nginx=$3 token auth id base rep c size
  start_serve "$db" "$work/serve-$p"
  token=$(token_for "$db" "$serve_url")
  [[ -n $token ]] || { echo "bench: no access token" >&2; exit 1; }
  auth="Authorization: Bearer $token"
  base="$serve_url/v2/jobs"
  id=$(curl -sf -g "$base?page[limit]=1" -H "$auth" | sed 's/^{"data":\[{"id":"\([^"]*\)".*/\1/')
  if [[ $with_nginx == yes ]]; then
    rm -rf "$work/www"; mkdir -p "$work/www"
    for size in 10 100; do
      curl -sf -g -o "$work/www/list$size.json" "$base?page[limit]=$size" -H "$auth"
    done
    curl -sf -o "$work/www/job.json" "$base/$id" -H "$auth"
    R[http.bytes.10]=$(stat -c %s "$work/www/list10.json")
    R[http.bytes.100]=$(stat -c %s "$work/www/list100.json")
    R[http.bytes.job]=$(stat -c %s "$work/www/job.json")
    start_nginx
  fi
  for ((rep = 1; rep <= reps; rep++)); do
    for size in 10 100; do
      for c in 64 256; do
        if [[ $with_nginx == no && $c == 256 ]]; then continue; fi
        wrk_run "$p.list$size.c$c" "$c" "$base?page%5Blimit%5D=$size" -H "$auth"
        if [[ $with_nginx == yes ]]; then
          wrk_run "nginx.list$size.c$c" "$c" "http://127.0.0.1:$nginx_port/list$size.json" -H "$auth"
        fi
      done
    done
    wrk_run "$p.get.c64" 64 "$base/$id" -H "$auth"
    if [[ $with_nginx == yes ]]; then
      wrk_run "nginx.get.c64" 64 "http://127.0.0.1:$nginx_port/job.json" -H "$auth"
      # The same pages with the list cache mostly missing: random offsets among 990 (the cache
      # keeps 256 queries), so nearly every request reads the store, as when it keeps changing.
      for size in 10 100; do
        cat >"$work/miss$size.lua" <<EOF
local n = 0
function setup(thread) n = n + 1; thread:set("seed", n) end
function init(args) math.randomseed(seed * 7919) end
function request()
  return wrk.format(nil, "/v2/jobs?page%5Blimit%5D=$size&page%5Boffset%5D=" .. math.random(0, $((small_jobs - size - 1))))
end
EOF
        wrk_run "$p.miss$size.c64" 64 "$base" -H "$auth" -s "$work/miss$size.lua"
      done
    fi
    log "http $p rep $rep: list10 c64 $(median "$p.list10.c64.rps") req/s"
  done
  # The first page while another client creates jobs (one connection, a POST every
  # writer_delay_ms at most): each new job changes the list, so the cached page is listed again
  # after every POST. After the other list runs, since the POSTs add jobs.
  if [[ $with_nginx == yes ]]; then
    write_post_lua "$work/writer.lua" "$token"
    echo "function delay() return $writer_delay_ms end" >>"$work/writer.lua"
    for ((rep = 1; rep <= reps; rep++)); do
      for size in 10 100; do
        local writer_report writer_pid
        wrk -t1 -c1 -d"$((wrk_seconds + 2))s" -s "$work/writer.lua" "$serve_url/v2/jobs" \
          >"$work/writer.out" &
        writer_pid=$!
        sleep 1
        wrk_run "$p.wlist$size.c64" 64 "$base?page%5Blimit%5D=$size" -H "$auth"
        wait "$writer_pid"
        writer_report=$(cat "$work/writer.out")
        if grep -q "Non-2xx" <<<"$writer_report"; then
          echo "bench: the writer's POSTs answered errors:" >&2; echo "$writer_report" >&2; exit 1
        fi
        add "$p.writer.rps" "$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$writer_report")"
      done
    done
  fi
  # POSTs add jobs, so they come after every list and get run.
  # Deep pages (scale store): random offsets over every job, so no page is cached and SQLite walks
  # the listing index up to the offset; the floor is the bare query (jobsd_queue_bench deeppage).
  if [[ $p == scale ]]; then
    cat >"$work/deep.lua" <<EOF
local n = 0
function setup(thread) n = n + 1; thread:set("seed", n) end
function init(args) math.randomseed(seed * 104729) end
function request()
  return wrk.format(nil, "/v2/jobs?page%5Blimit%5D=10&page%5Boffset%5D=" .. math.random(0, $((scale_jobs - 11))))
end
EOF
    for ((rep = 1; rep <= reps; rep++)); do
      wrk_run "$p.deep10.c64" 64 "$base" -H "$auth" -s "$work/deep.lua"
      add "$p.deep10.floor" "$(value deep_q_per_s <<<"$("$qbench" deeppage --db "$db" \
        --seconds "$wrk_seconds" --threads 2 --limit 10)")"
    done
  fi
  stop_serve
  # POST: each answer waits for its job's durable commit. The reference, raw SQLite single-row
  # transactions at synchronous=FULL on the same disk, runs between the POST runs of each rep.
  # Each rep starts from a copy of the store as it is now, on a fresh `serve`: the POSTs add about
  # 100,000 jobs per rep and the POST p99 grows with the store (64 connections on a fresh serve:
  # 15-18 ms with no job before, 23-28 ms over 100,000, 30-32 ms over 300,000), so reps that
  # went on adding measured three different stores. The scale store has its own POST figure.
  local post_conns="64"
  [[ $p == small ]] && post_conns="1 8 64 256"
  sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  cp "$db" "$work/$p-before-posts.db"
  for ((rep = 1; rep <= reps; rep++)); do
    # Synced: the first checkpoint's fsync would otherwise write back the whole copy (a 700 MB
    # scale store stalled the first POSTs for 300-370 ms).
    fresh_db "$db"; cp "$work/$p-before-posts.db" "$db"; sync "$db"
    start_serve "$db" "$work/serve-$p"
    token=$(token_for "$db" "$serve_url")
    [[ -n $token ]] || { echo "bench: no access token" >&2; exit 1; }
    write_post_lua "$work/post.lua" "$token"
    for c in $post_conns; do wrk_run "$p.post.c$c" "$c" "$serve_url/v2/jobs" -s "$work/post.lua"; done
    stop_serve
    fresh_db "$work/raw.db"
    add "$p.post.raw" "$(value raw_tx_per_s <<<"$("$qbench" rawsqlite --db "$work/raw.db" --n "$raw_tx")")"
    log "http $p rep $rep: POST c64 $(median "$p.post.c64.rps") req/s, raw $(median "$p.post.raw") tx/s"
  done
  rm -f "$work/$p-before-posts.db"
}

# ---- stores ----------------------------------------------------------------------------------
# Orders are seeded once per size into the cache (deterministic: same seed, same orders); the
# scale store starts as a copy of the export store and gets the rest with another seed.
orders_store() {
  local file=$cache/orders-$orders_n.db
  if [[ ! -f $file.ok ]]; then
    log "seeding $orders_n orders (cached in $cache)"
    fresh_db "$file"; "$jobsd" orders seed --count "$orders_n" --db "$file" >&2
    "$jobsd" credentials create --json --db "$file" >/dev/null  # serve then prints none
    touch "$file.ok"
  fi
  echo "$file"
}
scale_store() {
  local file=$cache/scale-$scale_orders-$scale_jobs.db
  if [[ ! -f $file.ok ]]; then
    fresh_db "$file"; cp "$(orders_store)" "$file"
    if ((scale_orders > orders_n)); then
      log "seeding $((scale_orders - orders_n)) more orders for the scale store"
      "$jobsd" orders seed --count $((scale_orders - orders_n)) --seed 2 --db "$file" >&2
    fi
    log "enqueueing and draining $scale_jobs jobs for the scale store"
    "$qbench" enqueue --db "$file" --jobs "$scale_jobs" --mode batch >/dev/null
    "$qbench" drain --db "$file" --workers 2 >/dev/null
    touch "$file.ok"
  fi
  echo "$file"
}
# Jobs that benchmark runs added to a cached store go again, so every run sees the same store.
forget_order_export_jobs() { sqlite3 "$1" "DELETE FROM jobs WHERE job_type = 'order_export'"; }

# ---- 3. export -------------------------------------------------------------------------------
export_columns="id, order_number, external_ref, status, payment, shipping, anonymized, customer_id,
  customer_name, customer_email, account_id, account_member_id, contact_name, contact_email,
  currency, with_tax, without_tax, tax, discount, shipping_amount, balance_owing, paid, authorized,
  item_count, product_skus, shipping_first_name, shipping_last_name, shipping_phone_number,
  shipping_company_name, shipping_line_1, shipping_line_2, shipping_city, shipping_postcode,
  shipping_county, shipping_country, shipping_region, shipping_instructions, billing_first_name,
  billing_last_name, billing_company_name, billing_line_1, billing_line_2, billing_city,
  billing_postcode, billing_county, billing_country, billing_region, created_at, updated_at"
export_sql="SELECT $export_columns FROM orders WHERE $export_sql_where ORDER BY created_at, id"

sqlite3_export() {  # sqlite3_export DB: adds exp.sqlite3.{s,mib,rows}
  local t0=$EPOCHREALTIME  # GNU time's elapsed has only 10 ms resolution; it gives the max RSS
  /usr/bin/time -f '%M' -o "$work/time.txt" sqlite3 -csv -header "$1" "$export_sql" \
    >"$work/ref.csv"
  add exp.sqlite3.s "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')"
  add exp.sqlite3.mib "$(awk '{ printf "%.1f", $1 / 1024 }' "$work/time.txt")"
  # Counted apart: quoted fields may hold line breaks, so lines are not rows.
  R[exp.sqlite3.rows]=$(sqlite3 "$1" "SELECT count(*) FROM orders WHERE $export_sql_where")
}

jobsd_export() {  # jobsd_export DB: adds exp.jobsd.{s,mib}, sets exp.jobsd.rows
  local db=$1 id status json
  id=$("$jobsd" jobs submit --type order_export --filter "$export_filter" --json --db "$db" |
    sed 's/^{"data":{"id":"\([^"]*\)".*/\1/')
  start_serve "$db" "$work/serve-export"
  # One process following the job (a store read every 250 ms) instead of a `jobs get` process
  # ten times a second, which took the cores the export needs (bench/postgres.sh measured it).
  "$jobsd" jobs wait "$id" --timeout 20m --db "$db" >/dev/null || true
  json=$("$jobsd" jobs get "$id" --json --db "$db")
  status=$(sed 's/.*"status":"\([a-z]*\)".*/\1/' <<<"$json")
  [[ $status == success ]] || { echo "bench: export job ended $status: $json" >&2; exit 1; }
  add exp.jobsd.mib "$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$serve_pid/status")"
  # The job's run time, claim to outcome, as the worker measured it.
  add exp.jobsd.s "$(curl -sf "$serve_url/metrics" |
    awk '/^jobsd_job_duration_seconds_sum\{job_type="order_export"/ { print $2 }')"
  R[exp.jobsd.rows]=$(sed -n 's/.*"row_count":\([0-9]*\).*/\1/p' <<<"$json")
  stop_serve
  rm -rf "$work/exports"
}

# ---- run -------------------------------------------------------------------------------------
log "scale=$scale jobs=$jobs_n single=$single_n orders=$orders_n small_jobs=$small_jobs scale_jobs=$scale_jobs" \
  "scale_orders=$scale_orders reps=$reps"

if [[ $only == *" queue "* ]]; then
  for ((rep = 1; rep <= reps; rep++)); do queue_suite "$rep"; done
  latency_suite
  log "latency at $(median q.lat.rate) jobs/s: p99 $(median q.lat.p99) ms"
fi

if [[ $only == *" http "* || $only == *" scale "* ]]; then
  small=$work/small.db
  "$qbench" enqueue --db "$small" --jobs "$small_jobs" --mode batch >/dev/null
  "$qbench" drain --db "$small" --workers 2 >/dev/null
  http_suite "$small" small yes
fi

if [[ $only == *" export "* ]]; then
  store=$(orders_store)
forget_order_export_jobs "$store"
sqlite3_export "$store" >/dev/null  # warms the page cache for both
R[exp.sqlite3.s]=
R[exp.sqlite3.mib]=
for ((rep = 1; rep <= reps; rep++)); do
  jobsd_export "$store"
  sqlite3_export "$store"
  log "export rep $rep: jobsd $(median exp.jobsd.s) s, sqlite3 $(median exp.sqlite3.s) s"
done
forget_order_export_jobs "$store"
if [[ ${R[exp.jobsd.rows]:-} != "${R[exp.sqlite3.rows]:-}" ]]; then
  echo "bench: jobsd exported ${R[exp.jobsd.rows]} rows, sqlite3 ${R[exp.sqlite3.rows]}" >&2; exit 1
fi
fi

if [[ $only == *" scale "* ]]; then
  big=$(scale_store)
  http_suite "$big" scale no
  forget_order_export_jobs "$big"
fi
if [[ $only == *" postgres "* ]]; then postgres_section; fi
uptime_end=$(uptime)

# ---- RESULTS.md ------------------------------------------------------------------------------
# row FIGURE JOBSD REF KIND TARGET: KIND says how the ratio reads and the target is checked
# (on the ratio as printed, two decimals, so the table never contradicts itself):
#   ge:X  ratio jobsd/ref must be >= X     le:X  ratio jobsd/ref must be <= X
#   lt:X  the jobsd figure itself must be < X     -  informative
row() {
  awk -v f="$1" -v j="$2" -v r="$3" -v k="$4" -v t="$5" '
    function show(x) {
      if (x == "" || x == "n/a") return x == "" ? "—" : x
      return x >= 100 ? sprintf("%.0f", x) : x >= 1 ? sprintf("%.2f", x) : sprintf("%.3f", x)
    }
    BEGIN {
    ratio = (r + 0 > 0 && j != "n/a") ? sprintf("%.2f", j / r) : "—"
    split(k, kk, ":"); met = "—"
    if (kk[1] == "ge" && ratio != "—") met = (ratio + 0 >= kk[2]) ? "yes" : "**no**"
    if (kk[1] == "le" && ratio != "—") met = (ratio + 0 <= kk[2]) ? "yes" : "**no**"
    if (kk[1] == "lt" && j != "n/a") met = (j + 0 < kk[2]) ? "yes" : "**no**"
    printf "| %s | %s | %s | %s | %s | %s |\n", f, show(j), show(r), ratio, t, met }'
}
m() { median "$1"; }
header='| figure | jobsd | reference | ratio | target | met? |
|---|---|---|---|---|---|'
if [[ $only == *" postgres "* ]]; then write_postgres_results "$pg_out"; fi
# RESULTS.md holds the SQLite sections: a run of the postgres section alone leaves it as it is.
if [[ $only =~ \ (queue|http|export|scale)\  ]]; then
{
  echo "# Benchmark results"
  echo
  echo "Written by \`bench/run.sh\` (BENCH_SCALE=$scale) on $(date -u '+%Y-%m-%d %H:%M UTC'),"
  echo "built from \`$commit\`. Every figure is the median of $reps runs; every reference"
  echo "ran in the same run on the same machine, interleaved with jobsd's runs. These are"
  echo "benchmarks, not tests: a missed target is reported here, it fails nothing. Ratios are"
  echo "jobsd / reference."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; memory"
  echo "  $(free -m | awk '/^Mem:/ { print $2 }') MiB; $(uname -sr); store on $(df -T "$work" | awk 'NR == 2 { print $2 }')"
  echo "- Load at start: \`${uptime_start## }\`"
  echo "- Load at end: \`${uptime_end## }\`"
  echo "- The machine was shared with other work during the run (see the load above); figures are"
  echo "  only comparable within this file."
  echo "- $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/^/sqlite3 /'), $(nginx -v 2>&1 | sed 's/.*: //'),"
  echo "  $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), Node $(node -v), plainjob $(node -p \
    "require('$root/bench/node/node_modules/plainjob/package.json').version")"
  # jobsd's allocator (CMakeLists.txt, jobsd_allocator): jemalloc unless built without it.
  if ldd "$jobsd" | grep -q libjemalloc; then
    echo "- jobsd allocates with jemalloc $(dpkg-query -W -f='${Version}' libjemalloc2 2>/dev/null)"
  else
    echo "- jobsd allocates with glibc's malloc"
  fi
  echo
  echo "## Sizes"
  echo
  echo "| what | this run | BENCH_SCALE=full | variable |"
  echo "|---|---|---|---|"
  echo "| queue jobs per run (batch enqueue, drains) | $jobs_n | 100000 | BENCH_JOBS |"
  echo "| queue jobs enqueued one call per job | $single_n | 20000 | BENCH_SINGLE_JOBS |"
  echo "| raw SQLite single-row transactions | $raw_tx | 5000 | BENCH_RAW_TX |"
  echo "| jobs in the small store (HTTP) | $small_jobs | 1000 | BENCH_SMALL_JOBS |"
  echo "| orders for the export | $orders_n | 1000000 | BENCH_ORDERS |"
  echo "| jobs in the scale store | $scale_jobs | 1000000 | BENCH_SCALE_JOBS |"
  echo "| orders in the scale store | $scale_orders | 5000000 | BENCH_SCALE_ORDERS |"
  echo "| wrk duration per figure | ${wrk_seconds} s | 10 s | BENCH_WRK_SECONDS |"
  echo "| pause of the concurrent writer after each POST | ${writer_delay_ms} ms | 2 ms | BENCH_WRITER_DELAY_MS |"
  echo
  echo "The default run uses smaller queue, export and scale sizes than the issue's (100,000 jobs,"
  echo "1,000,000 orders, 1,000,000 jobs + 5,000,000 orders) so that it fits in about 10 minutes on"
  echo "this machine: seeding orders at the full sizes alone takes longer, and enqueueing one call"
  echo "per job at \`synchronous=FULL\` costs one fsync per job. \`BENCH_SCALE=full bench/run.sh\`"
  echo "runs the full sizes (one-by-one enqueue at 20,000 jobs); each size also has a variable."
  echo
  echo "## 1. Queue throughput"
  echo
  echo "\`jobsd_queue_bench\` drives the engine (JobService, WorkerPool, SQLite store at"
  echo "\`synchronous=FULL\`, WAL) with a no-op job type that only the benchmark binary registers;"
  echo "\`bench/node/plainjob_bench.js\` runs the same workload through plainjob (better-sqlite3,"
  sync_name=${R[q.plainjob.sync]:-?}; sync_name=${sync_name/#1/NORMAL}; sync_name=${sync_name/#2/FULL}
  echo "WAL, \`synchronous=$sync_name\` as plainjob sets it, i.e. weaker durability than jobsd's;"
  echo "workers are forked processes, one job at a time each). Each enqueue and each drain starts"
  echo "from a fresh store; drains start with $jobs_n pending jobs enqueued in batches. The raw"
  echo "SQLite limit is single-row write transactions per second at \`synchronous=FULL\`: one call"
  echo "per job at that level is one fsync per job, whoever makes the call, so the one-by-one"
  echo "enqueue is also measured through plainjob set to \`synchronous=FULL\`, and so are the"
  echo "batches. The floor of a batch enqueue is the same rows put into a jobsd store (its schema,"
  echo "indexes and triggers) by raw SQLite at \`synchronous=FULL\`, 32 rows per statement as the"
  echo "engine does (\`jobsd_queue_bench rawbatch\`): what SQLite alone needs for jobsd's rows."
  echo
  echo "$header"
  row "enqueue, one call per job (jobs/s)" "$(m q.jobsd.enq.single)" "$(m q.plainjob.enq.single)" - "—"
  row "enqueue, batches of 1000 (jobs/s)" "$(m q.jobsd.enq.batch)" "$(m q.plainjob.enq.batch)" \
    ge:1 "≥ 1× plainjob"
  row "enqueue, batches of 1000, vs plainjob at synchronous=FULL" "$(m q.jobsd.enq.batch)" \
    "$(m q.plainjob_full.enq.batch)" - "—"
  row "enqueue, batches of 1000, vs raw SQLite into jobsd's schema (its floor)" \
    "$(m q.jobsd.enq.batch)" "$(m q.rawbatch)" - "—"
  row "enqueue, one call per job, vs plainjob at synchronous=FULL" "$(m q.jobsd.enq.single)" \
    "$(m q.plainjob_full.enq.single)" - "—"
  row "enqueue, one call per job, vs raw SQLite FULL tx/s" "$(m q.jobsd.enq.single)" "$(m q.raw)" - "—"
  for w in 1 2 4; do
    row "drain, $w worker(s) (jobs/s)" "$(m q.jobsd.drain.$w)" "$(m q.plainjob.drain.$w)" ge:3 "≥ 3× plainjob"
  done
  row "drain, 4 workers vs raw SQLite FULL tx/s" "$(m q.jobsd.drain.4)" "$(m q.raw)" - "—"
  row "enqueue-to-start p50 (ms) at $(m q.lat.rate) jobs/s, 2 workers" "$(m q.lat.p50)" "" - "—"
  row "enqueue-to-start p99 (ms) at $(m q.lat.rate) jobs/s, 2 workers" "$(m q.lat.p99)" "" lt:5 "< 5 ms"
  row "enqueue-to-start p50 (ms) at $lat_light jobs/s (light load)" "$(m q.lat.light.p50)" "" - "—"
  row "enqueue-to-start p99 (ms) at $lat_light jobs/s (light load)" "$(m q.lat.light.p99)" "" - "—"
  echo
  echo "The latency load is half the sustainable load, taken as the lower of the median one-by-one"
  echo "enqueue rate and the median 2-worker drain rate (BENCH_LATENCY_RATE overrides it), offered"
  echo "for ${lat_seconds} s; the light load is BENCH_LATENCY_LIGHT_RATE. Single fsync'd commits make"
  echo "the sustainable load follow the disk's fsync rate, which varied a lot on this shared machine."
  echo
  echo "## 2. HTTP"
  echo
  echo "\`jobsd serve\` (2 I/O threads, 1 job worker, idle queue) on a store with $small_jobs finished"
  echo "jobs, against nginx with \`worker_processes 2\` serving the exact response bodies jobsd gave"
  echo "(saved with curl: ${R[http.bytes.10]:-?} bytes for a page of 10, ${R[http.bytes.100]:-?} for 100,"
  echo "${R[http.bytes.job]:-?} for one job) as static files with the same Content-Type. Both log every"
  echo "request. \`wrk -t2 -cC -d${wrk_seconds}s --latency\` with the same Authorization header; wrk shares"
  echo "the 2 cores with the server. POST uses a Lua script, answers 202 only once the job is stored"
  echo "with \`synchronous=FULL\`, and its filter matches no order so the worker fails each job at once."
  echo "Its reference is raw SQLite: single-row write transactions per second at \`synchronous=FULL\`"
  echo "in WAL mode on the same disk (\`jobsd_queue_bench rawsqlite\`, $raw_tx transactions), run"
  echo "between the POST runs of each repetition. Concurrent POSTs share commits (group commit), so"
  echo "they can pass it; one connection at a time cannot. Each repetition of the POST runs starts"
  echo "from a copy of the store as the GET runs left it, on a fresh \`serve\`: the POSTs add about"
  echo "100,000 jobs per repetition, and the POST p99 grows with the number of jobs stored (README)."
  echo "The store does not change during the GET runs, so \`jobsd serve\` answers repeated list queries"
  echo "from its list cache (README, HTTP API); the \"cache mostly missing\" rows ask for random offsets"
  echo "among $((small_jobs - 10)), so nearly every request reads the store and renders the page, as when"
  echo "jobs keep changing between polls. The \"while another client creates jobs\" rows ask for the first"
  echo "page while one more wrk connection POSTs a job every ${writer_delay_ms} ms at most (the rate it made is in"
  echo "the row): every new job changes the list, so the page is listed again after each POST."
  echo
  echo "$header"
  for size in 10 100; do
    for c in 64 256; do
      row "GET /v2/jobs page $size, $c conns (req/s)" "$(m small.list$size.c$c.rps)" \
        "$(m nginx.list$size.c$c.rps)" ge:0.5 "≥ 0.5× nginx"
      if [[ $c == 64 ]]; then
        row "GET /v2/jobs page $size, $c conns, p99 (ms)" "$(m small.list$size.c$c.p99)" \
          "$(m nginx.list$size.c$c.p99)" lt:10 "< 10 ms"
      else
        row "GET /v2/jobs page $size, $c conns, p99 (ms)" "$(m small.list$size.c$c.p99)" \
          "$(m nginx.list$size.c$c.p99)" - "—"
      fi
    done
  done
  for size in 10 100; do
    row "GET /v2/jobs page $size, 64 conns, cache mostly missing (req/s)" \
      "$(m small.miss$size.c64.rps)" "$(m nginx.list$size.c64.rps)" - "—"
    row "GET /v2/jobs page $size, 64 conns, cache mostly missing, p99 (ms)" \
      "$(m small.miss$size.c64.p99)" "$(m nginx.list$size.c64.p99)" - "—"
  done
  for size in 10 100; do
    row "GET /v2/jobs page $size, 64 conns, while another client creates $(m small.writer.rps) jobs/s (req/s)" \
      "$(m small.wlist$size.c64.rps)" "$(m nginx.list$size.c64.rps)" ge:0.5 "≥ 0.5× nginx"
    row "GET /v2/jobs page $size, 64 conns, while another client creates jobs, p99 (ms)" \
      "$(m small.wlist$size.c64.p99)" "$(m nginx.list$size.c64.p99)" - "—"
  done
  row "GET /v2/jobs/{id}, 64 conns (req/s)" "$(m small.get.c64.rps)" "$(m nginx.get.c64.rps)" - "—"
  row "GET /v2/jobs/{id}, 64 conns, p99 (ms)" "$(m small.get.c64.p99)" "$(m nginx.get.c64.p99)" - "—"
  for c in 1 8 64 256; do
    if [[ $c == 64 ]]; then
      row "POST /v2/jobs, $c conns (req/s) vs raw SQLite FULL tx/s" "$(m small.post.c$c.rps)" \
        "$(m small.post.raw)" ge:2 "≥ 2× raw"
      row "POST /v2/jobs, $c conns, p99 (ms)" "$(m small.post.c$c.p99)" "" lt:20 "< 20 ms"
    else
      row "POST /v2/jobs, $c conns (req/s) vs raw SQLite FULL tx/s" "$(m small.post.c$c.rps)" \
        "$(m small.post.raw)" - "—"
      row "POST /v2/jobs, $c conns, p99 (ms)" "$(m small.post.c$c.p99)" "" - "—"
    fi
  done
  echo
  echo "## 3. Export"
  echo
  echo "$orders_n seeded orders; filter \`$export_filter\` (${R[exp.jobsd.rows]:-?} rows). jobsd: the"
  echo "job's run time from claim to outcome (\`jobsd_job_duration_seconds_sum\`), and the peak"
  echo "resident memory (VmHWM) of the whole \`jobsd serve\` process that ran it. Reference: \`sqlite3"
  echo "-csv -header\` running \`SELECT <the 49 columns> FROM orders WHERE $export_sql_where ORDER BY"
  echo "created_at, id\` on the same store file into a file (wall time around it; max RSS from"
  echo "\`/usr/bin/time\`). The reference prints timestamps as stored integers and neither formats, escapes"
  echo "nor fsyncs as jobsd does. One untimed sqlite3 run warms the page cache first."
  echo
  echo "$header"
  row "export time (s)" "$(m exp.jobsd.s)" "$(m exp.sqlite3.s)" le:1.0 "≤ 1.0× sqlite3"
  row "export peak memory (MiB)" "$(m exp.jobsd.mib)" "$(m exp.sqlite3.mib)" lt:64 "< 64 MiB"
  echo
  echo "## 4. Scale"
  echo
  echo "The same jobsd figures on a store with $scale_jobs finished jobs and $scale_orders orders,"
  echo "against the small store's figures above. Here the ratio is scale / small: at most 1.5 for"
  echo "latencies, at least 1/1.5 = 0.67 for request rates. The deep-page row asks for pages of 10 at"
  echo "random offsets among all the jobs (no page repeats, so none comes from the list cache); its"
  echo "reference is the floor: the bare SELECT of that page (same columns, order and condition, every"
  echo "row read) on 2 threads with a read-only connection each, \`jobsd_queue_bench deeppage\`, with no"
  echo "HTTP, JSON or cache. Clients that walk a long list should page by a cursor instead (README,"
  echo "\"Walking a long list\"): \`lt(created_at,…)\` in the filter keeps every page as cheap as the first."
  echo
  echo "| figure | scale store | small store | ratio | target | met? |"
  echo "|---|---|---|---|---|---|"
  row "GET /v2/jobs page 10 at random offsets over all $scale_jobs jobs, 64 conns (req/s) vs the bare query (q/s)" \
    "$(m scale.deep10.c64.rps)" "$(m scale.deep10.floor)" - "—"
  row "the same, p99 (ms)" "$(m scale.deep10.c64.p99)" "" - "—"
  for f in list10 list100 get post; do
    label=$(sed 's/list\(.*\)/GET \/v2\/jobs page \1/; s/^get$/GET \/v2\/jobs\/{id}/; s/^post$/POST \/v2\/jobs/' <<<"$f")
    row "$label, 64 conns (req/s)" "$(m scale.$f.c64.rps)" "$(m small.$f.c64.rps)" ge:0.67 "≥ 0.67× (within 1.5×)"
    row "$label, 64 conns, p99 (ms)" "$(m scale.$f.c64.p99)" "$(m small.$f.c64.p99)" le:1.5 "≤ 1.5×"
  done
  echo
  echo "## How to run"
  echo
  echo "\`bench/run.sh\` installs what it needs (wrk, nginx, sqlite3, GNU time through"
  echo "\`scripts/install-deps.sh\`; plainjob 0.0.14 and better-sqlite3 12 from npm into"
  echo "\`bench/node/\`), builds Release into \`build-bench/\`, runs everything, writes this file and"
  echo "prints it. It took $(($(date +%s) - started_at)) s this time. The PostgreSQL figures"
  echo "(several nodes, pg-boss, graphile-worker, \\copy) are in RESULTS-postgres.md."
} >"$out"
cat "$out"
fi
