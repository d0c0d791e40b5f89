"""Timing of WTP space and G-MNL against dce's own panel mixed logit, side by side.

Problem (the size of Train's electricity data): 360 respondents x 12 tasks x 4 alternatives,
5 attributes and a price (uniform on [0.5, 3]); choices simulated from a G-MNL
(tau 0.5, gamma 0.5) with normal tastes on x0-x3 and a fixed price coefficient -1, Gumbel
errors. ``--large`` also runs 2,000 respondents x 10 tasks x 3 alternatives.

Every model is fitted in this one process on the same data, with the same number of draws
(scrambled Sobol, one seed) and the same random tastes (x0-x3 normal):

* mixed logit: x0-x3 normal, x4 and price fixed;
* WTP space: WTPs of x0-x3 normal, x4 fixed, price coefficient lognormal (``lambda``);
* G-MNL, GMNL-II, S-MNL (``scale_heterogeneity``), S-MNL without random tastes.

Two times per model: the whole fit (screening of starting values, optimisation, numerical
Hessian and sandwich), which depends on the iteration count, and one evaluation of the
log-likelihood with its analytic gradient (median of 20), which does not. Ratios are to the
mixed logit of the same run.

    python benchmarks/bench_heterogeneity.py [--draws 500] [--repeat 3] [--large]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

NAMES = ("x0", "x1", "x2", "x3", "x4", "price")
TASTES = {"x0": "normal", "x1": "normal", "x2": "normal", "x3": "normal"}
MODELS = {
    "mixed logit": {"random": TASTES},
    "WTP space": {"random": {**TASTES, "price": "lognormal"}, "space": "wtp",
                  "price": "price"},
    "G-MNL": {"random": TASTES, "scale_heterogeneity": "gmnl"},
    "GMNL-II": {"random": TASTES, "scale_heterogeneity": "gmnl2"},
    "S-MNL": {"random": {}, "scale_heterogeneity": "smnl"},
}


def simulate(n_resp, n_tasks, n_alts, seed=15):
    """ChoiceData from a G-MNL (module docstring)."""
    from dce.core.coding import ChoiceData

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_resp, n_tasks, n_alts, 6))
    X[..., 2:4] = rng.integers(0, 2, size=(n_resp, n_tasks, n_alts, 2))
    X[..., 5] = rng.uniform(0.5, 3.0, size=(n_resp, n_tasks, n_alts))
    mu = np.array([-0.9, -0.2, 2.0, 1.5, 0.8, -1.0])
    sd = np.array([0.3, 0.3, 1.5, 1.0, 0.0, 0.0])
    eta = sd * rng.standard_normal((n_resp, 6))
    sigma = np.exp(-0.125 + 0.5 * rng.standard_normal(n_resp))[:, None]
    B = sigma * mu + (0.5 + 0.5 * sigma) * eta
    U = np.einsum("ntjk,nk->ntj", X, B) + rng.gumbel(size=(n_resp, n_tasks, n_alts))
    chosen = (U == U.max(axis=2, keepdims=True)).astype(float)
    S = n_resp * n_tasks
    return ChoiceData(
        X=X.reshape(-1, 6), chosen=chosen.reshape(-1),
        set_start=np.arange(0, S * n_alts + 1, n_alts, dtype=np.int64),
        respondent=np.repeat(np.arange(n_resp), n_tasks).astype(np.int64),
        respondent_ids=np.arange(n_resp), group=np.array(["all"] * S, dtype=object),
        alternative=np.tile(np.arange(1, n_alts + 1), S).astype(np.int64), terms=NAMES)


def time_model(data, draws, spec, repeat):
    """(median fit seconds, all fit seconds, median evaluation seconds, fit result)."""
    from dce.models import mixed
    from dce.models.mixed_scale import make_model

    seed = np.random.SeedSequence(1)
    fits = []
    for _ in range(repeat):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mixed.fit(data, draws=draws, seed_seq=seed, **spec)
        fits.append(time.perf_counter() - t)
    model = make_model(data, spec["random"], draws=draws, seed_seq=seed,
                       **{k: v for k, v in spec.items() if k != "random"})
    theta = np.asarray(res.params, float)
    evals = []
    for i in range(20):
        x = theta + 1e-9 * (i + 1)               # defeat the one-result cache
        t = time.perf_counter()
        model.loglik_and_gradient(x)
        evals.append(time.perf_counter() - t)
    return float(np.median(fits)), fits, float(np.median(evals)), res


def run(n_resp, n_tasks, n_alts, draws, repeat):
    data = simulate(n_resp, n_tasks, n_alts)
    print(f"\n{n_resp} respondents x {n_tasks} tasks x {n_alts} alternatives, {draws} "
          f"Sobol draws, {repeat} fit(s) per model")
    print(f"{'model':<12} {'P':>3} {'fit s':>7} {'ratio':>6} {'eval ms':>8} {'ratio':>6} "
          f"{'iter':>5} {'conv':>5} {'loglik':>11}  scale parameters")
    base = None
    for name, spec in MODELS.items():
        fit_s, fits, eval_s, res = time_model(data, draws, spec, repeat)
        if base is None:
            base = (fit_s, eval_s)
        extra = {t: round(float(v), 3) for t, v in zip(res.terms, res.params, strict=True)
                 if t in ("tau", "logit[gamma]", "lambda", "sd[lambda]")}
        print(f"{name:<12} {len(res.params):>3} {fit_s:>7.2f} {fit_s / base[0]:>6.2f} "
              f"{1000 * eval_s:>8.1f} {eval_s / base[1]:>6.2f} {res.iterations:>5} "
              f"{'yes' if res.converged else 'no':>5} {res.loglik:>11.3f}  {extra}"
              + (f"  fits {', '.join(f'{v:.2f}' for v in fits)}" if repeat > 1 else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--large", action="store_true")
    args = ap.parse_args()
    run(360, 12, 4, args.draws, args.repeat)
    if args.large:
        run(2000, 10, 3, args.draws, args.repeat)


if __name__ == "__main__":
    main()
