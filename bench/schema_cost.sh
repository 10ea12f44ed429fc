#!/usr/bin/env bash
# What each part of the jobs table's schema costs a batch enqueue, beside plainjob.
#
#   bash bench/schema_cost.sh            # 10,000 and 100,000 jobs, 3 alternating rounds
#   BENCH_SCHEMA_JOBS="10000" BENCH_REPS=5 bash bench/schema_cost.sh
#
# Builds Release into build-bench/ (as bench/run.sh does) and migrates a fresh store. Beside it,
# variants: the same store with a unique index on every job's random id added back (what each
# job paid before migration 0014, when the id was the table's key), with the id back inside the
# claim and listing indexes (before 0015), with the two insert triggers of before 0016, with the
# one of 0016 (0017 dropped it: the store counts its inserts), and with one that does nothing.
# Each is filled by `jobsd_queue_bench rawbatch` (raw SQLite, the engine's statement shape and
# ids, batches of 1000 counted by one UPDATE each, WAL, synchronous=FULL), in the same
# directory and the same minutes as plainjob's batch enqueue at its own synchronous=NORMAL and at
# FULL. Writes bench/RESULTS-schema.md (BENCH_OUT overrides). Needs what
# bench/run.sh needs (sqlite3, Node.js, bench/node).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
counts=${BENCH_SCHEMA_JOBS:-10000 100000}
reps=${BENCH_REPS:-3}
build=${BENCH_BUILD_DIR:-build-bench}
out=${BENCH_OUT:-$root/bench/RESULTS-schema.md}
log() { echo "schema_cost: $*" >&2; }

JOBSD_DEPS_EXTRA="sqlite3 ${JOBSD_DEPS_EXTRA:-}" scripts/install-deps.sh
if [[ ! -f bench/node/node_modules/better-sqlite3/build/Release/better_sqlite3.node ||
      ! -d bench/node/node_modules/plainjob ]]; then
  (cd bench/node && npm install --no-audit --no-fund --loglevel=error >&2)
fi
if [[ -z ${BENCH_NO_BUILD:-} ]]; then
  source scripts/ccache-env.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" -j"${JOBSD_JOBS:-2}" jobsd jobsd_queue_bench >&2
fi
qbench=$root/$build/bench/jobsd_queue_bench
work=$(mktemp -d /tmp/jobsd-schema.XXXXXX)
trap 'rm -rf "$work"' EXIT
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the variants ----------------------------------------------------------------------------
"$root/$build/jobsd" migrate --db "$work/current.db" >/dev/null
# The jobs table, its indexes and triggers as the store holds them.
sqlite3 "$work/current.db" \
  "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'jobs' AND sql IS NOT NULL" \
  >"$work/jobs.sql"
view=$(sqlite3 "$work/current.db" "SELECT sql || ';' FROM sqlite_master WHERE name = 'jobs_readable'")

# variant NAME FROM SED [SQL]: FROM's store with the jobs table rebuilt from its DDL edited by
# SED (each expression must change something), then SQL run on it.
variant() {
  local name=$1 from=$2 sed_program=$3 extra=${4:-}
  sed -e "$sed_program" "$work/$from.sql" >"$work/$name.sql"
  if [[ -n $sed_program ]] && cmp -s "$work/$from.sql" "$work/$name.sql"; then
    echo "schema_cost: the edit for $name changed nothing; has the schema moved on?" >&2; exit 1
  fi
  cp "$work/current.db" "$work/$name.db"
  { echo "PRAGMA foreign_keys = OFF; BEGIN; DROP VIEW jobs_readable; DROP TABLE jobs;"
    cat "$work/$name.sql"; echo "$view"; echo "$extra"; echo "COMMIT;"; } | sqlite3 "$work/$name.db"
}
cp "$work/current.db" "$work/random_id_index.db"
sqlite3 "$work/random_id_index.db" "CREATE UNIQUE INDEX jobs_id_random ON jobs (id)"
variant ids_in_indexes jobs \
  's/(created_at, seq, run_after)/(created_at, id, run_after)/; s/(created_at, seq, expires_at)/(created_at, id, expires_at)/'
cp "$work/current.db" "$work/two_insert_triggers.db"
sqlite3 "$work/two_insert_triggers.db" "
  CREATE TRIGGER jobs_insert_pending BEFORE INSERT ON jobs WHEN NEW.status IS NOT 'pending'
  BEGIN SELECT RAISE(FAIL, 'a job must be created pending'); END;
  CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
  BEGIN UPDATE job_counts SET jobs = jobs + 1 WHERE status = NEW.status; END;"
cp "$work/current.db" "$work/one_insert_trigger.db"
sqlite3 "$work/one_insert_trigger.db" "
  CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs BEGIN
  SELECT RAISE(ROLLBACK, 'a job must be created pending') WHERE NEW.status IS NOT 'pending';
  UPDATE job_counts SET jobs = jobs + 1 WHERE status = 'pending'; END;"
# A trigger whose WHEN clause no row meets: what running a trigger program per row costs alone.
cp "$work/current.db" "$work/idle_insert_trigger.db"
sqlite3 "$work/idle_insert_trigger.db" "
  CREATE TRIGGER jobs_inserted AFTER INSERT ON jobs WHEN NEW.status IS NOT 'pending' BEGIN
  SELECT RAISE(ROLLBACK, 'a job must be created pending'); END;"
variants=(random_id_index ids_in_indexes two_insert_triggers one_insert_trigger idle_insert_trigger
  current)

# ---- runs ------------------------------------------------------------------------------------
declare -A R
add() { R[$1]="${R[$1]:-} $2"; }
median() {
  tr ' ' '\n' <<<"${R[$1]:-}" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {
    if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2];
    else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
value() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
fresh() { rm -f "$1" "$1-wal" "$1-shm"; }
db=$work/run.db
for n in $counts; do
  for ((rep = 1; rep <= reps; rep++)); do
    log "$n jobs, round $rep of $reps"
    for v in "${variants[@]}"; do
      fresh "$db"; cp "$work/$v.db" "$db"
      line=$("$qbench" rawbatch --db "$db" --jobs "$n")
      add "$n.$v" "$(value rawbatch_jobs_per_s <<<"$line")"
      add "$n.$v.frames" "$(value wal_frames_per_commit <<<"$line")"
    done
    for sync in default FULL; do
      fresh "$db"
      line=$(node bench/node/plainjob_bench.js enqueue --db "$db" --jobs "$n" --mode batch --sync "$sync")
      add "$n.plainjob.$sync" "$(value enqueue_jobs_per_s <<<"$line" | cut -d. -f1)"
    done
  done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ----------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "n/a") printf "%.2f", a / b; else print "n/a" }'; }
describe() {
  case $1 in
    current) echo "the schema as migrated (migration $(sqlite3 "$work/current.db" 'SELECT max(version) FROM schema_migrations'))" ;;
    random_id_index) echo "the schema as migrated plus a unique index on \`id\` (each job's random UUID v4: the key before 0014)" ;;
    ids_in_indexes) echo "the schema as migrated, ties in \`jobs_claim\` and \`jobs_listing\` broken by \`id\` instead of \`seq\` (as before 0015)" ;;
    two_insert_triggers) echo "the schema as migrated plus \`jobs_insert_pending\` and \`job_counts_insert\` (the insert triggers before 0016)" ;;
    one_insert_trigger) echo "the schema as migrated plus \`jobs_inserted\` (the insert trigger of 0016, dropped by 0017)" ;;
    idle_insert_trigger) echo "the schema as migrated plus an insert trigger whose WHEN clause no row meets" ;;
  esac
}
{
  echo "# What the jobs schema costs a batch enqueue"
  echo
  echo "\`bash bench/schema_cost.sh\` at $commit, $(date -u +%Y-%m-%dT%H:%MZ), ${reps} alternating rounds,"
  echo "medians; load average $load_start at the start, $load_end at the end. Raw SQLite"
  echo "(\`jobsd_queue_bench rawbatch\`: 32 rows per INSERT, batches of 1000, WAL, \`synchronous=FULL\`)"
  echo "into a fresh store (the rows jobsd's engine stores, their ids derived from \`seq\` as the store makes them),"
  echo "as migrated and with parts added back or dropped;"
  echo "plainjob's batch enqueue (\`addMany\`, batches of 1000) in the same directory and minutes."
  echo "Jobs per second; the ratio is against plainjob at its own \`synchronous=NORMAL\`; WAL pages per"
  echo "commit: the 4 KiB pages SQLite appended to the WAL per transaction of 1000 jobs (a WAL hook counts them)."
  echo
  header="| jobs table |"; rule="|---|"
  for n in $counts; do header+=" $n: jobs/s | vs plainjob | WAL pages per commit |"; rule+="---:|---:|---:|"; done
  echo "$header"; echo "$rule"
  for v in "${variants[@]}"; do
    row="| $(describe "$v") |"
    for n in $counts; do
      row+=" $(median "$n.$v") | $(ratio "$(median "$n.$v")" "$(median "$n.plainjob.default")") | $(median "$n.$v.frames") |"
    done
    echo "$row"
  done
  for sync in default FULL; do
    row="| plainjob, synchronous=$([[ $sync == default ]] && echo NORMAL || echo FULL) |"
    for n in $counts; do
      row+=" $(median "$n.plainjob.$sync") | $(ratio "$(median "$n.plainjob.$sync")" "$(median "$n.plainjob.default")") | — |"
    done
    echo "$row"
  done
  echo
  echo "Every value: $(for k in "${!R[@]}"; do echo -n "$k:${R[$k]}; "; done | tr -s ' ')"
} >"$out"
cat "$out"
