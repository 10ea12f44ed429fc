# The `postgres` section of bench/run.sh (sourced by it; uses its helpers: log, add, median, row,
# start_serve, stop_serve, token_for, wrk_run, value). Several jobsd nodes on one PostgreSQL
# against pg-boss and graphile-worker on the same server, same run, same no-op workload; and an
# export against psql's \copy of the same rows. Writes bench/RESULTS-postgres.md.
#
# The server is a throwaway PostgreSQL 15 started through scripts/with-postgres.sh with
# JOBSD_PG_DURABLE=1 (PostgreSQL's default durability: fsync, synchronous_commit on), so every
# queue commits as durably as PostgreSQL does by default. Each enqueue and drain starts from a
# fresh database. BENCH_PG_WORKERS (default 2) is the workers per node, and the concurrency of
# each peer process; BENCH_PGBOSS_BATCH (default 256, jobsd's largest claim batch) pg-boss's
# batchSize; BENCH_PG_LATENCY_NODES (default 2) how many nodes the latency run spreads over;
# BENCH_PG_PARTS (default "queue http export") which parts run. BENCH_PG_DRAIN_JOBS (default
# 20,000; BENCH_JOBS at the smoke and full scales) is the queue each drain empties: a 3-node drain
# of 10,000 jobs lasted about 1 s, of which each node spent 150-400 ms on its first claims while
# the other nodes were already batching (measured), so the figure followed start-up more than
# throughput. The peers drain the same count.

pg_bin=${JOBSD_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_workers=${BENCH_PG_WORKERS:-2}
pgboss_batch=${BENCH_PGBOSS_BATCH:-256}
pg_lat_nodes=${BENCH_PG_LATENCY_NODES:-2}
if [[ $scale == default ]]; then pg_drain_n=${BENCH_PG_DRAIN_JOBS:-20000}
else pg_drain_n=${BENCH_PG_DRAIN_JOBS:-$jobs_n}; fi
pgpeers=(node "$root/bench/node-pg/pg_peers_bench.js")
pg_peers_problem=  # why the peers cannot run, when they cannot
# The export pairs (jobsd, then \copy) vary most from run to run: 5 of them where there are 3 of
# everything else (BENCH_PG_EXPORT_REPS). Each takes about 3 s at the default scale.
if ((reps > 1)); then pg_export_reps=${BENCH_PG_EXPORT_REPS:-$((reps > 5 ? reps : 5))}
else pg_export_reps=${BENCH_PG_EXPORT_REPS:-1}; fi
pg_pid=

# Installs pg-boss and graphile-worker from the committed package-lock.json. Without them (no
# network) only the peer figures are missing: the section says why and goes on.
pg_install_peers() {
  local lock=bench/node-pg/package-lock.json stamp=bench/node-pg/node_modules/.installed-lock
  if [[ -f $stamp ]] && cmp -s "$lock" "$stamp"; then return 0; fi
  log "installing pg-boss and graphile-worker into bench/node-pg (npm ci)"
  if (cd bench/node-pg && npm ci --no-audit --no-fund --loglevel=error >&2); then
    cp "$lock" "$stamp"
  else
    pg_peers_problem="npm ci in bench/node-pg failed (no network?), so pg-boss and graphile-worker were not measured"
    log "$pg_peers_problem"
  fi
}

# Starts the throwaway server in the background; it stays up until pg_stop (or the script's
# clean-up) creates $work/pg.stop. Exports PGHOST, PGPORT, PGUSER for psql and pg_uri.
pg_start() {
  local i
  rm -f "$work/pg.env" "$work/pg.stop"
  # Unset: with it, with-postgres.sh would use that server instead of starting its own.
  env -u JOBSD_TEST_POSTGRES_URI JOBSD_PG_DURABLE=1 scripts/with-postgres.sh bash -c '
    env | grep -E "^(PGHOST|PGPORT|PGUSER)=" | sed "s/^/export /" >"$1.tmp" && mv "$1.tmp" "$1"
    while [[ ! -f $2 ]]; do sleep 0.2; done' _ "$work/pg.env" "$work/pg.stop" >&2 &
  pg_pid=$!
  pids+=("$pg_pid")
  for ((i = 0; i < 600; i++)); do
    [[ -f $work/pg.env ]] && break
    kill -0 "$pg_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -f $work/pg.env ]] || { echo "bench: the PostgreSQL server did not start" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$work/pg.env"
  R[pg.version]=$("$pg_bin/postgres" --version | awk '{ print $3 }')
}
pg_stop() {
  touch "$work/pg.stop"
  wait "$pg_pid" 2>/dev/null || true
}

pg_uri() { echo "postgresql://$PGUSER@$PGHOST:$PGPORT/$1"; }
pg_psql() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
# pg_fresh NAME: drops and creates database NAME, prints its URI.
pg_fresh() {
  pg_psql -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null 2>&1 ||
    { echo "bench: cannot create database $1" >&2; exit 1; }
  pg_uri "$1"
}

# ---- queues ----------------------------------------------------------------------------------
pg_queue_suite() {
  local rep=$1 uri line mode n k peer
  for mode in single batch; do
    n=$jobs_n; [[ $mode == single ]] && n=$single_n
    uri=$(pg_fresh bench_q); line=$("$qbench" enqueue --db "$uri" --jobs "$n" --mode "$mode")
    add "pg.jobsd.enq.$mode" "$(value enqueue_jobs_per_s <<<"$line")"
    if [[ -z $pg_peers_problem ]]; then
      for peer in pgboss graphile; do
        uri=$(pg_fresh bench_q)
        line=$("${pgpeers[@]}" enqueue --queue "$peer" --db "$uri" --jobs "$n" --mode "$mode")
        add "pg.$peer.enq.$mode" "$(value enqueue_jobs_per_s <<<"$line")"
      done
    fi
  done
  for k in 1 2 3; do
    uri=$(pg_fresh bench_q); "$qbench" enqueue --db "$uri" --jobs "$pg_drain_n" --mode batch >/dev/null
    line=$("$qbench" drain --db "$uri" --workers "$pg_workers" --nodes "$k")
    [[ $(value jobs <<<"$line") == "$pg_drain_n" ]] || { echo "bench: jobsd drained: $line" >&2; exit 1; }
    add "pg.jobsd.drain.$k" "$(value drain_jobs_per_s <<<"$line")"
    R[pg.jobsd.drain.$k.per_node]=$(value per_node <<<"$line")
    if [[ -z $pg_peers_problem ]]; then
      for peer in pgboss graphile; do
        uri=$(pg_fresh bench_q)
        "${pgpeers[@]}" enqueue --queue "$peer" --db "$uri" --jobs "$pg_drain_n" --mode batch >/dev/null
        line=$("${pgpeers[@]}" drain --queue "$peer" --db "$uri" --processes "$k" \
          --workers "$pg_workers" --batch "$pgboss_batch")
        add "pg.$peer.drain.$k" "$(value drain_jobs_per_s <<<"$line")"
      done
    fi
  done
  pg_psql -d postgres -c "DROP DATABASE IF EXISTS bench_q" >/dev/null 2>&1 || true
  log "postgres queue rep $rep: enqueue single $(median pg.jobsd.enq.single)/s, drain 3 nodes $(median pg.jobsd.drain.3)/s"
}

pg_latency_suite() {
  local uri line rate i
  # Half the sustainable load, as for SQLite: the lower of the one-by-one enqueue rate and the
  # drain rate with that many nodes.
  rate=${BENCH_PG_LATENCY_RATE:-$(awk -v e="$(median pg.jobsd.enq.single)" \
    -v d="$(median "pg.jobsd.drain.$pg_lat_nodes")" \
    'BEGIN { r = (e < d ? e : d) / 2; printf "%d", (r < 1 ? 1 : r) }')}
  R[pg.lat.rate]=$rate
  for ((i = 1; i <= reps; i++)); do
    uri=$(pg_fresh bench_lat)
    line=$("$qbench" latency --db "$uri" --rate "$rate" --seconds "$lat_seconds" \
      --workers "$pg_workers" --nodes "$pg_lat_nodes")
    add pg.lat.p50 "$(value p50_ms <<<"$line")"
    add pg.lat.p99 "$(value p99_ms <<<"$line")"
    add pg.lat.other "$(value started_on_other_nodes <<<"$line")"
  done
  pg_psql -d postgres -c "DROP DATABASE IF EXISTS bench_lat" >/dev/null 2>&1 || true
  log "postgres latency at $rate jobs/s over $pg_lat_nodes nodes: p99 $(median pg.lat.p99) ms"
}

# ---- GET /v2/jobs through two nodes ----------------------------------------------------------
# pg_wrk_pair NAME CONNS PATH AUTH: one wrk per node at the same time, CONNS/2 connections each;
# adds NAME.rps (the sum of both) and NAME.p99 (ms, the worse node's).
pg_wrk_pair() {
  local name=$1 conns=$2 path=$3 auth=$4 wa wb node report rps=0 p99=0
  wrk -t1 -c$((conns / 2)) -d"${wrk_seconds}s" --timeout 10s --latency -H "$auth" \
    "$pg_url_a$path" >"$work/wrk-a.txt" 2>&1 &
  wa=$!
  wrk -t1 -c$((conns / 2)) -d"${wrk_seconds}s" --timeout 10s --latency -H "$auth" \
    "$pg_url_b$path" >"$work/wrk-b.txt" 2>&1 &
  wb=$!
  wait "$wa"; wait "$wb"
  for node in a b; do
    report=$(cat "$work/wrk-$node.txt")
    if grep -q "Non-2xx" <<<"$report"; then
      echo "bench: $name (node $node) answered errors:" >&2; echo "$report" >&2; exit 1
    fi
    rps=$(awk -v s="$rps" '/^Requests\/sec:/ { print s + $2 }' <<<"$report")
    p99=$(awk -v m="$p99" '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
      v = (u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v)
      print (v > m ? v : m) }' <<<"$report")
  done
  add "$name.rps" "$rps"
  add "$name.p99" "$p99"
}

pg_http_suite() {
  local uri token auth rep size
  uri=$(pg_fresh bench_http)
  "$qbench" enqueue --db "$uri" --jobs "$small_jobs" --mode batch >/dev/null
  "$qbench" drain --db "$uri" --workers 2 >/dev/null
  start_serve "$uri" "$work/serve-pg-a"; pg_pid_a=$serve_pid; pg_url_a=$serve_url
  start_serve "$uri" "$work/serve-pg-b"; pg_pid_b=$serve_pid; pg_url_b=$serve_url
  token=$(token_for "$uri" "$pg_url_a")  # issued by node A, used on both
  [[ -n $token ]] || { echo "bench: no access token" >&2; exit 1; }
  auth="Authorization: Bearer $token"
  for ((rep = 1; rep <= reps; rep++)); do
    for size in 10 100; do
      pg_wrk_pair "pg.two.list$size" 64 "/v2/jobs?page%5Blimit%5D=$size" "$auth"
      wrk_run "pg.one.list$size.c64" 64 "$pg_url_a/v2/jobs?page%5Blimit%5D=$size" -H "$auth"
    done
    log "postgres http rep $rep: list10 through two nodes $(median pg.two.list10.rps) req/s"
  done
  serve_pid=$pg_pid_a; stop_serve
  serve_pid=$pg_pid_b; stop_serve
}

# ---- export ----------------------------------------------------------------------------------
# Every order, as the brief's reference: an export with no filter against psql's \copy of the
# same SELECT (the export's 49 columns, its order) into a file.
pg_export_sql() { echo "SELECT $(tr -s ' \n' ' ' <<<"$export_columns") FROM orders ORDER BY created_at, id"; }

pg_copy_export() {  # adds pg.exp.copy.{s,mib}
  local t0=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/time.txt" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 \
    -d bench_orders -c "\\copy ($(pg_export_sql)) TO '$work/ref.csv' CSV HEADER"
  add pg.exp.copy.s "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')"
  add pg.exp.copy.mib "$(awk '{ printf "%.1f", $1 / 1024 }' "$work/time.txt")"
  rm -f "$work/ref.csv"
}

pg_jobsd_export() {  # pg_jobsd_export URI: adds pg.exp.jobsd.{s,mib}, sets pg.exp.jobsd.rows
  local uri=$1 id status json token
  start_serve "$uri" "$work/serve-pg-export"
  token=$(token_for "$uri" "$serve_url")
  id=$(curl -sf "$serve_url/v2/jobs" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"data":{"type":"job","job_type":"order_export"}}' |
    sed 's/^{"data":{"id":"\([^"]*\)".*/\1/')
  [[ -n $id ]] || { echo "bench: could not submit the export" >&2; exit 1; }
  # Waits on the job's event stream, which ends after its final status, instead of polling: a
  # curl and a sed ten times a second took enough of the two cores to slow the export they
  # watched (1.43-1.70 s against 1.24-1.30 s polling every 0.5 s, alternating runs).
  curl -sfN --max-time 1200 "$serve_url/v2/jobs/$id/events" \
    -H "Authorization: Bearer $token" >/dev/null || true
  json=$(curl -sf "$serve_url/v2/jobs/$id" -H "Authorization: Bearer $token")
  status=$(sed 's/.*"status":"\([a-z]*\)".*/\1/' <<<"$json")
  [[ $status == success ]] || { echo "bench: export job ended $status: $json" >&2; exit 1; }
  add pg.exp.jobsd.mib "$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$serve_pid/status")"
  add pg.exp.jobsd.s "$(curl -sf "$serve_url/metrics" |
    awk '/^jobsd_job_duration_seconds_sum\{job_type="order_export"/ { print $2 }')"
  R[pg.exp.jobsd.rows]=$(sed -n 's/.*"row_count":\([0-9]*\).*/\1/p' <<<"$json")
  stop_serve
}

pg_export_suite() {
  local uri rep
  uri=$(pg_fresh bench_orders)
  log "seeding $orders_n orders into PostgreSQL"
  "$jobsd" orders seed --count "$orders_n" --db "$uri" >&2
  "$jobsd" credentials create --json --db "$uri" >/dev/null  # serve then prints none
  R[pg.exp.copy.rows]=$(pg_psql -d bench_orders -At -c "SELECT count(*) FROM orders")
  # The table as it settles once seeded, for both: without this, autovacuum's pass over the new
  # rows ran during the first measurements (a 200,000-order export took 2.0-2.2 s, then 1.5-1.6 s
  # once vacuumed; \copy 1.0-1.2 s either way).
  pg_psql -d bench_orders -c "VACUUM (ANALYZE) orders, order_items"
  # And the server starts the part with nothing left to write from the queue runs before it:
  # after them, without this, jobsd took 1.42 s against \copy's 1.10 s, where the part run alone
  # gave 1.24 s against 1.02 s (one run each; with it, a full run gave 1.35 s against 1.09 s).
  pg_psql -d bench_orders -c "CHECKPOINT"
  pg_copy_export  # warms the server's cache for both; not counted
  R[pg.exp.copy.s]=
  R[pg.exp.copy.mib]=
  for ((rep = 1; rep <= pg_export_reps; rep++)); do
    pg_jobsd_export "$uri"
    pg_copy_export
    log "postgres export rep $rep: jobsd $(median pg.exp.jobsd.s) s, \\copy $(median pg.exp.copy.s) s"
  done
  if [[ ${R[pg.exp.jobsd.rows]:-} != "${R[pg.exp.copy.rows]:-}" ]]; then
    echo "bench: jobsd exported ${R[pg.exp.jobsd.rows]} rows, \\copy ${R[pg.exp.copy.rows]}" >&2; exit 1
  fi
}

# ---- the section -----------------------------------------------------------------------------
# BENCH_PG_PARTS="queue http export" (any subset; latency comes with queue) runs only those.
postgres_section() {
  local rep parts=" ${BENCH_PG_PARTS:-queue http export} "
  pg_start
  if [[ $parts == *" queue "* ]]; then
    for ((rep = 1; rep <= reps; rep++)); do pg_queue_suite "$rep"; done
    pg_latency_suite
  fi
  if [[ $parts == *" http "* ]]; then pg_http_suite; fi
  if [[ $parts == *" export "* ]]; then pg_export_suite; fi
  pg_stop
}

write_postgres_results() {  # write_postgres_results FILE
  local k label mode size
  {
    echo "# Benchmark results: several jobsd nodes on one PostgreSQL"
    echo
    echo "Written by \`bench/run.sh\` (BENCH_SCALE=$scale, the \`postgres\` section) on"
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), built from \`$commit\`. Every figure is the median of $reps"
    echo "runs; every reference ran in the same run, on the same machine, against the same PostgreSQL"
    echo "server, interleaved with jobsd's runs. Benchmarks, not tests: a missed target is reported"
    echo "here and fails nothing. Ratios are jobsd / reference. The SQLite figures are in RESULTS.md."
    echo
    echo "## Machine and server"
    echo
    echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; memory"
    echo "  $(free -m | awk '/^Mem:/ { print $2 }') MiB; $(uname -sr); data directory on $(df -T /tmp | awk 'NR == 2 { print $2 }')"
    echo "- Load at start: \`${uptime_start## }\`"
    echo "- Load at end: \`${uptime_end## }\`"
    echo "- PostgreSQL ${R[pg.version]:-?}, a throwaway server (\`scripts/with-postgres.sh\`) with"
    echo "  \`JOBSD_PG_DURABLE=1\`: PostgreSQL's default durability (fsync on, \`synchronous_commit=on\`)"
    echo "  for every queue; \`shared_buffers=256MB\`. Every node, peer and server share the $(nproc) cores."
    if [[ -z $pg_peers_problem ]]; then
      echo "- Node $(node -v), pg-boss $(node -p "require('$root/bench/node-pg/node_modules/pg-boss/package.json').version"),"
      echo "  graphile-worker $(node -p "require('$root/bench/node-pg/node_modules/graphile-worker/package.json').version") (npm, \`bench/node-pg/package-lock.json\`)"
    else
      echo "- **$pg_peers_problem.**"
    fi
    echo
    echo "## Sizes"
    echo
    echo "$pg_drain_n jobs per drain (BENCH_PG_DRAIN_JOBS), $jobs_n per batch enqueue (BENCH_JOBS),"
    echo "$single_n per one-by-one enqueue (BENCH_SINGLE_JOBS), $small_jobs finished jobs behind the HTTP"
    echo "figures (BENCH_SMALL_JOBS), $orders_n orders exported (BENCH_ORDERS; 1,000,000 at"
    echo "BENCH_SCALE=full); wrk ${wrk_seconds} s per figure. A drain of 10,000 jobs lasted about 1 s with"
    echo "3 nodes, of which each node spent 150-400 ms on its first claims while the others already"
    echo "claimed in batches, so drains empty a longer queue and measure the nodes at speed."
    echo
    echo "## 1. Queue throughput"
    echo
    echo "\`jobsd_queue_bench\` drives the engine (JobService, WorkerPool, the PostgreSQL store) with a"
    echo "no-op job type that only the benchmark binary registers. A jobsd node is a process of its own"
    echo "(\`jobsd_queue_bench node\`: its own connection pool and worker pool, $pg_workers workers), as a"
    echo "\`jobsd serve\` would be; K nodes drain one queue of $pg_drain_n jobs enqueued in batches. The peers"
    echo "run the same workload through \`bench/node-pg/pg_peers_bench.js\` with K forked processes of"
    echo "$pg_workers concurrent no-op handlers each: graphile-worker \`run()\` with \`concurrency: $pg_workers\`;"
    echo "pg-boss $pg_workers \`work()\` loops per process with \`batchSize: $pgboss_batch\` (jobsd's largest claim"
    echo "batch) and \`pollingIntervalSeconds: 0.5\` (its minimum: pg-boss waits that long after each"
    echo "fetch, so its rate follows batchSize; BENCH_PGBOSS_BATCH changes it). Enqueue one by one is one"
    echo "awaited call per job (jobsd \`JobService::Create\`, pg-boss \`send\`, graphile-worker \`addJob\`),"
    echo "each a commit; in batches 1,000 per call (\`CreateMany\`, \`insert\`, \`add_jobs\`). Each enqueue"
    echo "and drain starts from a fresh database; a drain ends at its last completion (jobsd, whose"
    echo "watcher asks the nodes for their counts every 20 ms rather than the server it measures) or at"
    echo "the first 20 ms poll that finds no job left (peers)."
    echo
    echo "$header"
    for label in single:"enqueue, one call per job" batch:"enqueue, batches of 1000"; do
      mode=${label%%:*}
      row "${label#*:} (jobs/s) vs pg-boss" "$(m pg.jobsd.enq.$mode)" "$(m pg.pgboss.enq.$mode)" - "—"
      row "${label#*:} (jobs/s) vs graphile-worker" "$(m pg.jobsd.enq.$mode)" "$(m pg.graphile.enq.$mode)" - "—"
    done
    for k in 1 2 3; do
      row "drain, $k node(s) (jobs/s) vs pg-boss" "$(m pg.jobsd.drain.$k)" "$(m pg.pgboss.drain.$k)" ge:3 "≥ 3× pg-boss"
      row "drain, $k node(s) (jobs/s) vs graphile-worker" "$(m pg.jobsd.drain.$k)" "$(m pg.graphile.drain.$k)" ge:1 "≥ 1× graphile-worker"
    done
    row "enqueue-to-start p50 (ms) at $(m pg.lat.rate) jobs/s, $pg_lat_nodes nodes" "$(m pg.lat.p50)" "" - "—"
    row "enqueue-to-start p99 (ms) at $(m pg.lat.rate) jobs/s, $pg_lat_nodes nodes" "$(m pg.lat.p99)" "" lt:50 "< 50 ms"
    row "share of those jobs started on a node other than A" "$(m pg.lat.other)" "" - "—"
    echo
    echo "Jobs per node in the last 3-node drain: ${R[pg.jobsd.drain.3.per_node]:-?}. The latency run creates"
    echo "every job through node A (one call per job, at fixed times) while A and $((pg_lat_nodes - 1)) other node(s)"
    echo "run workers; a job's wait runs from its \`created_at\` on A to its start on whichever node claimed"
    echo "it. The load is half the sustainable one: the lower of the median one-by-one enqueue rate and the"
    echo "median $pg_lat_nodes-node drain rate (BENCH_PG_LATENCY_RATE overrides it), for ${lat_seconds} s."
    echo
    echo "## 2. HTTP through two nodes"
    echo
    echo "Two \`jobsd serve\` (each 2 I/O threads, 1 job worker) on one database holding $small_jobs finished"
    echo "jobs; one wrk per node at the same time (\`wrk -t1 -c32\`, ${wrk_seconds} s), with a token issued"
    echo "by node A. The figure is the sum of both nodes' rates and the worse p99; the reference is the"
    echo "same 64 connections on node A alone (\`wrk -t2 -c64\`). No target: on $(nproc) cores two nodes share"
    echo "the CPU with the server and wrk, so this shows that a second node serves the same pages, not"
    echo "that it adds capacity."
    echo
    echo "| figure | two nodes | one node | ratio | target | met? |"
    echo "|---|---|---|---|---|---|"
    for size in 10 100; do
      row "GET /v2/jobs page $size, 64 conns (req/s)" "$(m pg.two.list$size.rps)" "$(m pg.one.list$size.c64.rps)" - "—"
      row "GET /v2/jobs page $size, 64 conns, p99 (ms)" "$(m pg.two.list$size.p99)" "$(m pg.one.list$size.c64.p99)" - "—"
    done
    echo
    echo "## 3. Export"
    echo
    echo "$orders_n seeded orders, all of them exported (no filter; ${R[pg.exp.jobsd.rows]:-?} rows), medians of"
    echo "$pg_export_reps alternating pairs. jobsd: the"
    echo "job's run time from claim to outcome (\`jobsd_job_duration_seconds_sum\`) on one \`jobsd serve\`"
    echo "node, and that node's peak resident memory (VmHWM). Reference: \`psql -c \"\\copy (SELECT <the 49"
    echo "columns> FROM orders ORDER BY created_at, id) TO '<file>' CSV HEADER\"\` on the same database"
    echo "(wall time around it, psql's max RSS from \`/usr/bin/time\`; the server's own memory is counted"
    echo "for neither). \\copy prints timestamps as stored integers and writes a local file without fsync;"
    echo "jobsd formats them, escapes, and stores the file durably. The seeded tables are vacuumed and analysed and the server checkpointed, then one untimed \\copy warms the cache."
    echo
    echo "$header"
    row "export time (s)" "$(m pg.exp.jobsd.s)" "$(m pg.exp.copy.s)" le:1.2 "≤ 1.2× \\copy"
    row "export peak memory per node (MiB)" "$(m pg.exp.jobsd.mib)" "$(m pg.exp.copy.mib)" lt:64 "< 64 MiB"
    echo
    echo "## How to run"
    echo
    echo "\`BENCH_ONLY=postgres bench/run.sh\` (the section is part of the default run too). It needs"
    echo "PostgreSQL 15's server binaries (\`scripts/install-deps.sh\` installs postgresql-15), installs"
    echo "pg-boss and graphile-worker with \`npm ci\` into \`bench/node-pg/\`, starts and removes its own"
    echo "server."
  } >"$1"
  cat "$1"
}
