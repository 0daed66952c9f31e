#!/usr/bin/env bash
# Installs, builds, then: trains on the embedded example data, evaluates the run on the test split,
# and audits it for bias against configs/audit-policy.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/fm-train --config configs/quickstart.json
build/bin/fm-eval --run runs/quickstart --data data/comments/test.csv \
  --predictions runs/quickstart/test_predictions.csv
# The example's training data is skewed on purpose, so the model is expected to fail the policy
# (exit 1); any other non-zero exit is a real error.
rc=0
build/bin/fm-audit --config configs/audit-policy.json --markdown runs/quickstart/audit.md || rc=$?
if [[ $rc -eq 1 ]]; then
  echo "quickstart: the audit found the bias the skewed training data taught the model (exit 1, as expected)" >&2
elif [[ $rc -ne 0 ]]; then
  exit $rc
fi
