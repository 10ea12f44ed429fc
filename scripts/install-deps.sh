#!/usr/bin/env bash
# Installs the Debian 12 packages jobsd builds and tests with, only those
# missing (apt-get update runs only when something must be installed).
# Boost comes in its 1.81 packages: Boost.JSON needs 1.81, and the
# unversioned libboost-*-dev would pull 1.74, which conflicts.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libssl-dev libgtest-dev
  libpq-dev postgresql-15 zlib1g-dev liblz4-dev libzstd-dev libjemalloc-dev strace
  chromium
)
# Extra tools, by purpose: JOBSD_DEPS_EXTRA="clang ..." adds more.
if [[ -n "${JOBSD_DEPS_EXTRA:-}" ]]; then
  read -r -a extra <<<"${JOBSD_DEPS_EXTRA}"
  packages+=("${extra[@]}")
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
