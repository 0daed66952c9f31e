"""check_thresholds.py POSTPROCESS_JSON PREDICTIONS_CSV

Recomputes every y_pred of an fm-eval predictions file from the run's postprocess.json, following
the rule documented in include/fm/fairness/thresholds.h: P = p_ignore*constant + (1 - p_ignore) *
(p0*[score > threshold0] + (1 - p0)*[score > threshold1]) with the rule of the row's group (the
overall rule for unseen or unfitted groups), score = p_<positive label>, positive iff
u < P with u = (splitmix64(fnv1a64(id) ^ splitmix64(seed)) >> 11) * 2^-53. Exits 1 on a mismatch.
"""

import csv
import json
import os
import sys

# The rule itself is shared with tests/python/test_postprocess.py (no .pyc in the source tree).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from _threshold_rule import coin, rule_probability  # noqa: E402


post = json.load(open(sys.argv[1]))
t = post["thresholds"]
rules = {g["group"]: g for g in t["groups"] if g["fitted"]}
mismatches = 0
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
classes = sorted(k[2:] for k in rows[0] if k.startswith("p_"))
negative = [c for c in classes if c != t["positive_label"]][0]
for row in rows:
    score = float(row["p_" + t["positive_label"]])
    rule = rules.get(row[t["column"]], t["overall"])
    want = t["positive_label"] if coin(t["seed"], row["id"]) < rule_probability(rule, score) \
        else negative
    if row["y_pred"] != want:
        mismatches += 1
        print(f"row {row['id']}: y_pred {row['y_pred']}, rule says {want}", file=sys.stderr)
print(f"{len(rows)} rows, {mismatches} mismatches")
sys.exit(1 if mismatches or not rows else 0)
