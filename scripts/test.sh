#!/usr/bin/env bash
# Installs everything the tests need, builds, and runs the whole suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-tests
ctest --test-dir build --output-on-failure --parallel "$(nproc)" "$@"
