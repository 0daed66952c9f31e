#!/usr/bin/env bash
# Builds fmkit with AddressSanitizer + UndefinedBehaviorSanitizer (-DFMKIT_SANITIZE=address,undefined,
# -O1) into build-sanitize/ and runs the unit, CLI and bad-input tests there (ctest labels unit, cli,
# bad_inputs; the Python comparisons and the install test check numbers and packaging, which the
# sanitizers add nothing to). Any sanitizer report fails its test.
#   scripts/sanitize.sh [ctest arguments...]
# Run-time options and suppressions: tests/sanitize/ (see its README.md). Needs the packages of
# scripts/setup.sh --with-tests. Environment: FM_SANITIZE_JOBS (build jobs, default nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-tests --no-build
build=build-sanitize
start=$(date +%s)
if ! grep -q '^FMKIT_SANITIZE:STRING=address,undefined' "$build/CMakeCache.txt" 2>/dev/null; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE= \
        -DFMKIT_SANITIZE=address,undefined -DFMKIT_BUILD_TESTS=ON -DFMKIT_INSTALL=OFF >/dev/null
fi
cmake --build "$build" --parallel "${FM_SANITIZE_JOBS:-$(nproc)}"
built=$(date +%s)
supp=$PWD/tests/sanitize
export ASAN_OPTIONS="${ASAN_OPTIONS:-$(grep -v '^#' "$supp/asan.options" | paste -sd:)}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$supp/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp}"
ctest --test-dir "$build" -L 'unit|cli|bad_inputs' --output-on-failure --parallel "$(nproc)" "$@"
echo "sanitize.sh: build $((built - start)) s, tests $(($(date +%s) - built)) s"
