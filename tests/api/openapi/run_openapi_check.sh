#!/usr/bin/env bash
# Validates docs/openapi.json and a real `jobsd serve`'s answers against it
# (check_openapi.mjs; registered with CTest by CMakeLists.txt): installs the
# pinned validators with `npm ci` into a scratch copy of this directory, starts
# serve on a fresh store with the example orders, runs the check, stops serve
# (tests/support/node_flow.sh). Nothing is skipped.
#
# Usage: run_openapi_check.sh JOBSD_BINARY CHECK_SOURCE_DIR ORDERS_JSONL OPENAPI_JSON
set -euo pipefail
source "$(dirname "$0")/../../support/node_flow.sh"
document=$4

node_flow_prepare "$1" "$2" "$3" package.json package-lock.json check_openapi.mjs
node_flow_start_serve

check_status=0
(cd "$work" && JOBSD_URL="$url" DOCUMENT="$document" node check_openapi.mjs) || check_status=$?

node_flow_stop_serve
if [[ $check_status -ne 0 ]]; then
  echo "--- jobsd serve log ---" >&2
  cat "$work/serve.err" >&2
  fail "the OpenAPI check failed (exit $check_status)"
fi
[[ $serve_status -eq 0 ]] || fail "jobsd serve exited $serve_status after SIGTERM"
echo "PASS"
