#!/usr/bin/env bash
# The official JavaScript SDK against a real `jobsd serve` (registered with CTest by
# CMakeLists.txt): installs the pinned SDK with `npm ci` into a scratch copy of this directory,
# starts serve on a fresh store with the example orders, creates credentials, runs sdk_flow.mjs,
# and stops serve with SIGTERM (tests/support/node_flow.sh). Nothing is skipped.
#
# Usage: run_sdk_flow.sh JOBSD_BINARY SDK_SOURCE_DIR ORDERS_JSONL
set -euo pipefail
source "$(dirname "$0")/../support/node_flow.sh"

node_flow_prepare "$1" "$2" "$3" package.json package-lock.json sdk_flow.mjs
node_flow_start_serve

flow_status=0
(cd "$work" && JOBSD_URL="$url" FILTER='gt(created_at,2024-01-01)' EXPECTED_ROWS=2 \
  node sdk_flow.mjs) || flow_status=$?

node_flow_stop_serve
if [[ $flow_status -ne 0 ]]; then
  echo "--- jobsd serve log ---" >&2
  cat "$work/serve.err" >&2
  fail "the SDK flow failed (exit $flow_status)"
fi
[[ $serve_status -eq 0 ]] || fail "jobsd serve exited $serve_status after SIGTERM"
echo "PASS"
