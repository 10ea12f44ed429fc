# Sourced by the build scripts: compile through ccache when it is installed
# (scripts/install-deps.sh installs it), so that the several trees CI builds
# (plain, sanitizers, fuzzing, benchmarks) and later builds of any clone on
# the same machine reuse objects. Paths are hashed relative to the clone and
# without the working directory, so two clones share their entries.
# JOBSD_NO_CCACHE=1 turns it off.
if [[ -z ${JOBSD_NO_CCACHE:-} ]] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
