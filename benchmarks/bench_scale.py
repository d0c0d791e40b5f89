"""Scale comparison of two groups: the new cluster-robust sequence against the classic one.

Times, in one run on the showcase data (configs/peer_support.yaml, simulated), for every
pair of the four groups:
- ``classic``: the previous pooled Swait-Louviere LR procedure (one common opt-out
  constant, classic Hessian), kept in tests/analysis/classic_scale.py;
- ``robust``: dce.analysis.scale.compare_scale (step 1 minimum-distance Wald test from
  the separate fits, step 2 the heteroskedastic logit with group-specific constants and
  cluster-robust covariance).
Also an independent reference point: scipy.optimize (BFGS, numerical gradient) on the same
heteroskedastic likelihood, for one pair.

Run: ``python benchmarks/bench_scale.py`` from the repository root.
"""

from __future__ import annotations

import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy import optimize

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dce  # noqa: E402
from dce.analysis.scale import compare_scale, fit_scaled  # noqa: E402
from dce.core.coding import ChoiceData  # noqa: E402
from dce.models.clogit import fit  # noqa: E402
from tests.analysis.classic_scale import swait_louviere  # noqa: E402


def _median(f, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def _scipy_hetero(a: ChoiceData, b: ChoiceData, start):
    """Plain numpy likelihood of the heteroskedastic logit, maximised by BFGS."""
    const = np.array([t.startswith("asc[") for t in a.terms])
    X = np.vstack([a.X, b.X])
    y = np.r_[a.chosen, b.chosen]
    starts = np.r_[a.set_start[:-1], a.n_rows + b.set_start[:-1]]
    isb = np.r_[np.zeros(a.n_rows, bool), np.ones(b.n_rows, bool)]
    idx = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(y)]))
    k, kc = const.size, int(const.sum())

    def negll(theta):
        beta, cb, lam = theta[:k], theta[k:k + kc], theta[-1]
        v = X @ beta
        v = v + np.where(isb, X[:, const] @ (cb - beta[const]), 0.0)
        v = np.where(isb, np.exp(lam) * v, v)
        v = v - np.maximum.reduceat(v, starts)[idx]
        e = np.exp(v)
        return -(y @ v - np.log(np.add.reduceat(e, starts)).sum())

    x0 = np.r_[start, start[const], 0.0]
    return optimize.minimize(negll, x0, method="BFGS", options={"gtol": 1e-6})


def main():
    study = dce.load_config(REPO / "configs" / "peer_support.yaml")
    df = dce.load_example()
    data = ChoiceData.from_frame(df, study.attributes, group="group", block="block")
    groups = [g for g in data.groups()]
    parts = {g: data.for_group(g) for g in groups}
    fits = {g: fit(parts[g], se="cluster") for g in groups}
    print(f"{'pair':45s} {'classic s':>10s} {'robust s':>10s} {'ratio':>7s} "
          f"{'classic mu':>10s} {'robust mu':>10s} {'robust p1':>10s}")
    for a, b in combinations(groups, 2):
        tc, sl = _median(lambda a=a, b=b: swait_louviere(
            parts[a], parts[b], loglik_a=fits[a].loglik, loglik_b=fits[b].loglik,
            start=fits[a].params))
        tr, cs = _median(lambda a=a, b=b: compare_scale(parts[a], parts[b], fits[a], fits[b]))
        print(f"{a + ' / ' + b:45s} {tc:10.3f} {tr:10.3f} {tr / tc:7.2f} "
              f"{sl.relative_scale:10.3f} {cs.relative_scale:10.3f} "
              f"{cs.p_preferences:10.2e}")
    a, b = groups[0], groups[1]
    tj, joint = _median(lambda: fit_scaled({a: parts[a], b: parts[b]}), repeat=3)
    ts, ref = _median(lambda: _scipy_hetero(parts[a], parts[b], fits[a].params), repeat=1)
    mu = np.exp(joint.params[-1])
    print(f"\nheteroskedastic logit {a} / {b}: dce Newton {tj:.3f} s (loglik {joint.loglik:.6f},"
          f" scale {mu:.6f}); scipy BFGS {ts:.3f} s (loglik {-ref.fun:.6f}, scale "
          f"{np.exp(ref.x[-1]):.6f}); ratio {ts / tj:.1f}x")


if __name__ == "__main__":
    main()
