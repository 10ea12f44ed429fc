#!/usr/bin/env bash
# Configures and builds jobsd into build/ (or $JOBSD_BUILD_DIR).
# Extra CMake arguments pass through: scripts/build.sh -DJOBSD_ASAN=ON
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ccache-env.sh
build_dir=${JOBSD_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${JOBSD_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
ninja -C "$build_dir" -j"${JOBSD_JOBS:-$(nproc)}"
