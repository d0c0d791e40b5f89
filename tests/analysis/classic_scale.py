"""Swait-Louviere test: do two groups share preferences once scale is allowed to differ?

Utilities of group B are multiplied by a relative scale mu (the ratio of B's scale to
A's). Step 1 compares the pooled model with common coefficients and a free mu against
separate models (LR with K - 1 degrees of freedom: 2K parameters against K + 1). Step 2
tests mu = 1 in the pooled model (LR with 1 degree of freedom); it is only meaningful when
step 1 does not reject. log mu is estimated
jointly with the coefficients by Newton's method on exact derivatives.

Kept with the tests as a reference: the package's scale comparison is
:func:`dce.analysis.scale.compare_scale`; tests contrast it with this classic test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from dce.analysis.bootstrap import concat
from dce.analysis.scale import ascent_step
from dce.core.coding import ChoiceData


@dataclass(frozen=True)
class ScaleTest:
    lr_preferences: float
    df_preferences: int
    p_preferences: float
    relative_scale: float
    scale_ci: tuple
    lr_scale: float
    p_scale: float
    loglik_separate: float
    loglik_pooled_scaled: float
    loglik_pooled: float


def _scaled(data: ChoiceData, mu: float) -> ChoiceData:
    return ChoiceData(data.X * mu, data.chosen, data.set_start, data.respondent,
                      data.respondent_ids, data.group, data.alternative, data.terms)


class _ScaledLogit:
    """Pooled logit with utilities ``s_i x_i'b``, ``s_i = exp(lam)`` on group-B rows.

    Parameters theta = (b, lam). Exact gradient and Hessian: the Fisher part of a logit
    with derivative columns z = (s x, s x'b [B rows]) plus the second-derivative term
    sum_i (y_i - p_i) d2 v_i.
    """

    def __init__(self, a: ChoiceData, b: ChoiceData):
        data = concat([a, b])
        self.X, self.y = data.X, data.chosen
        self.starts = data.set_start[:-1]
        self.rows_set = data.set_index
        self.is_b = np.r_[np.zeros(a.n_rows, bool), np.ones(b.n_rows, bool)]

    def evaluate(self, theta, fixed_lam=None):
        beta = theta[:-1]
        lam = theta[-1] if fixed_lam is None else fixed_lam
        s = np.where(self.is_b, np.exp(lam), 1.0)
        xb = self.X @ beta
        v = s * xb
        vs = v - np.maximum.reduceat(v, self.starts)[self.rows_set]
        e = np.exp(vs)
        den = np.add.reduceat(e, self.starts)
        p = e / den[self.rows_set]
        ll = float(self.y @ vs - np.log(den).sum())
        r = self.y - p
        Z = np.column_stack([self.X * s[:, None], np.where(self.is_b, v, 0.0)])
        grad = Z.T @ r
        zbar = np.add.reduceat(Z * p[:, None], self.starts, axis=0)
        H = zbar.T @ zbar - (Z * p[:, None]).T @ Z
        rb = np.where(self.is_b, r * s, 0.0)
        cross = self.X.T @ rb
        H[:-1, -1] += cross
        H[-1, :-1] += cross
        H[-1, -1] += float(np.where(self.is_b, r, 0.0) @ v)
        return ll, grad, H

    def fit(self, theta, fixed_lam=None, max_iter=100):
        """Newton with step halving; with ``fixed_lam`` only b is estimated."""
        k = len(theta) - (0 if fixed_lam is None else 1)
        theta = np.array(theta, float)
        if fixed_lam is not None:
            theta[-1] = fixed_lam
        ll, g, H = self.evaluate(theta, fixed_lam)
        for _ in range(max_iter):
            step = np.zeros_like(theta)
            step[:k] = ascent_step(-H[:k, :k], g[:k])
            if g[:k] @ step[:k] < 1e-16:
                break
            t = 1.0
            while t > 1e-10:
                cand = theta + t * step
                ll_c, g_c, H_c = self.evaluate(cand, fixed_lam)
                if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * abs(ll):
                    break
                t /= 2
            if t <= 1e-10:
                break
            theta, ll, g, H = cand, ll_c, g_c, H_c
        return theta, ll, H


def swait_louviere(a: ChoiceData, b: ChoiceData, *, loglik_a: float, loglik_b: float,
                   start=None, level: float = 0.95) -> ScaleTest:
    """Both steps of the Swait-Louviere procedure for groups ``a`` and ``b``.

    The relative scale's interval is a Wald interval on log mu (from the exact Hessian),
    transformed back, so it is always positive.
    """
    K = a.X.shape[1]
    model = _ScaledLogit(a, b)
    beta0 = np.zeros(K) if start is None else np.asarray(start, float)
    pooled, ll_pooled, _ = model.fit(np.r_[beta0, 0.0], fixed_lam=0.0)
    theta, ll_scaled, H = model.fit(pooled)
    ll_sep = loglik_a + loglik_b
    lr1 = max(0.0, -2 * (ll_scaled - ll_sep))
    lr2 = max(0.0, -2 * (ll_pooled - ll_scaled))
    try:
        var = np.linalg.inv(-H)[-1, -1]
    except np.linalg.LinAlgError:
        var = np.nan
    lam = theta[-1]
    q = stats.norm.ppf(0.5 + level / 2)
    se = float(np.sqrt(var)) if var > 0 else float("nan")
    ci = (float(np.exp(lam - q * se)), float(np.exp(lam + q * se)))
    return ScaleTest(lr1, K - 1, float(stats.chi2.sf(lr1, K - 1)), float(np.exp(lam)),
                     ci, lr2, float(stats.chi2.sf(lr2, 1)), ll_sep, ll_scaled, ll_pooled)
