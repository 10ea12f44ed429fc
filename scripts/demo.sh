#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, seeds demo orders
# into the default store (./var/jobsd.db) when it has none, and runs
# `jobsd serve` on 127.0.0.1:8080. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [[ ! -s var/jobsd.db ]] || [[ $(sqlite3 var/jobsd.db 'SELECT count(*) FROM orders' 2>/dev/null || echo 0) == 0 ]]; then
  build/jobsd orders seed --count "${JOBSD_DEMO_ORDERS:-10000}" --seed 42
fi
exec build/jobsd serve "$@"
