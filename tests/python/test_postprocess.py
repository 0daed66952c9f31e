"""Checks calibration, temperature scaling and per-group thresholds (via $FM_BIN_DIR/
driver_postprocess) against independent references:

  * ECE / MCE against the reference code of Guo et al. 2017 (gpleiss/temperature_scaling's
    `_ECELoss`, written here in torch), Brier against numpy and sklearn's brier_score_loss, NLL
    against numpy, on seeded random probabilities (binary and 4 classes);
  * the fitted temperature against scipy.optimize.minimize_scalar of the same NLL over log T, and
    the tempered probabilities against torch.softmax(log p / T);
  * per-group thresholds against a linear program (scipy.optimize.linprog, HiGHS) over every
    score-monotone randomised rule P(positive | score, group) — the set that mixtures of threshold
    rules span — with equal selection rates (demographic parity) or equal TPR and FPR (equalized
    odds): the C++ rules reach the LP's optimal error and satisfy the constraint exactly; the
    decisions follow the documented coin (FNV-1a 64 of the id, SplitMix64) re-implemented here.
Exits non-zero on any mismatch.
"""

import math
import sys

import numpy as np
import torch
from scipy.optimize import linprog, minimize_scalar
from sklearn.metrics import brier_score_loss

from _harness import Mismatches, binary, run_json
from _threshold_rule import coin, rule_probability

DRIVER = binary("driver_postprocess")
MISMATCHES = Mismatches()
check = MISMATCHES.check


def run(payload):
    return run_json(DRIVER, payload)


def softmax_f32(logits):
    return torch.softmax(torch.tensor(logits, dtype=torch.float32), dim=1).numpy()


# ----------------------------------------------------------------------------------------------
# Calibration metrics.

def reference_ece(probs, labels, n_bins=15):
    """gpleiss/temperature_scaling _ECELoss (Guo et al. 2017), on probabilities."""
    softmaxes = torch.tensor(probs, dtype=torch.float32)
    labels = torch.tensor(labels)
    bin_boundaries = torch.linspace(0, 1, n_bins + 1)
    confidences, predictions = torch.max(softmaxes, 1)
    accuracies = predictions.eq(labels)
    ece, mce = 0.0, 0.0
    counts = []
    for lower, upper in zip(bin_boundaries[:-1], bin_boundaries[1:]):
        in_bin = confidences.gt(lower.item()) * confidences.le(upper.item())
        prop = in_bin.float().mean().item()
        counts.append(int(in_bin.sum()))
        if prop > 0:
            acc = accuracies[in_bin].double().mean().item()
            conf = confidences[in_bin].double().mean().item()
            ece += abs(conf - acc) * prop
            mce = max(mce, abs(conf - acc))
    return ece, mce, counts


rng = np.random.default_rng(7)
for k, n in [(2, 400), (4, 700)]:
    logits = rng.normal(0, 2.5, size=(n, k))
    probs = softmax_f32(logits)
    y = np.array([rng.choice(k, p=p.astype(np.float64) / p.astype(np.float64).sum()) for p in softmax_f32(logits * 0.6)])
    labels = [f"c{i}" for i in range(k)]
    got = run({"op": "calibration", "probabilities": probs.tolist(), "labels": labels,
               "y": y.tolist()})
    ece, mce, counts = reference_ece(probs, y)
    check(abs(got["ece"] - ece) < 1e-6, f"k={k} ece {got['ece']} vs {ece}")
    check(abs(got["mce"] - mce) < 1e-6, f"k={k} mce {got['mce']} vs {mce}")
    check([b["count"] for b in got["bins"]] == counts, f"k={k} bin counts")
    p64 = probs.astype(np.float64)
    onehot = np.eye(k)[y]
    brier = np.mean(np.sum((p64 - onehot) ** 2, axis=1))
    check(abs(got["brier"] - brier) < 1e-12, f"k={k} brier {got['brier']} vs {brier}")
    nll = -np.mean(np.log(p64[np.arange(n), y]))
    check(abs(got["nll"] - nll) < 1e-12, f"k={k} nll {got['nll']} vs {nll}")
    acc = np.mean(np.argmax(probs, axis=1) == y)
    check(abs(got["accuracy"] - acc) < 1e-12, f"k={k} accuracy")
    if k == 2:
        sk = brier_score_loss(y == 1, p64[:, 1])
        check(abs(got["brier_positive"] - sk) < 1e-12, f"brier_positive {got['brier_positive']} vs {sk}")
        check(abs(2 * sk - brier) < 1e-6,  # float p0 + p1 is not exactly 1
              "binary multi-class brier is twice sklearn's")
    else:
        check(got["brier_positive"] is None and "brier_positive" in got["undefined"],
              "multi-class brier_positive undefined")
    # Reliability bins: mean confidence and accuracy per bin.
    conf = probs.max(axis=1).astype(np.float64)
    for b, bin_ in enumerate(got["bins"]):
        in_bin = (conf > b / 15) & (conf <= (b + 1) / 15)
        if in_bin.sum() == 0:
            check(bin_["mean_confidence"] is None, f"empty bin {b}")
            continue
        check(abs(bin_["mean_confidence"] - conf[in_bin].mean()) < 1e-12, f"bin {b} confidence")
        acc_bin = np.mean(np.argmax(probs[in_bin], axis=1) == y[in_bin])
        check(abs(bin_["accuracy"] - acc_bin) < 1e-12, f"bin {b} accuracy")

# ----------------------------------------------------------------------------------------------
# Temperature scaling.

for k, n, scale in [(2, 300, 3.0), (3, 500, 0.5), (5, 400, 4.0)]:
    logits = rng.normal(0, scale, size=(n, k))
    probs = softmax_f32(logits)
    # Labels drawn from a softer (or sharper) distribution than the model's, so T is not 1.
    y = np.array([rng.choice(k, p=p.astype(np.float64) / p.astype(np.float64).sum()) for p in softmax_f32(logits / 1.7)])
    lp = np.log(np.maximum(probs.astype(np.float64), np.finfo(np.float32).smallest_subnormal))

    def nll(log_t):
        z = lp / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(n), y])

    ref = minimize_scalar(nll, bounds=(math.log(0.01), math.log(100)), method="bounded",
                          options={"xatol": 1e-10})
    got = run({"op": "temperature", "probabilities": probs.tolist(), "y": y.tolist(),
               "at": [0.5, 1.0, 2.0]})
    t_ref = math.exp(ref.x)
    check(abs(got["temperature"] - t_ref) < 1e-5 * t_ref,
          f"k={k} temperature {got['temperature']} vs scipy {t_ref}")
    check(got["nll_after"] <= ref.fun + 1e-12, f"k={k} nll {got['nll_after']} vs scipy {ref.fun}")
    for t, v in zip([0.5, 1.0, 2.0], got["nll_at"]):
        check(abs(v - nll(math.log(t))) < 1e-10, f"k={k} nll at T={t}")
    check(abs(got["nll_before"] - nll(0.0)) < 1e-10, f"k={k} nll before")
    tempered = torch.softmax(torch.tensor(lp) / got["temperature"], dim=1).numpy()
    check(np.abs(np.array(got["applied"]) - tempered).max() < 1e-6, f"k={k} tempered probabilities")

# ----------------------------------------------------------------------------------------------
# Per-group thresholds against the linear program over monotone randomised rules.

def lp_optimum(scores, pos, groups, objective):
    names = sorted(set(groups))
    var = []  # (group, score)
    index = {}
    for g in names:
        for s in sorted({s for s, gg in zip(scores, groups) if gg == g}, reverse=True):
            index[(g, s)] = len(var)
            var.append((g, s))
    n = len(scores)
    c = np.zeros(len(var))
    pos_count = {g: 0 for g in names}
    neg_count = {g: 0 for g in names}
    size = {g: 0 for g in names}
    cnt_pos = np.zeros(len(var))
    cnt_neg = np.zeros(len(var))
    for s, p, g in zip(scores, pos, groups):
        i = index[(g, s)]
        # error = Σ_neg f + Σ_pos (1 − f)
        c[i] += (-1 if p else 1) / n
        (cnt_pos if p else cnt_neg)[i] += 1
        (pos_count if p else neg_count)[g] += 1
        size[g] += 1
    const = sum(pos) / n
    a_ub, b_ub = [], []
    for i in range(len(var) - 1):
        if var[i][0] == var[i + 1][0]:  # f(higher score) >= f(lower score)
            row = np.zeros(len(var))
            row[i + 1], row[i] = 1, -1
            a_ub.append(row)
            b_ub.append(0)

    def rate(g, counts, denom):
        row = np.zeros(len(var))
        for i, (gg, _) in enumerate(var):
            if gg == g:
                row[i] = counts[i] / denom
        return row

    a_eq, b_eq = [], []
    for g in names[1:]:
        if objective == "demographic_parity":
            a_eq.append(rate(g, cnt_pos + cnt_neg, size[g]) - rate(names[0], cnt_pos + cnt_neg, size[names[0]]))
            b_eq.append(0)
        else:
            a_eq.append(rate(g, cnt_pos, pos_count[g]) - rate(names[0], cnt_pos, pos_count[names[0]]))
            a_eq.append(rate(g, cnt_neg, neg_count[g]) - rate(names[0], cnt_neg, neg_count[names[0]]))
            b_eq += [0, 0]
    res = linprog(c, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                  A_eq=np.array(a_eq), b_eq=b_eq, bounds=[(0, 1)] * len(var), method="highs")
    assert res.success, res.message
    return res.fun + const


for trial in range(12):
    objective = ["demographic_parity", "equalized_odds"][trial % 2]
    sizes = rng.integers(15, 120, size=rng.integers(2, 5))
    scores, pos, groups = [], [], []
    for g, m in enumerate(sizes):
        shift = rng.normal(0, 1)
        x = rng.normal(shift, 1.2, size=m)
        # 2 decimals: plenty of tied scores.
        s = np.round(1 / (1 + np.exp(-x)), 2)
        label = rng.random(m) < 1 / (1 + np.exp(-(x - shift * 0.5) * 1.5))
        label[0], label[1] = True, False  # every group has both classes
        scores += s.tolist()
        pos += label.astype(int).tolist()
        groups += [f"g{g}"] * int(m)
    ids = [f"row-{i}" for i in range(len(scores))]
    got = run({"op": "thresholds", "scores": scores, "positive": pos, "groups": groups,
               "objective": objective, "seed": 11 + trial, "ids": ids})
    check(got["round_trip"], f"trial {trial}: JSON round trip")
    rules = {g["group"]: g for g in got["groups"]}
    probs = np.array([rule_probability(rules[g], s) for s, g in zip(scores, groups)])
    check(np.abs(probs - np.array(got["probability"])).max() < 1e-12, f"trial {trial}: P(positive)")
    pos_a, groups_a = np.array(pos), np.array(groups)
    error = np.mean(np.where(pos_a == 1, 1 - probs, probs))
    best = lp_optimum(scores, pos, groups, objective)
    check(abs(error - best) < 1e-7, f"trial {trial} {objective}: error {error} vs LP {best}")
    check(abs(1 - got["expected_accuracy"] - error) < 1e-9, f"trial {trial}: expected accuracy")
    names = sorted(set(groups))
    if objective == "demographic_parity":
        sr = [probs[groups_a == g].mean() for g in names]
        check(max(sr) - min(sr) < 1e-9, f"trial {trial}: selection rates {sr}")
    else:
        tpr = [probs[(groups_a == g) & (pos_a == 1)].mean() for g in names]
        fpr = [probs[(groups_a == g) & (pos_a == 0)].mean() for g in names]
        check(max(tpr) - min(tpr) < 1e-9 and max(fpr) - min(fpr) < 1e-9,
              f"trial {trial}: tpr {tpr} fpr {fpr}")
    decisions = [int(coin(11 + trial, i) < p) for i, p in zip(ids, got["probability"])]
    check(decisions == got["decision"], f"trial {trial}: documented coin")

print(f"{MISMATCHES.checks} checks, {len(MISMATCHES.failures)} mismatches")
sys.exit(1 if MISMATCHES.failures else 0)
