"""Preference heterogeneity of a mixed logit: for each level against its reference (and
each per-unit or other random term), the population mean and standard deviation of the
utility difference and the share of respondents who prefer the level.

A contrast ``c`` (K,) maps the coefficients to a utility difference ``c' beta``: for a
categorical level, its row of the attribute's level matrix minus the reference level's row
(with dummy coding the level's coefficient; with effects coding also the attribute's other
terms); for a linear attribute, a constant or an interaction, the coefficient itself.
Only contrasts that involve a random term are reported.

Moments (Train 2009, ch. 6): the population mean ``c' m`` and variance ``c' V c`` with
``m`` and ``V`` the mean and covariance of the coefficients in closed form: normal ``mu``
and ``Sigma = L L'``; lognormal ``m = exp(mu + Sigma_kk / 2)``, covariance
``m_k m_l (exp(Sigma_kl) - 1)`` between lognormal terms and ``Sigma_kl m_l`` between a
normal and a lognormal term (Stein's lemma); triangular ``mu`` and ``s^2 / 6``
(uncorrelated). Intervals of the mean and the SD: delta method with a numerical Jacobian
and the fit's ``vcov`` (a Wald interval of the SD, which includes 0 when the spread is
not distinguishable from none).

Share preferring, ``P(c' beta_n > 0)``: with only normal terms involved,
``Phi(c' mu / sqrt(c' Sigma c))``; with one random term, its own CDF (triangular: the
triangular CDF; lognormal: the sign is fixed, so the share is 0 or 1 unless fixed terms
enter the contrast, then a normal CDF of the log); otherwise the share among simulated
individuals. Interval: percentiles over Krinsky-Robb draws of the parameters (Krinsky and
Robb 1986).

References
----------
Krinsky, I. and Robb, A. L. (1986). On approximating the statistical properties of
elasticities. Review of Economics and Statistics 68(4), 715-719.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press; ch. 6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from dce.analysis.importance import coefficient_draws
from dce.models.mixed_post import individual_coefficients, population_draws, spec_of

__all__ = ["COLUMNS", "contrasts", "heterogeneity_table", "moments", "shares"]

COLUMNS = ("group", "term", "attribute", "level", "reference", "distribution", "mean",
           "mean_std_error", "mean_ci_lower", "mean_ci_upper", "sd", "sd_std_error",
           "sd_ci_lower", "sd_ci_upper", "share_preferring", "share_ci_lower",
           "share_ci_upper")


def contrasts(result, attributes) -> tuple[list[dict], np.ndarray]:
    """The utility differences reported for a fit: every non-reference level against the
    reference level, every per-unit attribute and every other term, that involves a
    random term.

    Parameters
    ----------
    result : MixedFitResult
    attributes : sequence of Attribute
        The study's attributes (alternative-specific ones view by view).

    Returns
    -------
    rows : list of dict
        ``term`` (the level's coded term, or the term), ``attribute`` (name, or the term
        for terms of no attribute), ``level`` and ``reference`` (labels; "" for per-unit
        and other terms).
    C : ndarray (Q, K)
        One contrast per row.

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    """
    K, terms, rand, _ = spec_of(result)
    index = {t: i for i, t in enumerate(terms)}
    rows, vecs, covered = [], [], set()
    for a in attributes:
        for v in (a.views() if a.specific else [a]):
            if not all(t in index for t in v.terms):
                continue
            cols = [index[t] for t in v.terms]
            covered.update(cols)
            if v.is_linear:
                c = np.zeros(K)
                c[cols[0]] = 1.0
                rows.append({"term": v.terms[0], "attribute": a.name, "level": "",
                             "reference": ""})
                vecs.append(c)
                continue
            M, ref = v.level_matrix(), v.reference_index
            labels = v.level_labels
            for i in range(v.n_levels):
                if i == ref:
                    continue
                c = np.zeros(K)
                c[cols] = M[i] - M[ref]
                rows.append({"term": f"{a.name}[{labels[i]}]{v.suffix}", "attribute": a.name,
                             "level": str(labels[i]), "reference": str(labels[ref])})
                vecs.append(c)
    for k in range(K):
        if k not in covered:
            c = np.zeros(K)
            c[k] = 1.0
            rows.append({"term": terms[k], "attribute": terms[k], "level": "", "reference": ""})
            vecs.append(c)
    C = np.array(vecs).reshape(-1, K)
    keep = np.flatnonzero(np.any(C[:, rand] != 0, axis=1)) if len(rand) else np.array([], int)
    return [rows[i] for i in keep], C[keep]


def moments(result, params=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Population mean and covariance of the coefficients (closed form, module docstring).

    Parameters
    ----------
    result : MixedFitResult
    params : ndarray (P,) or (B, P), optional
        Parameter vectors; default ``result.params``.

    Returns
    -------
    m : ndarray (B, K)
        Means of the coefficients (B = 1 for a single vector).
    V : ndarray (B, K, K)
        Their covariance (zero rows and columns for fixed terms).
    Sigma : ndarray (B, R, R)
        Covariance of the underlying normal (or scaled triangular) draws of the random
        terms: ``L L'``, or ``diag(s^2)`` (triangular: ``s^2 / 6``).

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    ValueError
        A WTP-space model or one with scale heterogeneity (G-MNL), whose coefficients
        these closed forms do not describe.
    """
    K, _, rand, kinds = spec_of(result)
    if (getattr(result, "space", "preference") != "preference"
            or getattr(result, "scale_heterogeneity", "none") not in (None, "none")):
        raise ValueError("the closed forms need a mixed logit in preference space without "
                         "scale heterogeneity")
    theta = np.atleast_2d(result.params if params is None else params)
    B, R = theta.shape[0], len(rand)
    mu = theta[:, :K]
    if result.correlated:
        L = np.zeros((B, R, R))
        rows, cols = np.tril_indices(R)
        L[:, rows, cols] = theta[:, K:]
        Sigma = L @ L.transpose(0, 2, 1)
    else:
        scale = np.array([1 / 6 if kd == "triangular" else 1.0 for kd in kinds])
        Sigma = np.zeros((B, R, R))
        Sigma[:, np.arange(R), np.arange(R)] = theta[:, K:] ** 2 * scale
    logn = np.array([kd == "lognormal" for kd in kinds])
    mr = mu[:, rand].copy()
    diag = np.diagonal(Sigma, axis1=1, axis2=2)
    mr[:, logn] = np.exp(mr[:, logn] + diag[:, logn] / 2)
    # covariance of the random coefficients: Sigma, adjusted where lognormal terms enter
    f = np.where(logn, mr, 1.0)                      # d E[g(x)] / d x-scale factor
    Vr = Sigma * f[:, :, None] * f[:, None, :]
    both = logn[:, None] & logn[None, :]
    Vr[:, both] = (mr[:, :, None] * mr[:, None, :] * np.expm1(Sigma))[:, both]
    m = mu.copy()
    m[:, rand] = mr
    V = np.zeros((B, K, K))
    V[:, rand[:, None], rand[None, :]] = Vr
    return m, V, Sigma


def shares(result, C, params=None, z=None) -> np.ndarray:
    """Share of the population with a positive utility difference ``c' beta`` per contrast.

    Parameters
    ----------
    result : MixedFitResult
    C : ndarray (Q, K)
        Contrasts (:func:`contrasts`).
    params : ndarray (P,) or (B, P), optional
        Parameter vectors; default ``result.params``.
    z : ndarray (n, R), optional
        Standard draws of simulated individuals, for contrasts without a closed form
        (:func:`dce.models.mixed_post.population_draws`); required only for those.

    Returns
    -------
    ndarray (B, Q)

    Raises
    ------
    ValueError
        A contrast needs simulation and ``z`` is None.
    """
    K, _, rand, kinds = spec_of(result)
    theta = np.atleast_2d(result.params if params is None else params)
    mu = theta[:, :K]
    _, _, Sigma = moments(result, theta)
    out = np.empty((theta.shape[0], len(C)))
    Cr = C[:, rand]
    for q in range(len(C)):                            # contrasts: a handful per study
        inv = np.flatnonzero(Cr[q] != 0)
        kq = {kinds[i] for i in inv}
        if kq == {"normal"}:
            s = np.sqrt(np.einsum("i,bij,j->b", Cr[q], Sigma, Cr[q]))
            out[:, q] = _positive(mu @ C[q], s, special.ndtr)
        elif len(inv) == 1:
            i = inv[0]
            k, c = rand[i], Cr[q, i]
            a = mu @ C[q] - c * mu[:, k]             # the fixed part of the difference
            s = np.sqrt(Sigma[:, i, i]) * (np.sqrt(6.0) if kinds[i] == "triangular" else 1)
            if kinds[i] == "triangular":              # a + c (mu + s t) > 0
                out[:, q] = _positive(a + c * mu[:, k], np.abs(c) * s, _triangular_cdf)
            else:                                     # a + c exp(x) > 0, x ~ N(mu, s^2)
                out[:, q] = _lognormal_positive(a, c, mu[:, k], s)
        else:
            if z is None:
                raise ValueError("z (standard draws) is needed for this contrast")
            out[:, q] = _simulated(result, C[q], theta, z)
    return out


def _positive(mean, scale, cdf):
    """P(mean + scale e > 0) for e with a symmetric CDF; a step where scale is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = cdf(mean / scale)
    return np.where(scale > 0, p, np.where(mean > 0, 1.0, np.where(mean < 0, 0.0, 0.5)))


def _triangular_cdf(x):
    x = np.clip(x, -1.0, 1.0)
    return np.where(x < 0, (x + 1) ** 2 / 2, 1 - (1 - x) ** 2 / 2)


def _lognormal_positive(a, c, mu, s):
    """P(a + c exp(x) > 0), x ~ N(mu, s^2), vectorised over parameter vectors."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (np.log(np.abs(a / c)) - mu) / s          # where exp(x) = |a / c|
    p = 1 - special.ndtr(t) if c > 0 else special.ndtr(t)
    p = np.where(s > 0, p, (a + c * np.exp(mu) > 0) * 1.0)
    if c > 0:
        return np.where(a >= 0, 1.0, p)
    return np.where(a <= 0, 0.0, p)


def _simulated(result, c, theta, z, block_elements: int = 2_000_000):
    K = len(c)
    out = np.empty(theta.shape[0])
    per = max(1, block_elements // max(1, z.shape[0] * K))
    for a in range(0, theta.shape[0], per):          # blocks of parameter vectors (memory)
        B = individual_coefficients(result, z, theta[a:a + per])
        out[a:a + per] = (B @ c > 0).mean(axis=1)
    return out


def heterogeneity_table(result, attributes, rng, *, draws: int = 2000, level: float = 0.95,
                        n_pop: int = 10000) -> pd.DataFrame:
    """heterogeneity.csv for one fit: per contrast, the population mean and SD of the
    utility difference (delta-method intervals) and the share preferring the level
    (Krinsky-Robb interval).

    Parameters
    ----------
    result : MixedFitResult
        The fit: ``params`` (P,), ``vcov`` (P, P).
    attributes : sequence of Attribute
    rng : numpy.random.Generator
        Krinsky-Robb parameter draws, then (only when some contrast needs simulation)
        ``n_pop`` simulated individuals shared by every parameter draw.
    draws : int
        Krinsky-Robb draws.
    level : float
        Confidence level of every interval.
    n_pop : int
        Simulated individuals for contrasts without a closed form.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``mean`` and ``sd`` of the utility difference (utility
        units), ``share_preferring`` in [0, 1] (the share with a positive difference),
        ``distribution`` the distributions of the random terms involved (joined by "+").
        Empty (with the columns) when no contrast involves a random term.

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    """
    rows, C = contrasts(result, attributes)
    if not rows:
        return pd.DataFrame(columns=list(COLUMNS))
    K, _, rand, kinds = spec_of(result)
    theta = np.asarray(result.params, float)
    vcov = np.asarray(result.vcov, float)

    def stats_of(th):
        m, V, _ = moments(result, th)
        return np.r_[C @ m[0], np.sqrt(np.clip(np.einsum("qk,kl,ql->q", C, V[0], C), 0, None))]

    point = stats_of(theta)
    P = len(theta)
    Jac = np.empty((len(point), P))
    for j in range(P):
        h = 1e-6 * max(1.0, abs(theta[j]))
        e = np.zeros(P)
        e[j] = h
        Jac[:, j] = (stats_of(theta + e) - stats_of(theta - e)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", Jac, vcov, Jac), 0, None))
    zq = special.ndtri(0.5 + level / 2)
    kr = coefficient_draws(theta, vcov, int(draws), rng)
    z = population_draws(result, int(n_pop), rng)
    share_point = shares(result, C, theta, z)[0]
    share_draws = shares(result, C, kr, z)
    lo, hi = np.quantile(share_draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    Q = len(rows)
    out = []
    for q, row in enumerate(rows):
        inv = np.flatnonzero(C[q, rand] != 0)
        m, s, sm, ss = point[q], point[Q + q], se[q], se[Q + q]
        out.append({"group": result.group, **row,
                    "distribution": "+".join(dict.fromkeys(kinds[i] for i in inv)),
                    "mean": m, "mean_std_error": sm, "mean_ci_lower": m - zq * sm,
                    "mean_ci_upper": m + zq * sm, "sd": s, "sd_std_error": ss,
                    "sd_ci_lower": s - zq * ss, "sd_ci_upper": s + zq * ss,
                    "share_preferring": share_point[q], "share_ci_lower": lo[q],
                    "share_ci_upper": hi[q]})
    return pd.DataFrame(out, columns=list(COLUMNS))
