#!/usr/bin/env bash
# Fuzzes the manifest reader with libFuzzer for a bounded time; run by ctest
# (label `fuzz`) or by hand:
#   tests/fuzz/run_fuzz.sh SOURCE_DIR BUILD_DIR [FUZZ_BINARY]
# Without FUZZ_BINARY (a clang build passes its own), compiles the target
# with clang++-14 into BUILD_DIR from the sources listed in manifest_fuzz.cc.
# Runs it over a copy of SOURCE_DIR/tests/fuzz/corpus/manifest in BUILD_DIR,
# so new inputs never land in the source tree, and fails on any crash, hang,
# leak, sanitizer report or broken promise of the reader (crash inputs are
# kept in BUILD_DIR/artifacts). Exits 77, which ctest counts as skipped, when
# clang++-14 or its libFuzzer runtime (libclang-rt-14-dev) is missing.
# Environment:
#   SORTIE_FUZZ_SECONDS  how long to fuzz (default 60)
#   SORTIE_FUZZ_CXX      the compiler (default /usr/bin/clang++-14)
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR [FUZZ_BINARY]" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
binary=${3:-}
seconds=${SORTIE_FUZZ_SECONDS:-60}
cxx=${SORTIE_FUZZ_CXX:-/usr/bin/clang++-14}

skip() {
  echo "fuzz: SKIPPED: $*"
  exit 77
}

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: SORTIE_FUZZ_SECONDS must be a whole number of seconds > 0" \
    "(got '$seconds')" >&2
  exit 2
fi

sources=(
  "$src/tests/fuzz/manifest_fuzz.cc"
  "$src"/master/manifest*.cc
  "$src/common/sha256.cc"
  "$src/common/json_escape.cc"
  "$src/common/task.cc"
  "$src/common/task_results.cc"
  "$src/common/posix_regex.cc"
  "$src/common/prefault.cc"
)

# Compiles the fuzz target unless the one in BUILD_DIR is newer than every
# source, header and this script.
build() {
  [ -x "$cxx" ] || skip "$cxx not found (install the clang-14 package)"
  local resource runtime
  resource=$("$cxx" -print-resource-dir)
  runtime="$resource/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
  [ -f "$runtime" ] ||
    skip "no libFuzzer runtime at $runtime (install libclang-rt-14-dev)"
  binary="$out/manifest_fuzz"
  if [ -x "$binary" ] && [ -z "$(find "${sources[@]}" "$src"/master/manifest*.h \
    "$src"/common/*.h "$0" -newer "$binary" 2>/dev/null)" ]; then
    echo "fuzz: $binary is up to date"
    return
  fi
  echo "fuzz: compiling $binary with $cxx"
  "$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src" "${sources[@]}" -lsimdjson -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
}

if [ -z "$binary" ]; then
  build
fi
[ -x "$binary" ] || { echo "fuzz: no fuzz binary at $binary" >&2; exit 1; }

# A fresh copy each run: libFuzzer adds what it finds to its first corpus
# directory, and the committed seeds must stay as they are.
work="$out/corpus-run"
artifacts="$out/artifacts"
rm -rf "$work"
mkdir -p "$work" "$artifacts"
cp "$src"/tests/fuzz/corpus/manifest/* "$work"/

echo "fuzz: running for ${seconds}s over a copy of $(ls "$work" | wc -l) seeds"
cd "$out"
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -dict="$src/tests/fuzz/manifest.dict" \
  -artifact_prefix="$artifacts/" "$work" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status). A crashing input, if any, is in" \
    "$artifacts/; reproduce with: $binary $artifacts/<file>" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds}s"
