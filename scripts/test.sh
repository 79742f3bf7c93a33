#!/usr/bin/env bash
# Installs what is missing, builds sortie against MPICH into build/, and runs
# the whole ctest suite. Exits non-zero on any failure. Idempotent.
#   scripts/test.sh             the suite on the release build (build/)
#   scripts/test.sh --sanitize  the suite built with ASan+UBSan (build-sanitize/)
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$SORTIE_ROOT"

ensure_packages "${SORTIE_PACKAGES[@]}"
if [ "${1:-}" = "--sanitize" ]; then
  configure_and_build build-sanitize -DSORTIE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  # Slow unwinding resolves frames inside MPI plugins that UCX dlopens and
  # unloads, so their allocations match the suppressions.
  export LSAN_OPTIONS=suppressions=$SORTIE_ROOT/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" --timeout 600
else
  configure_and_build build -DSORTIE_WERROR=ON
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300
fi
