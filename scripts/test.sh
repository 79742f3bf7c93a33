#!/usr/bin/env bash
# Installs what is missing, builds sortie against MPICH into build/, and runs
# the whole ctest suite. Exits non-zero on any failure. Idempotent.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$SORTIE_ROOT"

ensure_packages "${SORTIE_PACKAGES[@]}"
configure_and_build build
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300
