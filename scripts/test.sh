#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds, and runs the whole
# test suite with CTest against a throwaway PostgreSQL (scripts/with-postgres.sh
# starts it and removes it afterwards). Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${JOBSD_BUILD_DIR:-build}"
../scripts/with-postgres.sh ctest --output-on-failure -j"${JOBSD_TEST_JOBS:-2}" --timeout 900
