#!/usr/bin/env bash
# The dashboard in Debian's Chromium (dashboard_flow.mjs; registered with
# CTest by CMakeLists.txt): installs the pinned puppeteer-core with `npm ci`
# into a scratch copy of this directory, seeds orders so that an export of
# every order keeps a worker busy for a moment (an export created meanwhile
# waits, pending, to be cancelled; a running one shows progress), starts serve
# (tests/support/node_flow.sh), runs the flow, stops serve. Nothing is
# skipped: no chromium, node or npm fails the test.
#
# Usage: run_dashboard_flow.sh JOBSD_BINARY FLOW_SOURCE_DIR ORDERS_JSONL SCREENSHOT_DIR [DOCS_SCREENSHOT_DIR]
# With JOBSD_UPDATE_SCREENSHOTS=1 the screenshots are written to
# DOCS_SCREENSHOT_DIR (docs/screenshots) too.
set -euo pipefail
source "$(dirname "$0")/../support/node_flow.sh"
screenshots=$4
docs_screenshots=${5:-}
chromium=${CHROMIUM:-/usr/bin/chromium}
[[ -x "$chromium" ]] || fail "no Chromium at $chromium (Debian package chromium; scripts/install-deps.sh)"

node_flow_prepare "$1" "$2" "$3" package.json package-lock.json dashboard_flow.mjs \
  launch_chromium.mjs
echo "step: seed ${JOBSD_UI_SEED_ORDERS:=50000} orders"
"$jobsd" orders seed --count "$JOBSD_UI_SEED_ORDERS" >/dev/null || fail "jobsd orders seed failed"
node_flow_start_serve

update=""
if [[ "${JOBSD_UPDATE_SCREENSHOTS:-}" == 1 && -n "$docs_screenshots" ]]; then update=$docs_screenshots; fi
flow_status=0
(cd "$work" && JOBSD_URL="$url" JOBSD_BINARY="$jobsd" CHROMIUM="$chromium" \
  SCREENSHOT_DIR="$screenshots" UPDATE_SCREENSHOTS_DIR="$update" \
  COMPARE_FILTER='eq(order_number,1001)' timeout 120 node dashboard_flow.mjs) || flow_status=$?

node_flow_stop_serve
if [[ $flow_status -ne 0 ]]; then
  echo "--- jobsd serve log ---" >&2
  tail -n 50 "$work/serve.err" >&2
  fail "the dashboard flow failed (exit $flow_status)"
fi
[[ $serve_status -eq 0 ]] || fail "jobsd serve exited $serve_status after SIGTERM"
echo "PASS"
