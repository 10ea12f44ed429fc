#!/usr/bin/env bash
# Validates docs/openapi.json and a real `jobsd serve`'s answers against it
# (check_openapi.mjs; registered with CTest by CMakeLists.txt): installs the
# pinned validators with `npm ci` into a scratch copy of this directory, starts
# serve on a fresh store with the example orders, runs the check, stops serve.
# Nothing is skipped: a missing node or npm, or a failed install, fails the test.
#
# Usage: run_openapi_check.sh JOBSD_BINARY CHECK_SOURCE_DIR ORDERS_JSONL OPENAPI_JSON
set -euo pipefail

jobsd=$1
check_dir=$2
orders=$3
document=$4

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-openapi.XXXXXX")
serve_pid=""
cleanup() {
  if [[ -n "$serve_pid" ]] && kill -0 "$serve_pid" 2>/dev/null; then kill -KILL "$serve_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v node >/dev/null || fail "node is not installed (Node 20 is required)"
command -v npm >/dev/null || fail "npm is not installed"
[[ -x "$jobsd" ]] || fail "no jobsd binary at $jobsd"

cp "$check_dir/package.json" "$check_dir/package-lock.json" "$check_dir/check_openapi.mjs" "$work/"
if ! (cd "$work" && npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1; then
  cat "$work/npm.log" >&2
  fail "npm ci could not install the OpenAPI validators (output above)"
fi

export JOBSD_DB="$work/store/jobsd.db"
export JOBSD_EXPORTS="$work/store/exports"
export JOBSD_LISTEN="127.0.0.1:0"
"$jobsd" orders import "$orders" >/dev/null || fail "jobsd orders import failed"
credentials=$("$jobsd" credentials create --json) || fail "jobsd credentials create failed"
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
[[ -n "$url" ]] || { cat "$work/serve.err" >&2; fail "jobsd serve did not start listening"; }

check_status=0
(cd "$work" && JOBSD_URL="$url" CLIENT_ID="$client_id" CLIENT_SECRET="$client_secret" \
  DOCUMENT="$document" node check_openapi.mjs) || check_status=$?

kill -TERM "$serve_pid"
wait "$serve_pid" || true
serve_pid=""
if [[ $check_status -ne 0 ]]; then
  echo "--- jobsd serve log ---" >&2
  cat "$work/serve.err" >&2
  fail "the OpenAPI check failed (exit $check_status)"
fi
echo "PASS"
