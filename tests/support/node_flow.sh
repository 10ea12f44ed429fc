# Sourced by the node-driven checks (tests/sdk/run_sdk_flow.sh,
# tests/api/openapi/run_openapi_check.sh): a scratch directory with the pinned
# npm packages, a fresh store with the example orders and credentials, and a
# real `jobsd serve` started and stopped around the check. Nothing is skipped:
# a missing node or npm, or an install that fails, fails the check.
#
# Usage: source it, then
#   node_flow_prepare JOBSD_BINARY SOURCE_DIR ORDERS_JSONL FILE...  (FILEs copied from SOURCE_DIR)
#   node_flow_start_serve        # sets $url
#   ... run the check in "$work" with CLIENT_ID / CLIENT_SECRET ...
#   node_flow_stop_serve         # sets $serve_status (0 on a clean exit)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-node-flow.XXXXXX")
serve_pid=""
node_flow_cleanup() {
  if [[ -n "$serve_pid" ]] && kill -0 "$serve_pid" 2>/dev/null; then kill -KILL "$serve_pid"; fi
  rm -rf "$work"
}
trap node_flow_cleanup EXIT

node_flow_prepare() {
  jobsd=$1
  local source_dir=$2 orders=$3
  shift 3
  command -v node >/dev/null || fail "node is not installed (Node 20 is required)"
  command -v npm >/dev/null || fail "npm is not installed"
  [[ -x "$jobsd" ]] || fail "no jobsd binary at $jobsd"
  # A copy, so the source tree gets no node_modules and parallel runs do not share one.
  local file
  for file in "$@"; do cp "$source_dir/$file" "$work/"; done
  echo "step: npm ci (pinned packages from package-lock.json)"
  if ! (cd "$work" && npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1; then
    cat "$work/npm.log" >&2
    fail "npm ci could not install the pinned packages (output above)"
  fi
  export JOBSD_DB="$work/store/jobsd.db"
  export JOBSD_EXPORTS="$work/store/exports"
  export JOBSD_LISTEN="127.0.0.1:0"
  "$jobsd" orders import "$orders" >/dev/null || fail "jobsd orders import failed"
  local credentials
  credentials=$("$jobsd" credentials create --json) || fail "jobsd credentials create failed"
  # The JSON has exactly two string fields; node reads it rather than a fragile sed.
  CLIENT_ID=$(node -e 'console.log(JSON.parse(process.argv[1]).client_id)' "$credentials")
  CLIENT_SECRET=$(node -e 'console.log(JSON.parse(process.argv[1]).client_secret)' "$credentials")
  export CLIENT_ID CLIENT_SECRET
}

node_flow_start_serve() {
  "$jobsd" serve --workers 2 >"$work/serve.out" 2>"$work/serve.err" &
  serve_pid=$!
  url=""
  for _ in $(seq 200); do  # up to 20 s
    url=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$work/serve.out" | sed 's/listening on //' || true)
    [[ -n "$url" ]] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$url" ]]; then
    cat "$work/serve.err" >&2
    fail "jobsd serve did not start listening"
  fi
  echo "jobsd serve at $url"
}

node_flow_stop_serve() {
  kill -TERM "$serve_pid"
  serve_status=""
  for _ in $(seq 300); do  # up to 30 s
    if ! kill -0 "$serve_pid" 2>/dev/null; then
      serve_status=0
      wait "$serve_pid" || serve_status=$?
      break
    fi
    sleep 0.1
  done
  if [[ -z "$serve_status" ]]; then
    cat "$work/serve.err" >&2
    fail "jobsd serve (pid $serve_pid) did not stop within 30 s of SIGTERM"
  fi
  serve_pid=""
}
