"""Checks fm::compute_audit (via $FM_BIN_DIR/driver_fairness_audit) against reference formulas.

The references are written here in numpy from the tools' documented definitions (Fairlearn's
MetricFrame difference/ratio, AIF360's ClassificationMetric, Aequitas' crosstabs and disparities,
Borkan et al. 2019 via sklearn.metrics.roc_auc_score), independently of the C++ code:
  * per-group rates, Fairlearn / AIF360 / Aequitas aggregates on seeded random data, weighted and
    unweighted, with thresholds, intersections (with an empty cell) and several classes;
  * subgroup / BPSN / BNSP AUCs against roc_auc_score with ties and sample weights, power means
    and final_bias_score;
  * bootstrap: the interval of a rate matches a numpy percentile bootstrap to 0.01, the same seed
    gives the same intervals, intervals shrink with n; DeLong's AUC interval matches a numpy
    bootstrap of roc_auc_score in width.
Exits non-zero on any mismatch.
"""

import sys

import numpy as np
from sklearn.metrics import roc_auc_score

from _harness import Mismatches, binary, run_binary, run_json

DRIVER = binary("driver_fairness_audit")
MISMATCHES = Mismatches()
check = MISMATCHES.check


def close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(b))


def run(payload):
    return run_json(DRIVER, payload)


def index(result):
    out = {}
    for m in result["metrics"]:
        key = (m["name"], m["column"], m["group"], m["label"], m["threshold"])
        assert key not in out, key
        out[key] = m
    return out


# ---------------------------------------------------------------------------------------------
# Reference formulas.

def rates(y, yhat, w, total_pp):
    tp = np.sum(w * (y & yhat)); fp = np.sum(w * (~y & yhat))
    fn = np.sum(w * (y & ~yhat)); tn = np.sum(w * (~y & ~yhat))
    n = tp + fp + fn + tn

    def div(a, b):
        return None if b <= 0 else a / b
    return {
        "count": n, "positives": tp + fn, "negatives": fp + tn,
        "prevalence": div(tp + fn, n), "selection_rate": div(tp + fp, n),
        "tpr": div(tp, tp + fn), "fpr": div(fp, fp + tn), "tnr": div(tn, fp + tn),
        "fnr": div(fn, tp + fn), "ppv": div(tp, tp + fp), "npv": div(tn, tn + fn),
        "fdr": div(fp, tp + fp), "for": div(fn, tn + fn), "accuracy": div(tp + tn, n),
        "f1": div(2 * tp, 2 * tp + fp + fn), "ppr": None if n <= 0 else div(tp + fp, total_pp),
    }


def fairlearn_between(per_group, counts, rate):
    vals = [per_group[g][rate] for g in per_group if counts[g] > 0 and per_group[g][rate] is not None]
    if not vals:
        return None, None
    lo, hi = min(vals), max(vals)
    return hi - lo, (lo / hi if hi > 0 else None)


def fairlearn_to_overall(per_group, counts, rate, overall):
    if overall is None:
        return None, None
    vals = [per_group[g][rate] for g in per_group if counts[g] > 0 and per_group[g][rate] is not None]
    if not vals:
        return None, None
    diff = max(abs(v - overall) for v in vals)
    ratios = []
    for v in vals:
        if v == 0 and overall == 0:
            continue
        ratios.append(0.0 if v == 0 or overall == 0 else min(v / overall, overall / v))
    return diff, (min(ratios) if ratios else None)


def power_mean(xs, p):
    xs = np.array([x for x in xs if x is not None], dtype=float)
    return float(np.mean(xs ** p) ** (1.0 / p))


def groups_of(case, col_name):
    """Row group labels (strings) for a plain column or an intersection "a&b"."""
    names = case["group_columns"]
    parts = col_name.split("&")
    cols = [names.index(p) for p in parts]
    labels = []
    for i in range(len(case["y_true"])):
        labels.append("&".join(case["group_values"][c][case["group_codes"][c][i]] for c in cols))
    import itertools
    all_groups = ["&".join(t) for t in itertools.product(*[case["group_values"][c] for c in cols])]
    return np.array(labels, dtype=object), all_groups


def check_case(case, result, tag, tol=1e-9):
    res = index(result)
    opts = case.get("options", {})
    classes = case["classes"]
    y_true = np.array(case["y_true"])
    n = len(y_true)
    w = np.array(case["weights"], dtype=float) if case.get("weights") else np.ones(n)
    if opts.get("positive_label"):
        labels = [classes.index(opts["positive_label"])]
    elif len(classes) == 2:
        labels = [classes.index(sorted(classes)[1])]
    else:
        labels = list(range(len(classes)))
    columns = list(case["group_columns"]) + ["&".join(x) for x in opts.get("intersections", [])]
    tau = opts.get("tau", 0.8)
    p = opts.get("power", -5.0)
    refs = opts.get("reference_groups", {})
    for l in labels:
        lname = classes[l]
        y = y_true == l
        views = []
        if opts.get("thresholds"):
            for t in opts["thresholds"]:
                views.append((t, np.array(case["scores"][l]) >= t))
        else:
            views.append((None, np.array(case["y_pred"]) == l))
        for t, yhat in views:
            total_pp = np.sum(w * yhat)
            overall = rates(y, yhat, w, total_pp)
            for r, v in overall.items():
                key = (r, "", "", lname, None if r in ("count", "positives", "negatives", "prevalence") else t)
                check(close(res[key]["value"], v, tol), f"{tag} {key}: {res[key]['value']} vs {v}")
            for col in columns:
                rows, all_groups = groups_of(case, col)
                per = {g: rates(y[rows == g], yhat[rows == g], w[rows == g], total_pp) for g in all_groups}
                counts = {g: per[g]["count"] for g in all_groups}
                for g in all_groups:
                    for r, v in per[g].items():
                        key = (r, col, g, lname, None if r in ("count", "positives", "negatives", "prevalence") else t)
                        got = res[key]
                        check(close(got["value"], v, tol), f"{tag} {key}: {got['value']} vs {v}")
                        if v is None:
                            check(f'"{g}"' in got["reason"], f"{tag} {key}: reason {got['reason']!r}")
                # Fairlearn.
                agg = {}
                for rate in ("selection_rate", "tpr", "fpr", "tnr", "fnr", "ppv", "npv", "fdr", "for",
                             "accuracy", "f1"):
                    d, q = fairlearn_between(per, counts, rate)
                    agg[f"{rate}_difference"] = d
                    agg[f"{rate}_ratio"] = q
                sr_o = fairlearn_to_overall(per, counts, "selection_rate", overall["selection_rate"])
                tpr_o = fairlearn_to_overall(per, counts, "tpr", overall["tpr"])
                fpr_o = fairlearn_to_overall(per, counts, "fpr", overall["fpr"])

                def mx(a, b):
                    return None if a is None or b is None else max(a, b)

                def mn(a, b):
                    return None if a is None or b is None else min(a, b)
                agg["demographic_parity_difference"] = agg["selection_rate_difference"]
                agg["demographic_parity_ratio"] = agg["selection_rate_ratio"]
                agg["equalized_odds_difference"] = mx(agg["tpr_difference"], agg["fpr_difference"])
                agg["equalized_odds_ratio"] = mn(agg["tpr_ratio"], agg["fpr_ratio"])
                agg["equal_opportunity_difference"] = agg["tpr_difference"]
                agg["equal_opportunity_ratio"] = agg["tpr_ratio"]
                agg["demographic_parity_difference_to_overall"] = sr_o[0]
                agg["demographic_parity_ratio_to_overall"] = sr_o[1]
                agg["equalized_odds_difference_to_overall"] = mx(tpr_o[0], fpr_o[0])
                agg["equalized_odds_ratio_to_overall"] = mn(tpr_o[1], fpr_o[1])
                agg["equal_opportunity_difference_to_overall"] = tpr_o[0]
                agg["equal_opportunity_ratio_to_overall"] = tpr_o[1]
                for name, v in agg.items():
                    key = (name, col, "", lname, t)
                    check(close(res[key]["value"], v, tol), f"{tag} {key}: {res[key]['value']} vs {v}")
                    check(res[key]["convention"] == "fairlearn", f"{tag} {key} convention")
                # AIF360: privileged = given reference, else the largest group.
                ref = refs.get(col) or max(all_groups, key=lambda g: (counts[g], -all_groups.index(g)))
                worst = {"statistical_parity_difference": None, "disparate_impact": None,
                         "average_odds_difference": None, "equal_opportunity_difference_aif360": None}
                pr = per[ref]
                for g in all_groups:
                    if g == ref:
                        continue
                    u = per[g]
                    spd = None if u["selection_rate"] is None or pr["selection_rate"] is None else u["selection_rate"] - pr["selection_rate"]
                    di = None if spd is None or pr["selection_rate"] == 0 else u["selection_rate"] / pr["selection_rate"]
                    aod = None
                    if None not in (u["fpr"], pr["fpr"], u["tpr"], pr["tpr"]):
                        aod = 0.5 * ((u["fpr"] - pr["fpr"]) + (u["tpr"] - pr["tpr"]))
                    eod = None if u["tpr"] is None or pr["tpr"] is None else u["tpr"] - pr["tpr"]
                    for name, v in (("statistical_parity_difference", spd), ("disparate_impact", di),
                                    ("average_odds_difference", aod),
                                    ("equal_opportunity_difference_aif360", eod)):
                        key = (name, col, g, lname, t)
                        check(close(res[key]["value"], v, tol), f"{tag} {key}: {res[key]['value']} vs {v}")
                        check(res[key]["reference"] == ref, f"{tag} {key}: reference {res[key]['reference']} vs {ref}")
                        if v is None:
                            continue
                        if name == "disparate_impact":
                            sym = 0.0 if v == 0 else min(v, 1 / v)
                            if worst[name] is None or sym < worst[name]:
                                worst[name] = sym
                        elif worst[name] is None or abs(v) > abs(worst[name]):
                            worst[name] = v
                for name, v in worst.items():
                    key = (name, col, "", lname, t)
                    check(close(res[key]["value"], v, tol), f"{tag} {key}: {res[key]['value']} vs {v}")
                # Aequitas.
                for dname, rate in (("ppr", "ppr"), ("pprev", "selection_rate"), ("precision", "ppv"),
                                    ("fdr", "fdr"), ("for", "for"), ("fpr", "fpr"), ("fnr", "fnr"),
                                    ("tpr", "tpr"), ("tnr", "tnr"), ("npv", "npv")):
                    aref = ref
                    if opts.get("reference_rule") == "min_metric" and col not in refs:
                        cands = [g for g in all_groups if counts[g] > 0 and per[g][rate] is not None]
                        aref = min(cands, key=lambda g: (per[g][rate], all_groups.index(g)))
                    for g in all_groups:
                        a, b = per[g][rate], per[aref][rate]
                        v = None if a is None or b is None or b == 0 else a / b
                        key = (f"disparity_{dname}", col, g, lname, t)
                        got = res[key]
                        check(close(got["value"], v, tol), f"{tag} {key}: {got['value']} vs {v}")
                        check(got["reference"] == aref, f"{tag} {key}: reference {got['reference']} vs {aref}")
                        if v is not None:
                            check(got["fair"] == (tau <= v <= 1 / tau), f"{tag} {key}: fair {got['fair']}")
        # Borkan et al. 2019.
        if case.get("scores") and case["scores"][l]:
            s = np.array(case["scores"][l], dtype=np.float32).astype(float)

            def auc(mask):
                yy = y[mask]
                if yy.all() or not yy.any():
                    return None
                return roc_auc_score(yy, s[mask], sample_weight=w[mask])
            o_auc = auc(np.ones(n, dtype=bool))
            key = ("overall_auc", "", "", lname, None)
            check(close(res[key]["value"], o_auc, 1e-9), f"{tag} {key}: {res[key]['value']} vs {o_auc}")
            pooled = {"subgroup_auc": [], "bpsn_auc": [], "bnsp_auc": []}
            for col in columns:
                rows, all_groups = groups_of(case, col)
                vals = {"subgroup_auc": [], "bpsn_auc": [], "bnsp_auc": []}
                for g in all_groups:
                    ing = rows == g
                    for name, mask in (("subgroup_auc", ing), ("bpsn_auc", (ing & ~y) | (~ing & y)),
                                       ("bnsp_auc", (ing & y) | (~ing & ~y))):
                        v = auc(mask)
                        vals[name].append(v)
                        if "&" not in col:
                            pooled[name].append(v)
                        key = (name, col, g, lname, None)
                        check(close(res[key]["value"], v, 1e-9), f"{tag} {key}: {res[key]['value']} vs {v}")
                pms = []
                for name in vals:
                    pm = power_mean(vals[name], p)
                    pms.append(pm)
                    key = (f"{name}_power_mean", col, "", lname, None)
                    check(close(res[key]["value"], pm, 1e-9), f"{tag} {key}: {res[key]['value']} vs {pm}")
                fb = 0.25 * o_auc + 0.75 * np.mean(pms)
                key = ("final_bias_score", col, "", lname, None)
                check(close(res[key]["value"], fb, 1e-9), f"{tag} {key}: {res[key]['value']} vs {fb}")
            fb = 0.25 * o_auc + 0.75 * np.mean([power_mean(pooled[k], p) for k in pooled])
            key = ("final_bias_score", "", "", lname, None)
            check(close(res[key]["value"], fb, 1e-9), f"{tag} {key}: {res[key]['value']} vs {fb}")
    return res


def random_case(rng, n, n_classes=2, groups=(3,), weighted=False, ties=False):
    case = {"classes": [f"c{k}" for k in range(n_classes)]}
    case["y_true"] = rng.integers(0, n_classes, n).tolist()
    logits = rng.normal(size=(n_classes, n)) + 1.5 * np.eye(n_classes)[np.array(case["y_true"])].T
    if ties:
        logits = np.round(logits * 2) / 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=0)
    if ties:
        probs = np.round(probs, 1)
    case["scores"] = probs.astype(np.float32).tolist()
    case["y_pred"] = np.argmax(probs + rng.normal(scale=0.3, size=probs.shape), axis=0).tolist()
    case["group_columns"] = [f"col{k}" for k in range(len(groups))]
    case["group_values"] = [[f"v{k}_{j}" for j in range(m)] for k, m in enumerate(groups)]
    case["group_codes"] = [rng.choice(m, n, p=np.arange(1, m + 1) / (m * (m + 1) / 2)).tolist()
                           for m in groups]
    if weighted:
        case["weights"] = rng.choice([0.5, 1.0, 2.0, 3.5], n).tolist()
    return case


def main():
    rng = np.random.default_rng(2024)
    # Conventions on random binary data: unweighted, weighted, ties, given reference, min_metric.
    for k in range(6):
        case = random_case(rng, int(rng.integers(60, 400)), groups=(3, 2), weighted=k % 2 == 1,
                           ties=k >= 2)
        case["options"] = {"bootstrap_samples": 0, "intersections": [["col0", "col1"]]}
        if k == 3:
            case["options"]["reference_groups"] = {"col0": "v0_0", "col0&col1": "v0_1&v1_0"}
        if k == 4:
            case["options"]["reference_rule"] = "min_metric"
            case["options"]["tau"] = 0.9
        if k == 5:
            case["options"]["power"] = -2.0
        check_case(case, run(case), f"binary{k}")

    # A group with no positives and an empty intersection cell.
    case = random_case(rng, 120, groups=(3, 2))
    y = np.array(case["y_true"])
    codes0 = np.array(case["group_codes"][0]); codes1 = np.array(case["group_codes"][1])
    y[codes0 == 0] = 0
    codes1[codes0 == 2] = 0  # cell v0_2&v1_1 is empty
    case["y_true"] = y.tolist(); case["group_codes"][1] = codes1.tolist()
    case["options"] = {"bootstrap_samples": 0, "intersections": [["col0", "col1"]]}
    result = run(case)
    res = check_case(case, result, "empty")
    lname = "c1"
    m = res[("tpr", "col0", "v0_0", lname, None)]
    check(m["value"] is None and m["reason"] == 'no positives in group "v0_0"', f"no positives: {m}")
    m = res[("count", "col0&col1", "v0_2&v1_1", lname, None)]
    check(m["value"] == 0 and "empty" in m["flags"], f"empty cell: {m}")
    check(any("v0_2&v1_1" in note for note in result["notes"]), "empty cell note")
    summ = [g for g in result["groups"] if g["group"] == "v0_2&v1_1"]
    check(len(summ) == 1 and "empty" in summ[0]["flags"] and "small_group" in summ[0]["flags"],
          f"empty cell summary {summ}")

    # Thresholds.
    case = random_case(rng, 300, groups=(4,), weighted=True)
    case["options"] = {"bootstrap_samples": 0, "thresholds": [0.3, 0.5, 0.7]}
    check_case(case, run(case), "thresholds")

    # Multi-class: one-vs-rest and worst case over classes.
    case = random_case(rng, 400, n_classes=3, groups=(3,))
    case["options"] = {"bootstrap_samples": 0}
    result = run(case)
    res = check_case(case, result, "multiclass")
    for name, pick in (("equalized_odds_difference", max), ("demographic_parity_ratio", min),
                       ("final_bias_score", min), ("bpsn_auc_power_mean", min)):
        vals = [res[(name, "col0", "", c, None)]["value"] for c in case["classes"]]
        got = res[(name, "col0", "", "*", None)]["value"]
        check(close(got, pick(vals)), f"worst {name}: {got} vs {vals}")
    spd = [res[("statistical_parity_difference", "col0", "", c, None)]["value"] for c in case["classes"]]
    got = res[("statistical_parity_difference", "col0", "", "*", None)]["value"]
    check(close(got, max(spd, key=abs)), f"worst spd {got} vs {spd}")

    # Bootstrap: a numpy percentile bootstrap of the overall selection rate and of a group's tpr.
    n = 3000
    case = random_case(rng, n, groups=(2,))
    case["options"] = {"bootstrap_samples": 2000, "seed": 5}
    result = run(case)
    res = index(result)
    y = np.array(case["y_true"]) == 1; yhat = np.array(case["y_pred"]) == 1
    g = np.array(case["group_codes"][0]) == 1
    boot_rng = np.random.default_rng(99)
    sr, tpr = [], []
    for _ in range(2000):
        idx = boot_rng.integers(0, n, n)
        sr.append(yhat[idx].mean())
        gi = idx[g[idx] & y[idx]]
        tpr.append(yhat[gi].mean())
    for key, ref in ((("selection_rate", "", "", "c1", None), sr), (("tpr", "col0", "v0_1", "c1", None), tpr)):
        lo, hi = np.percentile(ref, [2.5, 97.5])
        m = res[key]
        check(abs(m["lower"] - lo) < 0.01 and abs(m["upper"] - hi) < 0.01,
              f"bootstrap {key}: [{m['lower']}, {m['upper']}] vs numpy [{lo}, {hi}]")
    for m in result["metrics"]:
        if m["value"] is not None and m["lower"] is not None:
            check(m["lower"] - 1e-12 <= m["upper"], f"interval order {m}")
    # DeLong vs a numpy bootstrap of the overall AUC (width within 25 %).
    s = np.array(case["scores"][1], dtype=np.float32).astype(float)
    aucs = []
    for _ in range(400):
        idx = boot_rng.integers(0, n, n)
        aucs.append(roc_auc_score(y[idx], s[idx]))
    lo, hi = np.percentile(aucs, [2.5, 97.5])
    m = res[("overall_auc", "", "", "c1", None)]
    check(abs((m["upper"] - m["lower"]) - (hi - lo)) < 0.25 * (hi - lo),
          f"DeLong interval [{m['lower']}, {m['upper']}] vs bootstrap [{lo}, {hi}]")
    for name in ("final_bias_score", "bpsn_auc_power_mean"):
        m = res[(name, "col0", "", "c1", None)]
        check(m["lower"] is not None and m["lower"] < m["value"] < m["upper"], f"{name} interval {m}")
    # Determinism and shrinking width.
    again = index(run(case))
    check(all(again[k]["lower"] == v["lower"] and again[k]["upper"] == v["upper"] for k, v in res.items()),
          "same seed, same intervals")
    case["options"]["seed"] = 6
    other = index(run(case))
    check(any(other[k]["lower"] != v["lower"] for k, v in res.items() if v["lower"] is not None),
          "another seed, other intervals")
    small = random_case(np.random.default_rng(1), 300, groups=(2,))
    small["options"] = {"bootstrap_samples": 500}
    rs = index(run(small))
    k = ("selection_rate", "", "", "c1", None)
    check(rs[k]["upper"] - rs[k]["lower"] > 2 * (res[k]["upper"] - res[k]["lower"]),
          "interval width shrinks with n")
    # Weighted bootstrap CI contains the point estimate.
    case = random_case(rng, 2000, groups=(3,), weighted=True)
    case["options"] = {"bootstrap_samples": 300}
    res = index(run(case))
    for name in ("selection_rate", "tpr", "demographic_parity_difference"):
        for key, m in res.items():
            if key[0] == name and m["lower"] is not None:
                check(m["lower"] <= m["value"] <= m["upper"], f"weighted CI {key}: {m}")

    # Errors.
    bad = random_case(rng, 50)
    bad["options"] = {"positive_label": "nope"}
    err = run_binary([DRIVER], bad, expect_rc=2).stderr.decode()
    check("positive_label" in err and "nope" in err, f"error message {err!r}")

    return MISMATCHES.finish(f"fairness reference: all {MISMATCHES.checks} checks passed")


if __name__ == "__main__":
    sys.exit(main())
