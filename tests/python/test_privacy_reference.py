"""Checks fm-privacy's RDP accountant against an independent numerical-integration reference.

The reference does not use the closed forms of Mironov, Talwar and Zhang 2019 (the binomial sum for
integer orders, the erfc series for fractional ones) that fmkit implements. It integrates the
definition with scipy.integrate.quad:

    A_a = E_{z ~ mu0}[(mu(z) / mu0(z))^a],   mu0 = N(0, s^2),  mu = (1 - q) mu0 + q N(1, s^2),
    RDP_a = log(A_a) / (a - 1)   per step,   times the number of steps,

for every order of Opacus' default grid (fractional and integer alike), then converts RDP to
(eps, delta) with the improved conversion of Balle et al. 2020 (Opacus get_privacy_spent):
eps = min_a [rdp_a - (log delta + log a) / (a - 1) + log((a - 1) / a)].

To stay accurate when A_a - 1 is tiny (small q, a near 1) the integrand is written as
mu0(z) * h(z), h = (1 + x)^a - 1 - a x with x = q (exp((2z - 1) / (2 s^2)) - 1): E[x] = 0, so
the integral is A_a - 1 exactly, and h >= 0 (convexity) leaves no cancellation. It is evaluated in
log space, scaled by its maximum, over a wide finite range split at its peaks.

Checks, over q in {0.001, 0.01, 0.1}, sigma in {0.7, 1, 2, 4}, and q = 0.5 with sigma in
{1, 4, 100} (where the fractional-order series decays slowest and fm-privacy finishes it by
convergence acceleration), steps in {1, 100, 10000}:
  * every per-order RDP in `fm-privacy --format json` matches the reference (rel. 1e-6);
  * eps matches (rel. 1e-6) and the reported order gives it;
  * the reference itself against the hand formula A_2 = 1 + q^2 (exp(1/s^2) - 1) and q = 1;
  * the noise-multiplier solver: the sigma it returns spends eps in (target - 0.01, target];
  * published figures: TF Privacy's MNIST tutorial table (N = 60000, B = 256, delta = 1e-5;
    sigma 1.1 for 60 epochs: eps 3.01, sigma 0.7 for 45 epochs: 7.10) and two examples from
    Opacus' documentation (2.95; 2.39 at alpha 5). The older ones use the classic conversion
    (Mironov 2017: eps = min_a rdp_a - log(delta) / (a - 1)); fm-privacy reports it next to the
    improved one, and both must match the reference.
  * the ends of the double range (issue 13: sigma = 1e-300 took 41 s and reported 0.2147): below
    sigma ~ 1e-154 every order's RDP is at least a/(2 s^2) + a log(q)/(a - 1) > DBL_MAX (from
    A_a >= q^a E[exp(a (2z - 1)/(2 s^2))]), so epsilon is null (infinite), within seconds; just
    above, every RDP respects that bound; at sigma = 1.7e308 epsilon is the conversion's floor.
Exits non-zero on any mismatch.
"""

import json
import math
import sys

import numpy as np
from scipy import integrate

from _harness import Mismatches, binary, run_binary

BIN = binary("fm-privacy")
ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64))
MISMATCHES = Mismatches(prefix="MISMATCH ")
fail = MISMATCHES.fail


def log_h(z, q, s, a):
    """log of h(z) = (1 + x)^a - 1 - a x, x = q * expm1((2z - 1) / (2 s^2)); -inf where h = 0."""
    t = (2 * z - 1) / (2 * s * s)
    if t < 700:
        x = q * math.expm1(t)
        log1p_x = math.log1p(x)
    else:
        x = math.inf
        log1p_x = np.logaddexp(math.log1p(-q), math.log(q) + t)
    a_l = a * log1p_x
    if abs(x) < 1e-3:
        # h = sum_{k >= 2} C(a, k) x^k: no cancellation for tiny x.
        h, coef, xk = 0.0, a * (a - 1) / 2, x * x
        for k in range(2, 10):
            h += coef * xk
            coef *= (a - k) / (k + 1)
            xk *= x
        return math.log(h) if h > 0 else -math.inf
    if a_l < 30:
        h = math.expm1(a_l) - a * x
        return math.log(h) if h > 0 else -math.inf
    # Large (1 + x)^a: log h = a L + log(1 - (1 + a x) e^{-a L}), everything in log space.
    log_x = math.log(q) + t + math.log1p(-math.exp(-t)) if t < 700 else math.log(q) + t
    log1p_ax = np.logaddexp(0.0, math.log(a) + log_x)
    return a_l + math.log1p(-math.exp(log1p_ax - a_l))


def log_integrand(z, q, s, a):
    return -z * z / (2 * s * s) - math.log(s * math.sqrt(2 * math.pi)) + log_h(z, q, s, a)


def reference_rdp_step(q, s, a):
    """Per-step RDP of the sampled Gaussian mechanism at order a, by integrating the definition."""
    if q == 1:
        return a / (2 * s * s)
    lo, hi = -40 * s, max(a, 1.0) + 40 * s
    grid = np.linspace(lo, hi, 801)
    f = np.array([log_integrand(z, q, s, a) for z in grid])
    c = f.max()
    keep = np.nonzero(f > c - 80)[0]
    i0, i1 = max(keep[0] - 1, 0), min(keep[-1] + 1, len(grid) - 1)
    # Split at every local maximum of the grid (the integrand can have two bumps: z ~ 0 and z ~ a).
    peaks = [grid[i] for i in range(i0 + 1, i1) if f[i] >= f[i - 1] and f[i] >= f[i + 1]]
    edges = [grid[i0]] + peaks + [grid[i1]]
    total = 0.0
    for u, v in zip(edges[:-1], edges[1:]):
        if v <= u:
            continue
        val, _ = integrate.quad(lambda z: math.exp(log_integrand(z, q, s, a) - c), u, v,
                                epsabs=1e-15, epsrel=1e-12, limit=500)
        total += val
    log_am1 = c + math.log(total)  # log(A - 1)
    log_a = math.log1p(math.exp(log_am1)) if log_am1 < 700 else log_am1
    return log_a / (a - 1)


def improved(rdp, delta, orders=ORDERS):
    o = np.array(orders, dtype=float)
    eps = np.array(rdp) - (math.log(delta) + np.log(o)) / (o - 1) + np.log((o - 1) / o)
    i = int(np.nanargmin(eps))
    return eps[i], o[i], eps


def classic(rdp, delta, orders=ORDERS):
    o = np.array(orders, dtype=float)
    eps = np.array(rdp) - math.log(delta) / (o - 1)
    i = int(np.nanargmin(eps))
    return eps[i], o[i]


def run(*args):
    return json.loads(run_binary([BIN, *map(str, args), "--format", "json"]).stdout)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def check_reference_itself():
    # Order 2 by hand: A_2 = sum_i C(2, i) q^i (1-q)^(2-i) E[exp(i (2z-1)/(2s^2))]
    #                      = (1-q)^2 + 2q(1-q) + q^2 exp(1/s^2) = 1 + q^2 (exp(1/s^2) - 1).
    for q, s in [(0.01, 1.0), (0.1, 0.7), (0.001, 4.0), (0.5, 2.0)]:
        want = math.log1p(q * q * math.expm1(1 / (s * s)))
        got = reference_rdp_step(q, s, 2.0)
        if rel(got, want) > 1e-8:
            fail(f"reference itself: q={q} s={s} order 2: {got} vs hand {want}")
    # q -> 1 reduces to the Gaussian mechanism a / (2 s^2).
    got = reference_rdp_step(1 - 1e-9, 1.5, 7.5)
    if rel(got, 7.5 / (2 * 1.5 ** 2)) > 1e-6:
        fail(f"reference itself: q=1-1e-9 gives {got}, want {7.5 / 4.5}")


def check_extreme_noise():
    def rdp_floor(q, s, a):
        # log A_a >= a log q + a (a - 1) / (2 s^2); a / 2 / s / s overflows only beyond DBL_MAX.
        return max(0.0, a / 2 / s / s + a * math.log(q) / (a - 1))

    for q in [0.01, 0.5, 0.99]:
        for s in [5e-324, 1e-300, 1e-200, 1e-160]:
            j = json.loads(run_binary([BIN, "--sample-rate", str(q), "--noise-multiplier", str(s),
                                       "--steps", "1", "--delta", "1e-5", "--format", "json"],
                                      timeout=5).stdout)
            if j["epsilon"] is not None or "no privacy" not in j.get("epsilon_reason", ""):
                fail(f"q={q} sigma={s}: epsilon {j['epsilon']}, expected null (infinite)")
            if any(c["rdp"] is not None for c in j["orders"]):
                fail(f"q={q} sigma={s}: a finite RDP where every order's exceeds DBL_MAX")
        for s in [1e-150, 1e-100, 1e-10, 0.01]:
            j = run("--sample-rate", q, "--noise-multiplier", s, "--steps", 1, "--delta", 1e-5)
            bound = [rdp_floor(q, s, a) for a in ORDERS]
            for c, b in zip(j["orders"], bound):
                if c["rdp"] is None or c["rdp"] < b * (1 - 1e-12):
                    fail(f"q={q} sigma={s} order {c['order']}: rdp {c['rdp']} below {b}")
            eps, _, _ = improved(bound, 1e-5)
            if j["epsilon"] is None or j["epsilon"] < eps * (1 - 1e-12):
                fail(f"q={q} sigma={s}: epsilon {j['epsilon']} below the bound {eps}")
        j = json.loads(run_binary([BIN, "--sample-rate", str(q), "--noise-multiplier", "1.7e308",
                                   "--steps", "1000", "--delta", "1e-5", "--format", "json"],
                                  timeout=5).stdout)
        floor, order, _ = improved([0.0] * len(ORDERS), 1e-5)
        if j["epsilon"] is None or rel(j["epsilon"], floor) > 1e-12 or j["optimal_order"] != order:
            fail(f"q={q} sigma=1.7e308: epsilon {j['epsilon']} (order {j['optimal_order']}), "
                 f"expected the floor {floor} (order {order})")
    print("extreme noise multipliers: infinite below 1e-154, above the bound higher up, the floor "
          "at 1.7e308")


def main():
    check_reference_itself()
    worst_rdp = worst_eps = 0.0
    cases = 0
    ref_cache = {}
    grid = [(q, s) for q in [0.001, 0.01, 0.1] for s in [0.7, 1.0, 2.0, 4.0]]
    grid += [(0.5, 1.0), (0.5, 4.0), (0.5, 100.0)]
    for q, s in grid:
        step = [reference_rdp_step(q, s, a) for a in ORDERS]
        ref_cache[(q, s)] = step
        for steps in [1, 100, 10000]:
            for delta in [1e-5, 1e-8]:
                cases += 1
                rdp = [r * steps for r in step]
                eps, order, eps_curve = improved(rdp, delta)
                j = run("--sample-rate", q, "--noise-multiplier", s, "--steps", steps,
                        "--delta", delta)
                tag = f"q={q} sigma={s} steps={steps} delta={delta}"
                if j["steps"] != steps or j["sample_rate"] != q or j["delta"] != delta:
                    fail(f"{tag}: inputs echoed as {j['steps']}, {j['sample_rate']}, "
                         f"{j['delta']}")
                curve = j["orders"]
                if [c["order"] for c in curve] != ORDERS:
                    fail(f"{tag}: orders differ from Opacus' default grid")
                    continue
                for c, r in zip(curve, rdp):
                    e = rel(c["rdp"], r)
                    worst_rdp = max(worst_rdp, e)
                    if e > 1e-6:
                        fail(f"{tag} order {c['order']}: rdp {c['rdp']} vs reference {r}")
                e = rel(j["epsilon"], eps)
                worst_eps = max(worst_eps, e)
                if e > 1e-6:
                    fail(f"{tag}: epsilon {j['epsilon']} vs reference {eps} (order {order})")
                k = ORDERS.index(j["optimal_order"])
                if rel(eps_curve[k], eps) > 1e-6:
                    fail(f"{tag}: reported order {j['optimal_order']} gives {eps_curve[k]}, "
                         f"not the minimum {eps}")

    # Solver: sigma for a target epsilon, checked with the reference accountant.
    for q, steps, target in [(0.01, 1000, 1.0), (0.004, 5000, 3.0), (0.1, 100, 8.0)]:
        j = run("--sample-rate", q, "--target-epsilon", target, "--steps", steps, "--delta", 1e-5)
        s = j["noise_multiplier"]
        rdp = [reference_rdp_step(q, s, a) * steps for a in ORDERS]
        eps, _, _ = improved(rdp, 1e-5)
        if not (target - 0.01 - 1e-6 < eps <= target + 1e-6):
            fail(f"solver q={q} steps={steps} target={target}: sigma {s} spends {eps} (reference)")
        if rel(j["epsilon"], eps) > 1e-6:
            fail(f"solver: reported epsilon {j['epsilon']} vs reference {eps}")
        print(f"solver: q={q} steps={steps} target eps {target} -> sigma {s:.6f} "
              f"(reference eps {eps:.6f})")

    # Published figures. Each is recomputed by the reference (which must round to the published
    # number) and by fm-privacy (which must match the reference in both conversions).
    published = [
        # TF Privacy's MNIST tutorial table (compute_dp_sgd_privacy, classic conversion, default
        # orders, steps = ceil(epochs * N / B)): sigma 1.1 for 60 epochs -> 3.01 ...
        ("TF Privacy MNIST sigma=1.1 60 epochs", ["--dataset-size", 60000, "--batch-size", 256,
         "--epochs", 60], 256 / 60000, 1.1, 14063, ORDERS, "classic", 3.01, None),
        # ... and sigma 0.7 for 45 epochs -> 7.10.
        ("TF Privacy MNIST sigma=0.7 45 epochs", ["--dataset-size", 60000, "--batch-size", 256,
         "--epochs", 45], 256 / 60000, 0.7, 10547, ORDERS, "classic", 7.10, None),
        # Opacus' compute_dp_sgd_privacy documentation, older release (classic conversion):
        # N=60000, B=256, sigma 1.12, 60 epochs, orders 10 20 100 -> 2.95. It counted
        # 60 * ceil(60000 / 256) = 14100 steps (ceil(60 * 60000 / 256) = 14063 gives 2.94).
        ("Opacus docs sigma=1.12", ["--sample-rate", 256 / 60000, "--steps", 14100], 256 / 60000,
         1.12, 14100, [10, 20, 100], "classic", 2.95, None),
        # Opacus' documentation, current release (improved conversion): sample rate 0.01,
        # sigma 1.0, 3 epochs = 300 steps, orders 2 5 10 20 100 -> epsilon 2.39, alpha 5.0.
        ("Opacus docs sigma=1.0", ["--sample-rate", 0.01, "--epochs", 3], 0.01, 1.0, 300,
         [2, 5, 10, 20, 100], "improved", 2.39, 5.0),
    ]
    for label, flags, q, s, steps, orders, conversion, want, want_order in published:
        rdp = [reference_rdp_step(q, s, a) * steps for a in orders]
        eps_new, order_new, _ = improved(rdp, 1e-5, orders)
        eps_old, order_old = classic(rdp, 1e-5, orders)
        args = [*flags, "--noise-multiplier", s, "--delta", 1e-5]
        if orders is not ORDERS:
            args += ["--orders", *orders]
        j = run(*args)
        print(f"{label}: {steps} steps, reference eps {eps_new:.4f} (order {order_new}) improved, "
              f"{eps_old:.4f} (order {order_old}) classic; fm-privacy {j['epsilon']:.4f} / "
              f"{j['classic_conversion']['epsilon']:.4f}; published {want} ({conversion})")
        if j["steps"] != steps:
            fail(f"{label}: {j['steps']} steps, expected {steps}")
        if rel(j["epsilon"], eps_new) > 1e-6 or j["optimal_order"] != order_new:
            fail(f"{label}: fm-privacy eps {j['epsilon']} (order {j['optimal_order']}) vs "
                 f"reference {eps_new} (order {order_new})")
        if rel(j["classic_conversion"]["epsilon"], eps_old) > 1e-6:
            fail(f"{label}: fm-privacy classic eps {j['classic_conversion']['epsilon']} vs "
                 f"reference {eps_old}")
        got, got_order = (eps_new, order_new) if conversion == "improved" else (eps_old, order_old)
        if round(got, 2) != want or (want_order is not None and got_order != want_order):
            fail(f"{label}: reference gives {got} (order {got_order}), published {want}")

    check_extreme_noise()
    print(f"{cases} cases: worst relative error rdp {worst_rdp:.2e}, epsilon {worst_eps:.2e}")
    return MISMATCHES.finish("privacy reference: all match")


if __name__ == "__main__":
    sys.exit(main())
