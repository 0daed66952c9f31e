"""check_thresholds.py POSTPROCESS_JSON PREDICTIONS_CSV

Recomputes every y_pred of an fm-eval predictions file from the run's postprocess.json, following
the rule documented in include/fm/fairness/thresholds.h: P = p_ignore*constant + (1 - p_ignore) *
(p0*[score > threshold0] + (1 - p0)*[score > threshold1]) with the rule of the row's group (the
overall rule for unseen or unfitted groups), score = p_<positive label>, positive iff
u < P with u = (splitmix64(fnv1a64(id) ^ splitmix64(seed)) >> 11) * 2^-53. Exits 1 on a mismatch.
"""

import csv
import json
import math
import sys

MASK = (1 << 64) - 1


def fnv1a64(s):
    h = 1469598103934665603
    for c in s.encode():
        h ^= c
        h = (h * 1099511628211) & MASK
    return h


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def threshold(v):
    return {"inf": math.inf, "-inf": -math.inf}[v] if isinstance(v, str) else v


def probability(rule, s):
    by_score = rule["p0"] * (s > threshold(rule["threshold0"])) + \
        (1 - rule["p0"]) * (s > threshold(rule["threshold1"]))
    return rule["p_ignore"] * rule["constant"] + (1 - rule["p_ignore"]) * by_score


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
    u = (splitmix64(fnv1a64(row["id"]) ^ splitmix64(t["seed"])) >> 11) * 2.0 ** -53
    want = t["positive_label"] if u < probability(rule, score) else negative
    if row["y_pred"] != want:
        mismatches += 1
        print(f"row {row['id']}: y_pred {row['y_pred']}, rule says {want}", file=sys.stderr)
print(f"{len(rows)} rows, {mismatches} mismatches")
sys.exit(1 if mismatches or not rows else 0)
