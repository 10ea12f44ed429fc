#!/usr/bin/env bash
# The official JavaScript SDK against a real `jobsd serve` (registered with CTest by
# CMakeLists.txt): installs the pinned SDK with `npm ci` into a scratch copy of this directory,
# starts serve on a fresh store with the example orders, creates credentials, runs sdk_flow.mjs,
# and stops serve with SIGTERM. Nothing is skipped: a missing node or npm, or an install that
# fails, fails the test with the reason.
#
# Usage: run_sdk_flow.sh JOBSD_BINARY SDK_SOURCE_DIR ORDERS_JSONL
set -euo pipefail

jobsd=$1
sdk_dir=$2
orders=$3

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-sdk.XXXXXX")
serve_pid=""
cleanup() {
  if [[ -n "$serve_pid" ]] && kill -0 "$serve_pid" 2>/dev/null; then kill -KILL "$serve_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v node >/dev/null || fail "node is not installed (Node 20 is required)"
command -v npm >/dev/null || fail "npm is not installed"
[[ -x "$jobsd" ]] || fail "no jobsd binary at $jobsd"

# A copy, so the source tree gets no node_modules and parallel runs do not share one.
cp "$sdk_dir/package.json" "$sdk_dir/package-lock.json" "$sdk_dir/sdk_flow.mjs" "$work/"
echo "step: npm ci (pinned @elasticpath/js-sdk from package-lock.json)"
if ! (cd "$work" && npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1; then
  cat "$work/npm.log" >&2
  fail "npm ci could not install the JavaScript SDK (output above)"
fi

export JOBSD_DB="$work/store/jobsd.db"
export JOBSD_EXPORTS="$work/store/exports"
export JOBSD_LISTEN="127.0.0.1:0"
"$jobsd" orders import "$orders" || fail "jobsd orders import failed"
credentials=$("$jobsd" credentials create --json) || fail "jobsd credentials create failed"
# The JSON has exactly two string fields; node reads it rather than a fragile sed.
client_id=$(node -e 'console.log(JSON.parse(process.argv[1]).client_id)' "$credentials")
client_secret=$(node -e 'console.log(JSON.parse(process.argv[1]).client_secret)' "$credentials")

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

flow_status=0
(cd "$work" && JOBSD_URL="$url" CLIENT_ID="$client_id" CLIENT_SECRET="$client_secret" \
  FILTER='gt(created_at,2024-01-01)' EXPECTED_ROWS=2 node sdk_flow.mjs) || flow_status=$?

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

if [[ $flow_status -ne 0 ]]; then
  echo "--- jobsd serve log ---" >&2
  cat "$work/serve.err" >&2
  fail "the SDK flow failed (exit $flow_status)"
fi
[[ $serve_status -eq 0 ]] || fail "jobsd serve exited $serve_status after SIGTERM"
echo "PASS"
