#!/usr/bin/python3
"""Vectorised numpy bootstrap of per-group classification rates: the peer of fm-audit's intervals.

Two modes:

* ``--generate FILE --rows N --groups G``: writes a seeded synthetic predictions CSV in fm-eval's
  layout (``id,y_true,y_pred,p_ham,p_spam,group``), the input of both fm-audit and this peer;
* ``--predictions FILE --bootstrap R``: reads it (csv module; not timed in the bootstrap figure),
  then draws R row resamples with replacement and, per resample, counts the confusion cells of every
  group in one ``np.bincount`` over ``group·4 + 2·y_true + y_pred`` and derives the per-group rates
  (selection rate, TPR, FPR, FNR, TNR, precision, NPV, accuracy) and their max−min differences;
  the 2.5/97.5 percentiles of each are the intervals. Resamples run in chunks so that the index
  matrix stays within --chunk-bytes of memory.

This is the fastest plain numpy formulation we know of (one RNG call and one bincount per resample,
no Python loop over groups or rows). Reports seconds for reading and for the bootstrap.
"""

import argparse
import csv
import json
import sys
import time

import numpy as np

RATES = ("selection_rate", "tpr", "fpr", "fnr", "tnr", "precision", "npv", "accuracy")


def generate(path, rows, groups, seed):
    # The same generative model as bench/audit_bench.cpp: base rate and score shift per group.
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, rows)
    y = (rng.random(rows) < 0.2 + 0.01 * g).astype(np.int64)
    s = 1.0 / (1.0 + np.exp(-(2.0 * y - 1.0 + 0.05 * g + rng.standard_normal(rows))))
    p = (s >= 0.5).astype(np.int64)
    labels = np.array(["ham", "spam"])
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("id,y_true,y_pred,p_ham,p_spam,group\n")
        chunk = 100000
        for b in range(0, rows, chunk):
            e = min(rows, b + chunk)
            f.writelines("%d,%s,%s,%.9g,%.9g,g%d\n" % t for t in zip(
                range(b, e), labels[y[b:e]], labels[p[b:e]], 1.0 - s[b:e], s[b:e], g[b:e]))


def read(path, group_column, positive):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        it, ip, ig = header.index("y_true"), header.index("y_pred"), header.index(group_column)
        rows = [(r[it], r[ip], r[ig]) for r in reader]
    y = np.fromiter((r[0] == positive for r in rows), dtype=np.int64, count=len(rows))
    p = np.fromiter((r[1] == positive for r in rows), dtype=np.int64, count=len(rows))
    names, g = np.unique(np.array([r[2] for r in rows]), return_inverse=True)
    return y, p, g.astype(np.int64), names


def rates_from_cells(cells):
    """cells: [..., groups, 4] counts of (y, p) = (0,0), (0,1), (1,0), (1,1) -> dict of [..., groups]."""
    tn, fp, fn, tp = (cells[..., i].astype(np.float64) for i in range(4))
    n = tn + fp + fn + tp
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "selection_rate": (tp + fp) / n,
            "tpr": tp / (tp + fn),
            "fpr": fp / (fp + tn),
            "fnr": fn / (tp + fn),
            "tnr": tn / (fp + tn),
            "precision": tp / (tp + fp),
            "npv": tn / (tn + fn),
            "accuracy": (tp + tn) / n,
        }


def bootstrap(y, p, g, groups, resamples, seed, chunk_bytes):
    rng = np.random.default_rng(seed)
    n = y.size
    code = g * 4 + y * 2 + p  # one cell code per row
    chunk = max(1, min(resamples, chunk_bytes // (8 * n)))
    cells = np.empty((resamples, groups, 4), dtype=np.int64)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        picked = code[idx] + (np.arange(stop - start) * groups * 4)[:, None]
        cells[start:stop] = np.bincount(picked.ravel(), minlength=(stop - start) * groups * 4) \
            .reshape(stop - start, groups, 4)
    rates = rates_from_cells(cells)
    intervals = {}
    for name in RATES:
        r = rates[name]
        lo, hi = np.nanpercentile(r, [2.5, 97.5], axis=0)
        diff = np.nanmax(r, axis=1) - np.nanmin(r, axis=1)
        dlo, dhi = np.nanpercentile(diff, [2.5, 97.5])
        intervals[name] = {"group_lower": lo.tolist(), "group_upper": hi.tolist(),
                           "difference": [float(dlo), float(dhi)]}
    return intervals


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generate", help="write a synthetic predictions CSV here and exit")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--predictions", help="predictions CSV to bootstrap")
    ap.add_argument("--group-column", default="group")
    ap.add_argument("--positive", default="spam")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--chunk-bytes", type=int, default=1 << 28,
                    help="memory for one chunk of resample indices")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    if args.generate:
        generate(args.generate, args.rows, args.groups, args.seed)
        return 0
    if not args.predictions:
        ap.error("--generate or --predictions is required")

    t0 = time.perf_counter()
    y, p, g, names = read(args.predictions, args.group_column, args.positive)
    t1 = time.perf_counter()
    point = rates_from_cells(np.bincount(g * 4 + y * 2 + p, minlength=names.size * 4)
                             .reshape(names.size, 4))
    intervals = bootstrap(y, p, g, names.size, args.bootstrap, args.seed, args.chunk_bytes)
    t2 = time.perf_counter()
    result = {
        "tool": "numpy",
        "numpy_version": np.__version__,
        "rows": int(y.size),
        "groups": int(names.size),
        "resamples": args.bootstrap,
        "read_seconds": t1 - t0,
        "bootstrap_seconds": t2 - t1,
        "seconds": t2 - t0,
        "selection_rate": dict(zip(names.tolist(), point["selection_rate"].tolist())),
        "selection_rate_difference_interval": intervals["selection_rate"]["difference"],
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print("%s: %s" % (key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
