"""Refits of a conditional logit under frequency weights of its choice sets, for the
respondent bootstrap (:mod:`dce.analysis.bootstrap`): the within-set differences of
:class:`dce.models.clogit.Evaluator` are formed once and each resample is a weight vector.
"""

from __future__ import annotations

import numpy as np

from dce.models.clogit import Evaluator
from dce.models.newton import newton


class Refits:
    """Conditional logit refits of one data set under frequency weights of its choice
    sets, for the respondent bootstrap: a resample is the data with each respondent's
    sets weighted by the number of times the respondent was drawn, so the within-set
    differences are formed once and no resampled copy of the data is made.

    The weighted log-likelihood ``sum_s c_s l_s(b)`` of counts ``c_s`` equals the
    log-likelihood of the resample that repeats set ``s`` ``c_s`` times (Efron and
    Tibshirani 1993, ch. 6, on the bootstrap as reweighting).

    Parameters
    ----------
    data : ChoiceData
        The full sample (rows, K terms).

    Attributes
    ----------
    data : ChoiceData
        The data given.
    """

    def __init__(self, data):
        self.data = data
        self._ev = Evaluator(data)
        self._base = [(blk.yt.copy(), blk.w.copy()) for blk in self._ev.blocks]

    def fit(self, weights, start, max_iter: int = 100) -> tuple[np.ndarray, bool]:
        """Newton's method (as :func:`fit`) on the sets weighted by ``weights``.

        Parameters
        ----------
        weights : ndarray (sets,)
            Non-negative frequency weight of each choice set of the data.
        start : array-like (K,)
            Warm start.
        max_iter : int

        Returns
        -------
        (ndarray (K,), bool)
            The estimates and whether Newton's method converged (no covariance is formed).
        """
        weights = np.asarray(weights, dtype=float)
        ev = self._ev
        for blk, (yt, w) in zip(ev.blocks, self._base):
            sw = weights if blk.sets is None else weights[blk.sets]
            blk.yt = yt * sw
            blk.w = w * sw
        ev.unit_weights = False
        ev._last = ev._scores = None
        beta = np.array(start, dtype=float)
        beta, _, _, _, converged, _ = newton(ev, beta, max_iter, collect=False)
        return beta, converged

    def largest_span(self, beta, weights) -> float:
        """The largest within-set span of utilities, ``max_j u_j - min_j u_j``, over the
        sets with positive weight: what :func:`dce.models.separation.suspicious` screens,
        from the stored differences (``u_0 = 0``) instead of the rows.

        Parameters
        ----------
        beta : ndarray (K,)
        weights : ndarray (sets,)

        Returns
        -------
        float
            0 when no set with two alternatives or more has positive weight.
        """
        beta = np.asarray(beta, dtype=float)
        drawn = np.asarray(weights) > 0
        out = 0.0
        for blk in self._ev.blocks:
            u = np.matmul(beta, blk.C)                      # (J-1, n)
            span = np.maximum(u.max(axis=0), 0.0) - np.minimum(u.min(axis=0), 0.0)
            keep = drawn[:blk.n] if blk.sets is None else drawn[blk.sets]
            if keep.any():
                out = max(out, float(span[keep].max()))
        return out
