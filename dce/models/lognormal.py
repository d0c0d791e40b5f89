"""Population means of lognormal mixed-logit coefficients, ``exp(mu + s^2/2)`` (Train
2009, section 6.3), as a view of a fit for the trade-off tables and as a parameter map for
the reported reference levels (:func:`dce.models.results.reported`). Works on any fit
carrying ``n_means``, ``distributions``, ``correlated`` and ``scale_heterogeneity`` (a
:class:`dce.models.mixed.MixedFitResult`) without importing the mixed-logit modules.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dce.models.mixed_scale import SCALE_NAME


def _spec(result):
    """(number of mean terms, positions of the random terms, their distributions)."""
    K = result.n_means
    index = {t: i for i, t in enumerate(result.terms[:K])}
    rand = np.array([index[t] for t, _ in result.distributions], dtype=int)
    return K, rand, [d for _, d in result.distributions]


def lognormal_means(result, draws, skip=None):
    """A preference-space mixed fit whose lognormal terms hold the coefficients' population
    means ``m = exp(mu + v/2)`` (``v = s^2``, or with correlation the squared norm of the
    term's Cholesky row; Train 2009, section 6.3) instead of ``mu``, the mean of their
    logarithm, so that trade-offs are ratios of mean coefficients as for every other term.
    The covariance follows by the delta method (``dm/dmu = m``, ``dm/dq = m q`` for each
    standard deviation or Cholesky entry ``q`` of the row); the draws are transformed draw
    by draw. Fits without lognormal terms are returned unchanged.

    Parameters
    ----------
    result : FitResult
    draws : ndarray (R, P)
        Parameter draws of ``result``.
    skip : str or None
        A term left as it is (in WTP space the price slot ``lambda``, which the trade-off
        view fixes at -1).

    Returns
    -------
    (FitResult, ndarray (R, P))
    """
    if getattr(result, "scale_heterogeneity", None) != "none":
        return result, draws
    K, rand, kinds = _spec(result)
    logn = [i for i, kd in enumerate(kinds)
            if kd == "lognormal" and result.terms[rand[i]] != skip]
    if not logn:
        return result, draws
    R = len(rand)
    if result.correlated:  # row i of L: the entries (i, 0..i) of the packed lower triangle
        rows = [K + i * (i + 1) // 2 + np.arange(i + 1) for i in range(R)]
    else:
        rows = [np.array([K + i]) for i in range(R)]
    theta = np.asarray(result.params, float)
    params, D, J = theta.copy(), np.array(draws, float), np.eye(len(theta))
    for i in logn:  # one column per lognormal term (few), vectorised over the draws
        k, q = rand[i], rows[i]
        params[k] = np.exp(theta[k] + (theta[q] ** 2).sum() / 2)
        J[k, k], J[k, q] = params[k], params[k] * theta[q]
        D[:, k] = np.exp(D[:, k] + (D[:, q] ** 2).sum(axis=1) / 2)
    V = J @ np.asarray(result.vcov, float) @ J.T
    return dataclasses.replace(result, params=params, vcov=V), D


def lognormal_map(result):
    """The population means of a mixed fit's lognormal terms as a map of its parameters:
    ``(m, J, names)`` with ``m`` the parameter vector whose lognormal mean slots hold
    ``exp(mu + s^2/2)``, ``J`` its Jacobian (P, P) and ``names`` those terms; None for a fit
    without lognormal terms (other than a WTP-space price). Used to derive effects-coded
    reference levels from the coefficients' means (:func:`dce.models.results.reported`).
    """
    if getattr(result, "scale_heterogeneity", None) != "none":
        return None
    P = len(result.params)
    view, _ = lognormal_means(result, np.zeros((0, P)), skip=SCALE_NAME)
    theta = np.asarray(result.params, float)
    moved = [i for i in range(P) if view.params[i] != theta[i]]
    if not moved:
        return None
    J = np.eye(P)
    K, rand, kinds = _spec(result)
    for i, kd in enumerate(kinds):
        k = rand[i]
        if kd != "lognormal" or result.terms[k] == SCALE_NAME:
            continue
        q = (K + i * (i + 1) // 2 + np.arange(i + 1)) if result.correlated else np.array([K + i])
        J[k, k], J[k, q] = view.params[k], view.params[k] * theta[q]
    return np.asarray(view.params, float), J, {result.terms[i] for i in moved}
