"""Covariance matrices of the estimates, one module for every engine.

The kinds (:data:`VcovType`, chosen by ``se``):

* ``classic``: the bread, the inverse of minus the Hessian;
* ``robust``: the sandwich ``bread (sum_u g_u g_u') bread`` over the independent units ``u``
  of the likelihood (choice sets; respondents in a panel likelihood such as the mixed logit);
* ``cluster``: the sandwich over respondents ``n`` (``g_n`` the sum of the scores of their
  sets), times ``G/(G-1)`` for ``G`` respondents.

Estimators raise ValueError for an unknown kind; the run layer names the config key.

The sandwich is White's (1982) covariance of a (quasi-)maximum-likelihood estimator; the
cluster version and its small-sample factor ``G/(G-1)`` follow Cameron and Miller (2015),
on cluster-robust inference for nonlinear (maximum-likelihood) models.

References
----------
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. Journal of Human Resources 50(2), 317-372.
White, H. (1982). Maximum likelihood estimation of misspecified models. Econometrica
50(1), 1-25.
"""

from __future__ import annotations

from typing import get_args

import numpy as np

from dce.core.options import VcovType

__all__ = ["VCOV_TYPES", "VcovType", "bread_of", "check_vcov", "cholesky_solve", "cluster_factor",
           "cluster_vcov", "covariances", "panel_covariances"]

VCOV_TYPES: tuple[str, ...] = get_args(VcovType)


def check_vcov(se) -> str:
    """``se`` when it is a covariance kind, else ValueError naming the kinds.

    Parameters
    ----------
    se : str
        ``"classic"``, ``"robust"`` or ``"cluster"`` (:data:`VCOV_TYPES`).

    Returns
    -------
    str
        ``se`` unchanged.

    Raises
    ------
    ValueError
        ``se must be one of classic, robust, cluster, got ...``.
    """
    if se not in VCOV_TYPES:
        raise ValueError(f"se must be one of {', '.join(VCOV_TYPES)}, got {se!r}")
    return se


def cluster_factor(G: int) -> float:
    """Small-sample factor ``G/(G-1)`` of the cluster sandwich (1 for a single cluster).

    Parameters
    ----------
    G : int
        Number of clusters (respondents).

    Returns
    -------
    float
    """
    return G / (G - 1) if G > 1 else 1.0


def cholesky_solve(M: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``M^-1 B`` for a symmetric positive definite ``M`` (K, K), by its Cholesky factor.

    Parameters
    ----------
    M : ndarray (K, K)
    B : ndarray (K,) or (K, m)

    Returns
    -------
    ndarray, the shape of ``B``

    Raises
    ------
    numpy.linalg.LinAlgError
        When ``M`` is not positive definite.
    ValueError
        When ``M`` or ``B`` holds a NaN or an infinity.
    """
    if not (np.isfinite(M).all() and np.isfinite(B).all()):
        raise ValueError("array must not contain infs or NaNs")
    L = np.linalg.cholesky(M)
    return np.linalg.solve(L.T, np.linalg.solve(L, B))


def bread_of(H: np.ndarray, *, cholesky: bool = True) -> tuple[np.ndarray, bool]:
    """(symmetric inverse of minus the Hessian ``H``, whether ``-H`` was inverted exactly).

    By Cholesky factorisation (``cholesky=True``, :func:`cholesky_solve`) or by LU
    (``numpy.linalg.inv``); the pseudo-inverse when
    that fails (``-H`` not positive definite, or singular).

    Parameters
    ----------
    H : ndarray (K, K)
        Hessian of the log-likelihood (negative definite at a strict maximum).
    cholesky : bool
        Invert ``-H`` by Cholesky (True) or LU (False; accepts an indefinite ``-H``).

    Returns
    -------
    bread : ndarray (K, K)
        ``(-H)^-1`` (or its pseudo-inverse), symmetrised: the classic covariance.
    exact : bool
        False when the pseudo-inverse was used.
    """
    exact = True
    try:
        if cholesky:
            bread = cholesky_solve(-H, np.eye(len(H)))
        else:
            bread = np.linalg.inv(-H)
    except (np.linalg.LinAlgError, ValueError):
        exact = False
        bread = np.linalg.pinv(-H)
    return (bread + bread.T) / 2, exact


def cluster_vcov(bread: np.ndarray, by_respondent: np.ndarray) -> np.ndarray:
    """Cluster-robust covariance: ``G/(G-1) bread (S'S) bread`` with ``S`` the scores summed
    by respondent, shape (respondents, parameters).

    Parameters
    ----------
    bread : ndarray (K, K)
        Inverse of minus the Hessian (see :func:`bread_of`).
    by_respondent : ndarray (G, K)
        Scores (gradient contributions) summed over each respondent's choice sets.

    Returns
    -------
    ndarray (K, K)
        Symmetrised (Cameron and Miller 2015).
    """
    G = by_respondent.shape[0]
    cluster = cluster_factor(G) * bread @ (by_respondent.T @ by_respondent) @ bread
    return (cluster + cluster.T) / 2


def covariances(bread: np.ndarray, meat: np.ndarray, by_respondent: np.ndarray) -> dict:
    """Every kind for a likelihood whose units are choice sets.

    Parameters
    ----------
    bread : ndarray (P, P)
        Inverse of minus the Hessian (see :func:`bread_of`).
    meat : ndarray (P, P)
        Sum over choice sets of the outer products of their scores.
    by_respondent : ndarray (G, P)
        Scores summed by respondent.

    Returns
    -------
    dict of str to ndarray (P, P)
        ``classic`` (the bread), ``robust`` (``bread meat bread``, White 1982) and
        ``cluster`` (:func:`cluster_vcov`), each symmetric.
    """
    robust = bread @ meat @ bread
    return {"classic": bread, "robust": (robust + robust.T) / 2,
            "cluster": cluster_vcov(bread, by_respondent)}


def panel_covariances(bread: np.ndarray, scores: np.ndarray) -> dict:
    """Every kind for a panel likelihood, whose units are the respondents: ``scores``
    (respondents, P); robust is the sandwich over respondents, cluster the same times
    ``G/(G-1)``.

    Parameters
    ----------
    bread : ndarray (P, P)
        Inverse of minus the Hessian (see :func:`bread_of`).
    scores : ndarray (G, P)
        Gradient of each respondent's log-likelihood contribution.

    Returns
    -------
    dict of str to ndarray (P, P)
        ``classic``, ``robust`` and ``cluster``.
    """
    robust = bread @ (scores.T @ scores) @ bread
    robust = (robust + robust.T) / 2
    return {"classic": bread, "robust": robust,
            "cluster": cluster_factor(scores.shape[0]) * robust}
