#!/usr/bin/env bash
# Installs what is missing, builds sortie and runs the ctest suite. Exits
# non-zero on any failure. Idempotent.
#   scripts/test.sh               the suite on the release build against MPICH (build/)
#   scripts/test.sh --sanitize    the suite built with ASan+UBSan (build-sanitize/)
#   scripts/test.sh --mpi openmpi the suite against Open MPI, the second MPI
#                                 (build-openmpi/; without the fuzz and bench
#                                 tests, which do not depend on the MPI)
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$SORTIE_ROOT"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

mode=${1:-}
case "$mode" in
  "") ;;
  --sanitize) ;;
  --mpi) [ "${2:-}" = openmpi ] || usage; mode=openmpi ;;
  *) usage ;;
esac

ensure_packages "${SORTIE_PACKAGES[@]}"
if [ "$mode" = --sanitize ]; then
  configure_and_build build-sanitize -DSORTIE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  # Slow unwinding resolves frames inside MPI plugins that UCX dlopens and
  # unloads, so their allocations match the suppressions.
  export LSAN_OPTIONS=suppressions=$SORTIE_ROOT/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" --timeout 600
elif [ "$mode" = openmpi ]; then
  # Installing Open MPI makes it Debian's default mpicc/mpiexec; the MPICH
  # builds name MPICH's explicitly, so they are not affected.
  ensure_packages "${OPENMPI_PACKAGES[@]}"
  configure_and_build_with "$OPENMPI_CC" "$OPENMPI_EXEC" build-openmpi -DSORTIE_WERROR=ON
  # The integration tests set what Open MPI needs to run as root and with
  # more ranks than cores (tests/integration/CMakeLists.txt).
  ctest --test-dir build-openmpi --output-on-failure -j "$(nproc)" --timeout 300 \
    -LE 'fuzz|bench'
else
  configure_and_build build -DSORTIE_WERROR=ON
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300
fi
