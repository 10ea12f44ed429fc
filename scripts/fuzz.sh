#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang into build-fuzz/ and runs
# each for ${JOBSD_FUZZ_SECONDS:-60} seconds on a temporary copy of its seed
# corpus (the repository is never written to), then replays every file of
# fuzz/regressions/<target>/. Prints the executions per target and exits 1 on
# any crash, sanitizer report or failed property; the crashing input is kept
# in build-fuzz/fuzz-artifacts/<target>/.
# JOBSD_FUZZ_TARGETS="filter_fuzz ..." runs only some targets.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ccache-env.sh

JOBSD_DEPS_EXTRA="clang libclang-rt-14-dev ${JOBSD_DEPS_EXTRA:-}" scripts/install-deps.sh

build_dir=${JOBSD_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${JOBSD_FUZZ_SECONDS:-60}
targets=(${JOBSD_FUZZ_TARGETS:-filter_fuzz order_line_fuzz jobs_body_fuzz router_fuzz http_framing_fuzz webhook_url_fuzz})

CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DJOBSD_FUZZ=ON -DJOBSD_BUILD_TESTS=OFF >/dev/null
ninja -C "$build_dir" -j"${JOBSD_JOBS:-$(nproc)}" "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
summary=()
for target in "${targets[@]}"; do
  binary="$build_dir/fuzz/$target"
  artifacts="$build_dir/fuzz-artifacts/$target"
  mkdir -p "$artifacts" "$work/$target"
  cp -r "fuzz/corpus/$target/." "$work/$target/"
  log="$work/$target.log"
  echo "-- $target: fuzzing for ${seconds} s"
  status=0
  # One fuzzer at a time, one job: the machine is shared.
  "$binary" "$work/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if ((status != 0)); then
    tail -n 60 "$log"
    failed+=("$target (fuzzing, exit $status; inputs in $artifacts)")
  fi

  mapfile -t regressions < <(find "fuzz/regressions/$target" -type f ! -name '.gitkeep' 2>/dev/null | sort)
  if ((${#regressions[@]} > 0)); then
    echo "-- $target: replaying ${#regressions[@]} regression input(s)"
    status=0
    "$binary" -rss_limit_mb=2048 -timeout=10 "${regressions[@]}" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
      tail -n 60 "$log"
      failed+=("$target (regressions, exit $status)")
    fi
  fi
  summary+=("$(printf '%-16s %12s executions in %s s' "$target" "${executions:-?}" "$seconds")")
done

echo
echo "== fuzzing summary =="
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "FAILED:"
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
