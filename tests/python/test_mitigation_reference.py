"""Checks the torch-free bias mitigations (via $FM_BIN_DIR/driver_fairness_mitigation) against
independent Python implementations:
  * reweighing: AIF360's Reweighing.fit/transform written out in numpy for a binary
    privileged/unprivileged × favourable/unfavourable split (its four weights
    w = n_fav·n_p / (n·n_p_fav), ... with instance weights summed and multiplied), and the same
    formula over many groups and labels with np.unique/bincount; the weighted joint distribution
    factorises into its marginals;
  * counterfactual augmentation: a regex re-implementation (words = maximal runs of characters that
    are neither Keras filters nor the split character; terms matched case-insensitively, longest
    first; every occurrence of a term swapped; case of the first letter / all caps kept) on seeded
    random texts with punctuation, mixed case, substrings of terms and a two-word term.
Exits non-zero on any mismatch.
"""

import random
import re
import sys

import numpy as np

from _harness import Mismatches, binary, run_json

DRIVER = binary("driver_fairness_mitigation")
MISMATCHES = Mismatches()
check = MISMATCHES.check


def run(payload):
    return run_json(DRIVER, payload)


# --- reweighing -----------------------------------------------------------------------------

def aif360_binary(priv, fav, w):
    """AIF360 Reweighing.fit + transform for boolean masks priv (privileged) and fav."""
    w = np.asarray(w, dtype=np.float64)
    n = np.sum(w, dtype=np.float64)
    n_p = np.sum(w[priv], dtype=np.float64)
    n_up = np.sum(w[~priv], dtype=np.float64)
    n_fav = np.sum(w[fav], dtype=np.float64)
    n_unfav = np.sum(w[~fav], dtype=np.float64)
    n_p_fav = np.sum(w[priv & fav], dtype=np.float64)
    n_p_unfav = np.sum(w[priv & ~fav], dtype=np.float64)
    n_up_fav = np.sum(w[~priv & fav], dtype=np.float64)
    n_up_unfav = np.sum(w[~priv & ~fav], dtype=np.float64)
    w_p_fav = n_fav * n_p / (n * n_p_fav)
    w_p_unfav = n_unfav * n_p / (n * n_p_unfav)
    w_up_fav = n_fav * n_up / (n * n_up_fav)
    w_up_unfav = n_unfav * n_up / (n * n_up_unfav)
    out = w.copy()
    out[priv & fav] *= w_p_fav
    out[priv & ~fav] *= w_p_unfav
    out[~priv & fav] *= w_up_fav
    out[~priv & ~fav] *= w_up_unfav
    return out


def multi(groups, labels, w):
    g_values, g = np.unique(groups, return_inverse=True)
    y_values, y = np.unique(labels, return_inverse=True)
    w = np.asarray(w, dtype=np.float64)
    n = w.sum()
    n_g = np.bincount(g, weights=w, minlength=len(g_values))
    n_y = np.bincount(y, weights=w, minlength=len(y_values))
    n_gy = np.zeros((len(g_values), len(y_values)))
    np.add.at(n_gy, (g, y), w)
    return w * n_g[g] * n_y[y] / (n * n_gy[g, y])


rng = np.random.default_rng(11)
for trial in range(6):
    m = int(rng.integers(20, 400))
    priv = rng.random(m) < 0.4
    fav = rng.random(m) < np.where(priv, 0.7, 0.3)
    weighted = trial % 2 == 1
    w = rng.uniform(0.2, 3.0, m) if weighted else np.ones(m)
    groups = ["priv" if p else "unpriv" for p in priv]
    labels = ["fav" if f else "unfav" for f in fav]
    payload = {"groups": groups, "labels": labels}
    if weighted:
        payload["weights"] = w.tolist()
    got = np.array(run({"reweighing": payload})["row_weights"])
    ref = aif360_binary(priv, fav, w)
    check(np.allclose(got, ref, rtol=1e-12, atol=0), f"binary reweighing trial {trial}")

for trial in range(6):
    m = int(rng.integers(50, 600)) if trial % 3 else 12
    gi = rng.integers(0, 5, m)
    yi = np.where(rng.random(m) < 0.5, gi % 3, rng.integers(0, 3, m))
    weighted = trial % 2 == 0
    w = rng.uniform(0.5, 2.0, m) if weighted else np.ones(m)
    groups = [f"g{v}" for v in gi]
    labels = [f"y{v}" for v in yi]
    payload = {"groups": groups, "labels": labels}
    if weighted:
        payload["weights"] = w.tolist()
    out = run({"reweighing": payload})
    got = np.array(out["row_weights"])
    check(np.allclose(got, multi(groups, labels, w), rtol=1e-12, atol=0),
          f"multi-group reweighing trial {trial}")
    # Table cells agree with the rows.
    for c in out["cells"]:
        if c["weight"] is None:
            continue
        idx = [i for i in range(m) if groups[i] == c["group"] and labels[i] == c["label"]]
        check(np.allclose(got[idx], w[idx] * c["weight"], rtol=1e-12), f"cell {c['group']}")
    # Weighted P(g, y) = P(g) P(y) (P(g), P(y) from the instance weights) — when every cell has
    # rows; an empty cell's mass n_g n_y / n cannot be given to anyone.
    total = got.sum()
    if any(c["weight"] is None for c in out["cells"]):
        continue
    check(abs(total - w.sum()) < 1e-9 * w.sum(), f"total weight kept, trial {trial}")
    for gv in set(groups):
        for yv in set(labels):
            mask_g = np.array([x == gv for x in groups])
            mask_y = np.array([x == yv for x in labels])
            if not (mask_g & mask_y).any():
                continue
            joint = got[mask_g & mask_y].sum() / total
            prod = w[mask_g].sum() / w.sum() * w[mask_y].sum() / w.sum()
            check(abs(joint - prod) < 1e-12, f"factorisation {gv},{yv} trial {trial}")


# --- counterfactual augmentation ------------------------------------------------------------

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
CATEGORIES = {"religion": ["muslim", "christian", "jewish"],
              "origin": ["native american", "american", "asian"]}


def match_case(orig, sub):
    cased = [ch for ch in orig if ch.lower() != ch.upper()]
    upper = [ch for ch in cased if ch.isupper()]
    if len(upper) >= 2 and len(upper) == len(cased):
        return sub.upper()
    if cased and cased[0].isupper():
        i = next(k for k, ch in enumerate(sub) if ch.lower() != ch.upper())
        return sub[:i] + sub[i].upper() + sub[i + 1:]
    return sub


def reference_copies(text, categories, seps):
    sep_class = "[^" + re.escape(seps) + "]+"
    words = [(m.start(), m.end(), m.group().lower()) for m in re.finditer(sep_class, text)]
    entries = []  # (words tuple, category, term index)
    for cat, terms in categories.items():
        for t, term in enumerate(terms):
            entries.append((tuple(re.findall(sep_class, term.lower())), cat, t))
    matches = []
    k = 0
    while k < len(words):
        best = []
        for ws, cat, t in entries:
            if tuple(w[2] for w in words[k:k + len(ws)]) == ws:
                if not best or len(ws) > len(best[0][0]):
                    best = [(ws, cat, t)]
                elif len(ws) == len(best[0][0]):
                    best.append((ws, cat, t))
        if best:
            n = len(best[0][0])
            for ws, cat, t in best:
                matches.append((words[k][0], words[k + n - 1][1], cat, t))
            k += n
        else:
            k += 1
    units = []
    for _, _, cat, t in matches:
        if (cat, t) not in units:
            units.append((cat, t))
    out = []
    for cat, t in units:
        for s, sub in enumerate(categories[cat]):
            if s == t:
                continue
            pieces, at = [], 0
            for b, e, c2, t2 in matches:
                if (c2, t2) != (cat, t):
                    continue
                pieces.append(text[at:b])
                pieces.append(match_case(text[b:e], sub))
                at = e
            pieces.append(text[at:])
            out.append("".join(pieces))
    return out


random.seed(5)
vocab = ["the", "Muslim", "MUSLIM", "muslims", "muslimah", "christian", "Jewish", "native",
         "American", "american", "Asian", "asian-american", "town", "muslim's", "people", "x"]
punct = [" ", " ", " ", ", ", ". ", " (", ") ", "! ", "\t", " - ", "  "]
texts = []
for _ in range(300):
    n = random.randint(1, 9)
    texts.append("".join(random.choice(vocab) + random.choice(punct) for _ in range(n)).strip())
out = run({"augment": {"texts": texts, "categories": CATEGORIES, "max_copies": 0, "seed": 1}})
expected = list(texts)
for t in texts:
    expected.extend(reference_copies(t, CATEGORIES, FILTERS + " "))
check(out["texts"] == expected, "augmented texts (Keras filters)")
if out["texts"] != expected:
    for a, b in zip(out["texts"], expected):
        if a != b:
            print("  got", repr(a), "expected", repr(b), file=sys.stderr)
            break
# A tokenizer whose filters lack the apostrophe and the hyphen cuts words differently.
out = run({"augment": {"texts": texts, "categories": CATEGORIES, "max_copies": 0, "seed": 1,
                       "filters": "!.,()"}})
expected = list(texts)
for t in texts:
    expected.extend(reference_copies(t, CATEGORIES, "!.,() "))
check(out["texts"] == expected, "augmented texts (custom filters)")
# The cap keeps at most max_copies per text, a subset of the full list in its order.
out = run({"augment": {"texts": texts, "categories": CATEGORIES, "max_copies": 2, "seed": 9}})
copies = out["texts"][len(texts):]
ids = out["ids"][len(texts):]
by_row = {}
for c, i in zip(copies, ids):
    by_row.setdefault(int(i.split("#")[0]), []).append(c)
ok = True
for r, cs in by_row.items():
    full = reference_copies(texts[r], CATEGORIES, FILTERS + " ")
    pos = [full.index(c) for c in cs]
    ok &= len(cs) == min(2, len(full)) and pos == sorted(pos) and len(set(pos)) == len(pos)
check(ok, "capped sample is an ordered subset")

checks, failed = MISMATCHES.checks, len(MISMATCHES.failures)
print(f"{checks} checks, {failed} mismatches")
print(f"{checks - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
