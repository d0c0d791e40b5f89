"""The population distribution of a fitted mixed logit: draws of individuals'
coefficients and the moments (mean, standard deviation) of each random coefficient.

Distributions and moments as in Train (2009), ch. 6; standard errors of the moments by the
delta method with a numerical Jacobian.

References
----------
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from dce.models.lognormal import lognormal_means
from dce.models.mixed import MixedFitResult
from dce.models.mixed_scale import SCALE_NAME, gmnl_beta, scale_of, wtp_to_beta


# ----- population distribution: draws and moments ---------------------------------------
def spec_of(result):
    """(number of mean terms, mean terms, index of the random terms, their distributions).

    Parameters
    ----------
    result : MixedFitResult

    Returns
    -------
    K : int
        Number of mean parameters (model terms).
    terms : tuple of str (K,)
        The model terms (in WTP space the price term, whose slot in ``result.terms`` is
        ``lambda``: the terms of the preference-space coefficients of
        :func:`individual_coefficients`).
    rand : ndarray of int (R,)
        Positions of the random terms among them.
    kinds : list of str (R,)
        Their distributions.

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    """
    if not isinstance(result, MixedFitResult):
        raise TypeError("needs the MixedFitResult of mixed.fit")
    K = result.n_means
    terms = result.terms[:K]
    index = {t: i for i, t in enumerate(terms)}
    if result.space == "wtp":
        terms = tuple(result.price if t == SCALE_NAME else t for t in terms)
    rand = np.array([index[t] for t, _ in result.distributions], dtype=int)
    kinds = [d for _, d in result.distributions]
    return K, terms, rand, kinds


def population_draws(result, n, rng) -> np.ndarray:
    """Standard draws ``(n, R)`` for the random terms (pseudo-random, from ``rng``).

    N(0, 1) for normal and lognormal terms, the symmetric triangular distribution on
    [-1, 1] for triangular ones (the standard draws of :mod:`dce.models.draws`); with scale
    heterogeneity (G-MNL, S-MNL) one more N(0, 1) column, the scale draw: ``(n, R + 1)``.

    Parameters
    ----------
    result : MixedFitResult
    n : int
        Individuals.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray (n, R)

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    """
    _, _, rand, kinds = spec_of(result)
    z = rng.standard_normal((n, len(rand)))
    for i, kd in enumerate(kinds):
        if kd == "triangular":
            z[:, i] = rng.triangular(-1.0, 0.0, 1.0, n)
    if result.scale_heterogeneity != "none":
        z = np.c_[z, rng.standard_normal(n)]
    return z


def individual_coefficients(result, z, params=None) -> np.ndarray:
    """Coefficients of simulated individuals: ``(n, K)`` for standard draws ``z`` ``(n, R)``,
    or ``(B, n, K)`` when ``params`` holds B parameter vectors (rows).

    Fixed terms take their mean; random ones ``mu + L z`` (``mu + s z`` uncorrelated),
    exponentiated for lognormal terms, as in the model. The coefficients are always those of
    the utility in preference space: in WTP space ``lambda w_k`` and ``-lambda`` for the price
    term; with scale heterogeneity ``sigma mu + (gamma + (1 - gamma) sigma) eta``
    (:mod:`dce.models.mixed_scale`).

    Parameters
    ----------
    result : MixedFitResult
    z : ndarray (n, R) or (n, R + 1)
        Standard draws (:func:`population_draws`; the last column is the scale draw of
        G-MNL and S-MNL).
    params : ndarray (P,) or (B, P), optional
        Parameter vectors; default ``result.params``. A 1-d vector gives ``(n, K)``.

    Returns
    -------
    ndarray (n, K) or (B, n, K)

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    """
    K, _, rand, kinds = spec_of(result)
    theta = np.atleast_2d(result.params if params is None else params)
    R = len(rand)
    mu = theta[:, :K]
    n_mix = K + (R * (R + 1) // 2 if result.correlated else R)
    zr = z[:, :R]
    if result.correlated:
        L = np.zeros((theta.shape[0], R, R))
        tri = np.tril_indices(R)
        L[:, tri[0], tri[1]] = theta[:, K:n_mix]
        C = np.einsum("bij,nj->bni", L, zr)
    else:
        C = theta[:, None, K:n_mix] * zr[None, :, :]
    C += mu[:, None, rand]
    logs = [i for i, kd in enumerate(kinds) if kd == "lognormal"]
    if logs:
        C[..., logs] = np.exp(C[..., logs])
    B = np.repeat(mu[:, None, :], z.shape[0], axis=1)
    B[..., rand] = C
    if result.space == "wtp":
        B = wtp_to_beta(B[..., None], list(result.terms).index(SCALE_NAME))[..., 0]
    elif result.scale_heterogeneity != "none":
        sigma = scale_of(theta[:, n_mix, None, None], z[None, :, R:R + 1])
        gamma = (special.expit(theta[:, n_mix + 1, None, None])
                 if result.scale_heterogeneity == "gmnl" else 0.0)
        B = gmnl_beta(mu[:, None, :], B, sigma, gamma)
    return B[0] if params is None or np.ndim(params) == 1 else B


def population_moments(result, level: float = 0.95) -> pd.DataFrame:
    """Mean and standard deviation of each random coefficient in the population, with
    delta-method standard errors (numerical Jacobian): normal ``mu, |s|``; lognormal
    ``exp(mu + s^2/2)`` and ``mean sqrt(exp(s^2) - 1)`` (with correlation, ``s^2`` is the
    row's variance); triangular ``mu, |s|/sqrt(6)``. In WTP space these are the moments of
    the WTPs and of ``lambda`` (row ``lambda``). With scale heterogeneity (G-MNL) the mean is
    ``mu`` (the scale has mean 1) and the variance ``mu^2 (exp(tau^2) - 1) + E[c^2] v`` with
    ``c = gamma + (1 - gamma) sigma``, ``E[c^2] = gamma^2 + 2 gamma (1 - gamma) + (1 -
    gamma)^2 exp(tau^2)`` and ``v`` the variance of the deviation ``eta`` (Fiebig et al.
    2010; ``sigma`` and ``eta`` independent).

    The Jacobian is by central differences, step ``1e-6 max(1, |theta_j|)``; the variances
    use ``result.vcov``.

    Parameters
    ----------
    result : MixedFitResult
    level : float
        Confidence level of the Wald intervals ``estimate -+ z std_error``.

    Returns
    -------
    pandas.DataFrame
        Two rows per random term (``statistic`` ``mean`` and ``sd``): ``group``, ``term``,
        ``distribution``, ``statistic``, ``estimate``, ``std_error``, ``ci_lower``,
        ``ci_upper``.

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    """
    K, _, rand, kinds = spec_of(result)
    terms = result.terms[:K]

    def moments(theta):
        return _moments(result, theta, K, rand, kinds)

    theta = np.asarray(result.params, float)
    m0 = moments(theta)
    P = len(theta)
    Jac = np.empty((len(m0), P))
    for j in range(P):
        h = 1e-6 * max(1.0, abs(theta[j]))
        e = np.zeros(P)
        e[j] = h
        Jac[:, j] = (moments(theta + e) - moments(theta - e)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", Jac, result.vcov, Jac), 0, None))
    q = special.ndtri(0.5 + level / 2)
    rows = []
    for i, kd in enumerate(kinds):
        t = terms[rand[i]]
        for j, stat in enumerate(("mean", "sd")):
            v, s = m0[2 * i + j], se[2 * i + j]
            rows.append({"group": result.group, "term": t, "distribution": kd,
                         "statistic": stat, "estimate": v, "std_error": s,
                         "ci_lower": v - q * s, "ci_upper": v + q * s})
    return pd.DataFrame(rows)


def _moments(result, theta, K, rand, kinds) -> np.ndarray:
    """(mean, sd) of each random coefficient, flattened, at ``theta`` (population_moments)."""
    R = len(rand)
    n_mix = K + (R * (R + 1) // 2 if result.correlated else R)
    if result.correlated:
        L = np.zeros((R, R))
        L[np.tril_indices(R)] = theta[K:n_mix]
        var = (L * L).sum(axis=1)
    else:
        var = theta[K:n_mix] ** 2
    mu = theta[rand]
    if result.scale_heterogeneity != "none":
        g = (special.expit(theta[n_mix + 1])
             if result.scale_heterogeneity == "gmnl" else 0.0)
        e2 = np.exp(theta[n_mix] ** 2)
        c2 = g * g + 2 * g * (1 - g) + (1 - g) ** 2 * e2
        v = np.array([var[i] / 6 if kd == "triangular" else var[i]
                      for i, kd in enumerate(kinds)])
        return np.ravel(np.c_[mu, np.sqrt(mu * mu * (e2 - 1) + c2 * v)])
    out = []
    for i, kd in enumerate(kinds):
        if kd == "lognormal":
            m = np.exp(mu[i] + var[i] / 2)
            out += [m, m * np.sqrt(np.expm1(var[i]))]
        elif kd == "triangular":
            out += [mu[i], np.sqrt(var[i] / 6)]
        else:
            out += [mu[i], np.sqrt(var[i])]
    return np.array(out)


def tradeoff_view(result: Any, draws: np.ndarray) -> tuple[Any, np.ndarray]:
    """A mixed-logit fit in the form the trade-off tables read (ratios ``-C b / b_d`` of
    coefficients, :func:`dce.analysis.wtp.value`): in WTP space the mean WTPs (below); in
    preference space each lognormal term's row replaced by the coefficient's population mean
    ``exp(mu + s^2/2)`` (:func:`dce.models.lognormal.lognormal_means`); any other fit unchanged.

    The view's coefficients are the mean WTPs with the price term's coefficient fixed at -1
    (no variance): against the price the trade-offs are then the WTP means themselves (and
    their contrasts), with the intervals of the WTP-space estimates; against another linear
    attribute they are ratios of mean WTPs, which equal the ratios of the mean preference
    coefficients when ``lambda`` is independent of the WTPs (Train and Weeks 2005).

    Parameters
    ----------
    result : FitResult
        A fit; only a MixedFitResult with ``space == "wtp"`` is changed.
    draws : ndarray (R, P)
        Parameter draws of ``result`` (Krinsky-Robb).

    Returns
    -------
    view : FitResult
        ``terms`` with ``lambda`` renamed to the price term, ``params`` and ``vcov`` as
        described.
    draws : ndarray (R, P)
        The draws with the price column set to -1.
    """
    if getattr(result, "space", "preference") != "wtp":
        return lognormal_means(result, draws)
    result, draws = lognormal_means(result, draws, skip=SCALE_NAME)  # lognormal WTPs
    p = list(result.terms).index(SCALE_NAME)
    params = np.array(result.params, float)
    params[p] = -1.0
    V = np.array(result.vcov, float)
    V[p, :] = V[:, p] = 0.0
    V[p, p] = np.finfo(float).tiny          # a fixed coefficient (no division by zero)
    D = np.array(draws, float)
    D[:, p] = -1.0
    terms = tuple(result.price if t == SCALE_NAME else t for t in result.terms)
    return dataclasses.replace(result, terms=terms, params=params, vcov=V), D
