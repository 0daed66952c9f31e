"""The per-group threshold rule as include/fm/fairness/thresholds.h documents it, written from the
documentation (not from fmkit's code), for tests/python/test_postprocess.py and
tests/cli/check_thresholds.py.

A row is positive iff u < P, with P = p_ignore*constant + (1 - p_ignore) * (p0*[score > threshold0]
+ (1 - p0)*[score > threshold1]) and u = coin(seed, id) =
(splitmix64(fnv1a64(id) ^ splitmix64(seed)) >> 11) * 2^-53.
"""

import math

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


def coin(seed, row_id):
    return (splitmix64(fnv1a64(row_id) ^ splitmix64(seed)) >> 11) * 2.0 ** -53


def threshold(v):
    """A threshold from postprocess.json ("inf" / "-inf" are written as strings)."""
    return {"inf": math.inf, "-inf": -math.inf}.get(v, v) if isinstance(v, str) else v


def rule_probability(rule, s):
    t0, t1 = threshold(rule["threshold0"]), threshold(rule["threshold1"])
    by_score = rule["p0"] * (s > t0) + (1 - rule["p0"]) * (s > t1)
    return rule["p_ignore"] * rule["constant"] + (1 - rule["p_ignore"]) * by_score
