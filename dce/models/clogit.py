"""Native conditional (multinomial) logit: Newton's method on analytic derivatives.

One pass over the data gives the log-likelihood, gradient and Hessian: utilities
``v = X b``, overflow-safe probabilities (the set maximum is subtracted before ``exp``),
then per-set sums with ``np.add.reduceat`` over contiguous sets. The Hessian is
``-(X * p)' X + sum_s xbar_s xbar_s'`` with ``xbar_s = sum_{j in s} p_j x_j``: no
(rows x terms x terms) temporaries, memory linear in the data.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from dce.errors import EstimationError
from dce.models.results import FitResult

TOL_DECREMENT = 1e-16     # Newton decrement g'(-H)^-1 g at which we stop
LARGE_COEFFICIENT = 25.0  # |b| x within-set range beyond this suggests separation


class _Pass:
    """Per-data constants reused at every evaluation."""

    def __init__(self, data):
        self.starts = data.set_start[:-1]
        self.rows_set = data.set_index
        # Centre X within each set: the likelihood is unchanged (a shift common to a set
        # cancels), and the Hessian's subtraction keeps its precision for columns with
        # large offsets (e.g. prices around 1e6).
        self.X = data.X - (np.add.reduceat(data.X, self.starts, axis=0)
                           / data.set_sizes[:, None])[self.rows_set]
        self.y = data.chosen
        self.ysum = np.add.reduceat(self.y, self.starts)

    def probabilities(self, beta):
        v = self.X @ beta
        v -= np.maximum.reduceat(v, self.starts)[self.rows_set]
        e = np.exp(v)
        den = np.add.reduceat(e, self.starts)
        return v, e / den[self.rows_set], den

    def evaluate(self, beta, hessian=True):
        v, p, den = self.probabilities(beta)
        ll = float(self.y @ v - self.ysum @ np.log(den))
        r = self.y - p * self.ysum[self.rows_set]
        grad = self.X.T @ r
        if not hessian:
            return ll, grad, None
        Xp = self.X * p[:, None]
        xbar = np.add.reduceat(Xp, self.starts, axis=0)
        H = (xbar * self.ysum[:, None]).T @ xbar
        if np.all(self.ysum == 1.0):
            H -= Xp.T @ self.X
        else:
            H -= (Xp * self.ysum[self.rows_set][:, None]).T @ self.X
        return ll, grad, H

    def set_scores(self, beta):
        """Score contribution of each choice set (sets x terms)."""
        _, p, _ = self.probabilities(beta)
        r = self.y - p * self.ysum[self.rows_set]
        return np.add.reduceat(self.X * r[:, None], self.starts, axis=0)


def loglik(beta, data) -> float:
    return _Pass(data).evaluate(np.asarray(beta, float), hessian=False)[0]


def derivatives(beta, data):
    """(log-likelihood, gradient, Hessian) at ``beta``."""
    return _Pass(data).evaluate(np.asarray(beta, float))


def null_loglik(data) -> float:
    """Log-likelihood with equal probabilities within each set (all coefficients zero)."""
    ysum = np.add.reduceat(data.chosen, data.set_start[:-1])
    return float(-ysum @ np.log(data.set_sizes))


def within_set_spread(data) -> np.ndarray:
    """Largest within-set range of each column (0: the column never varies in a set)."""
    starts = data.set_start[:-1]
    spread = (np.maximum.reduceat(data.X, starts, axis=0)
              - np.minimum.reduceat(data.X, starts, axis=0))
    return spread.max(axis=0) if len(starts) else np.zeros(data.X.shape[1])


def check_identified(data) -> None:
    """Raise EstimationError naming terms that the data cannot separate."""
    K = data.X.shape[1]
    if K == 0:
        return
    spread = within_set_spread(data)
    dead = [data.terms[i] for i in np.flatnonzero(spread == 0)]
    if dead:
        raise EstimationError(f"terms {', '.join(dead)} never vary within a choice set, so "
                              "their effects cannot be estimated; remove them or change the "
                              "design", key="model")
    ev = _Pass(data)
    Xc = ev.X / spread  # centred within sets, columns on a common scale
    info = (Xc / data.set_sizes[ev.rows_set][:, None]).T @ Xc  # information at b = 0
    w, vecs = np.linalg.eigh(info)
    null = np.flatnonzero(w < 1e-10 * w.max())
    if null.size:
        v = vecs[:, null[0]]
        involved = [data.terms[i] for i in np.flatnonzero(np.abs(v) > 0.05)]
        raise EstimationError(f"terms {', '.join(involved)} are collinear (the design "
                              "confounds them), so they cannot be estimated separately; change "
                              "the design or drop one of them", key="model")


def large_terms(beta, data) -> list[str]:
    """Terms whose estimate moves utilities within a set by more than LARGE_COEFFICIENT:
    a sign of (quasi-)separation, whatever the scale of the column."""
    effect = np.abs(beta) * within_set_spread(data)
    return [data.terms[i] for i in np.flatnonzero(effect > LARGE_COEFFICIENT)]


def fit(data, *, se: str = "cluster", group: str = "all", start=None, max_iter: int = 100,
        check: bool = True) -> FitResult:
    """Fit a conditional logit by Newton's method with step halving.

    Parameters
    ----------
    data : ChoiceData
    se : "cluster" (by respondent, with factor G/(G-1)), "robust" or "classic"
    start : optional starting coefficients (warm start)
    """
    if check:
        check_identified(data)
    ev = _Pass(data)
    K = data.X.shape[1]
    beta = np.zeros(K) if start is None else np.array(start, dtype=float)
    ll, g, H = ev.evaluate(beta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        try:
            cho = linalg.cho_factor(-H)
            step = linalg.cho_solve(cho, g)
        except linalg.LinAlgError:
            step = np.linalg.lstsq(-H, g, rcond=None)[0]
        decrement = float(g @ step)
        if decrement <= TOL_DECREMENT:
            converged, it = True, it - 1
            break
        t = 1.0
        while True:
            cand = beta + t * step
            ll_c, g_c, H_c = ev.evaluate(cand)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * abs(ll):
                break
            t *= 0.5
            if t < 1e-12:
                break
        if t < 1e-12:
            converged = decrement < 1e-10
            break
        beta, ll, g, H = cand, ll_c, g_c, H_c
    notes = []
    if not converged:
        msg = (f"group {group}: Newton's method did not converge in {it} iterations "
               f"(gradient norm {np.abs(g).max():.2e})")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    big = large_terms(beta, data)
    if big:
        msg = (f"group {group}: very large estimates for {', '.join(big)}: the data may be "
               "(quasi-)separated, e.g. one level always chosen")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    vcovs = covariances(ev, beta, H, data)
    return FitResult(
        terms=tuple(data.terms), params=beta, vcov=vcovs[se], se_type=se, loglik=ll,
        null_loglik=null_loglik(data), n_obs=data.n_rows, n_sets=data.n_sets,
        n_respondents=data.n_respondents, converged=converged, iterations=it,
        engine="native", group=group, vcovs=vcovs, gradient_norm=float(np.abs(g).max()),
        warnings=tuple(notes))


def covariances(ev, beta, H, data) -> dict:
    """Classic (inverse information), robust (sandwich over choice sets) and cluster
    (sandwich over respondents, times G/(G-1)) covariance matrices."""
    try:
        bread = linalg.inv(-H)
    except linalg.LinAlgError:
        bread = np.linalg.pinv(-H)
    bread = (bread + bread.T) / 2
    scores = ev.set_scores(beta)
    robust = bread @ (scores.T @ scores) @ bread
    resp_start = np.flatnonzero(np.r_[True, data.respondent[1:] != data.respondent[:-1]])
    by_resp = np.add.reduceat(scores, resp_start, axis=0)
    G = by_resp.shape[0]
    factor = G / (G - 1) if G > 1 else 1.0
    cluster = factor * bread @ (by_resp.T @ by_resp) @ bread
    return {"classic": bread, "robust": (robust + robust.T) / 2,
            "cluster": (cluster + cluster.T) / 2}
