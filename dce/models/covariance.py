"""Covariance matrices of the estimates, one module for every engine.

The kinds (:data:`VcovType`, chosen by ``se``):

* ``classic``: the bread, the inverse of minus the Hessian;
* ``robust``: the sandwich ``bread (sum_u g_u g_u') bread`` over the independent units ``u``
  of the likelihood (choice sets; respondents in a panel likelihood such as the mixed logit);
* ``cluster``: the sandwich over respondents ``n`` (``g_n`` the sum of the scores of their
  sets), times ``G/(G-1)`` for ``G`` respondents.

Estimators raise ValueError for an unknown kind; the run layer names the config key.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
from scipy import linalg

from dce.core.options import VcovType

__all__ = ["VCOV_TYPES", "VcovType", "bread_of", "check_vcov", "cluster_factor",
           "cluster_vcov", "covariances", "panel_covariances"]

VCOV_TYPES: tuple[str, ...] = get_args(VcovType)


def check_vcov(se) -> str:
    """``se`` when it is a covariance kind, else ValueError naming the kinds."""
    if se not in VCOV_TYPES:
        raise ValueError(f"se must be one of {', '.join(VCOV_TYPES)}, got {se!r}")
    return se


def cluster_factor(G: int) -> float:
    """Small-sample factor ``G/(G-1)`` of the cluster sandwich (1 for a single cluster)."""
    return G / (G - 1) if G > 1 else 1.0


def bread_of(H: np.ndarray, *, cholesky: bool = True) -> tuple[np.ndarray, bool]:
    """(symmetric inverse of minus the Hessian ``H``, whether ``-H`` was inverted exactly).

    By Cholesky factorisation (``cholesky=True``; scipy's ``linalg.inv`` leaves a BLAS thread
    spinning for ~0.1 s, potrf/potrs don't) or by LU (``linalg.inv``); the pseudo-inverse when
    that fails (``-H`` not positive definite, or singular).
    """
    exact = True
    try:
        if cholesky:
            bread = linalg.cho_solve(linalg.cho_factor(-H), np.eye(len(H)))
        else:
            bread = linalg.inv(-H)
    except (linalg.LinAlgError, ValueError):
        exact = False
        bread = np.linalg.pinv(-H)
    return (bread + bread.T) / 2, exact


def cluster_vcov(bread: np.ndarray, by_respondent: np.ndarray) -> np.ndarray:
    """Cluster-robust covariance: ``G/(G-1) bread (S'S) bread`` with ``S`` the scores summed
    by respondent, shape (respondents, parameters)."""
    G = by_respondent.shape[0]
    cluster = cluster_factor(G) * bread @ (by_respondent.T @ by_respondent) @ bread
    return (cluster + cluster.T) / 2


def covariances(bread: np.ndarray, meat: np.ndarray, by_respondent: np.ndarray) -> dict:
    """Every kind for a likelihood whose units are choice sets.

    Parameters
    ----------
    bread : (P, P) inverse of minus the Hessian (see :func:`bread_of`)
    meat : (P, P) sum over choice sets of the outer products of their scores
    by_respondent : (respondents, P) scores summed by respondent
    """
    robust = bread @ meat @ bread
    return {"classic": bread, "robust": (robust + robust.T) / 2,
            "cluster": cluster_vcov(bread, by_respondent)}


def panel_covariances(bread: np.ndarray, scores: np.ndarray) -> dict:
    """Every kind for a panel likelihood, whose units are the respondents: ``scores``
    (respondents, P); robust is the sandwich over respondents, cluster the same times
    ``G/(G-1)``."""
    robust = bread @ (scores.T @ scores) @ bread
    robust = (robust + robust.T) / 2
    return {"classic": bread, "robust": robust,
            "cluster": cluster_factor(scores.shape[0]) * robust}
