#!/usr/bin/env bash
# Installs, builds, then trains on the embedded example data and evaluates the run on its test split.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/fm-train --config configs/quickstart.json
build/bin/fm-eval --run runs/quickstart --data data/comments/test.csv \
  --predictions runs/quickstart/test_predictions.csv
